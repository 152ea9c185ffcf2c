#!/usr/bin/env bash
# Creates .venv with Python 3.10 (Rasa 3.6 needs <3.11), installs the pinned
# dependencies and builds the clinic's spaCy pipeline. Idempotent: does nothing
# when requirements.lock and pyproject.toml have not changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" "$(command -v python3.10 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do
      [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
  fi
  return 1
}

stamp=.venv/.setup-stamp
want=$(cat requirements.lock requirements-meaning.lock requirements-dev.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  :
else
  if [ ! -x .venv/bin/python ]; then
    py=$(find_python) || {
      echo "error: Python 3.10 is needed (Rasa 3.6 does not run on 3.11+)." >&2
      echo "       Install it (e.g. 'pyenv install 3.10') or set PYTHON=/path/to/python3.10." >&2
      exit 1
    }
    echo "==> Creating .venv with $py"
    "$py" -m venv .venv
  fi
  echo "==> Installing pinned dependencies (a few minutes the first time)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==24.0"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r requirements-meaning.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  # The development tools (pytest, ruff, mypy, playwright…): make test's, never the image's.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r requirements-dev.lock
  echo "$want" > "$stamp"
fi

# The spaCy pipeline is built from code, never downloaded.
TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python -m clinic.nlp.pipeline
