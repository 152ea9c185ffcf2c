"""The clinic's action server: one module per concern."""
