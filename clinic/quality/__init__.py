"""The quality gates `make test` runs: held-out accuracy, cross-validation, the safety net."""
