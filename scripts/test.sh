#!/usr/bin/env bash
# The project's gates, in the order a failure is cheapest to find.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash scripts/setup.sh
bash scripts/deploy_tools.sh   # kubectl, kubernetes-validate, hadolint, checkov for tests/test_deploy.py

quietly() {  # run a command, show its output only when it fails
  local log; log=$(mktemp)
  if ! "$@" > "$log" 2>&1; then tail -60 "$log" >&2; echo "FAILED: $*" >&2; exit 1; fi
}

echo "==> ruff (lint, format) and mypy on clinic/ and actions/ (pyproject.toml)"
ruff check --quiet clinic actions
ruff format --check --quiet clinic actions
quietly mypy

echo "==> rasa data validate --fail-on-warnings"
quietly rasa data validate --fail-on-warnings

echo "==> clinic faq check (every FAQ topic: examples, answer rules, source, no drafts; cross-validation)"
clinic faq check

bash scripts/train.sh

echo "==> Held-out NLU set (tests/nlu_heldout.yml)"
rm -rf results/heldout
# Rasa's own commands run with the clinic's patches (clinic/rasa_patches/), as production does.
quietly python -m clinic.rasa_patches test nlu --nlu tests/nlu_heldout.yml --model "$MODEL" --out results/heldout
python -m clinic.quality.heldout results/heldout

echo "==> Safety net: crisis, emergencies and red flags (tests/red_flags.yml, tests/crisis_emergencies*.yml)"
python -m clinic.quality.safety "$MODEL"

conversation_tests() {  # $1: on or off, the speed-only Rasa patches
  local out="results/conversations-speedups-$1"
  echo "==> Conversation tests (tests/test_conversations*.yml: ours and those saved from the console), speed patches $1"
  rm -rf "$out"
  # Rasa reads every test_*.yml story file under tests/.
  if ! CLINIC_RASA_SPEEDUPS="$1" python -m clinic.rasa_patches test core --e2e --stories tests --model "$MODEL" \
        --fail-on-prediction-errors --out "$out" > "$out.log" 2>&1; then
    tail -40 "$out.log" >&2
    [ -f "$out/failed_test_stories.yml" ] && cat "$out/failed_test_stories.yml" >&2
    echo "FAILED: conversation tests (speed patches $1)" >&2; exit 1
  fi
  grep -E "Correct:|Accuracy:" "$out.log" | head -4 || true
}
conversation_tests on
conversation_tests off   # the speed patches change no prediction: every story passes without them too

echo "==> pytest, in a random order (pytest-randomly prints its seed; pytest --randomly-seed=N repeats that order)"
python -m pytest
