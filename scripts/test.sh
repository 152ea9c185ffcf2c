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

echo "==> rasa data validate --fail-on-warnings"
quietly rasa data validate --fail-on-warnings

echo "==> clinic faq check (every FAQ topic: examples, answer rules, source, no drafts; cross-validation)"
clinic faq check

bash scripts/train.sh

echo "==> Held-out NLU set (tests/nlu_heldout.yml)"
rm -rf results/heldout
quietly rasa test nlu --nlu tests/nlu_heldout.yml --model "$MODEL" --out results/heldout
python -m clinic.quality.heldout results/heldout

echo "==> Safety net: crisis, emergencies and red flags (tests/red_flags.yml, tests/crisis_emergencies*.yml)"
python -m clinic.quality.safety "$MODEL"

echo "==> Conversation tests (tests/test_conversations*.yml: ours and those saved from the console)"
rm -rf results/conversations
# Rasa reads every test_*.yml story file under tests/.
if ! rasa test core --e2e --stories tests --model "$MODEL" \
      --fail-on-prediction-errors --out results/conversations > results/conversations.log 2>&1; then
  tail -40 results/conversations.log >&2
  [ -f results/conversations/failed_test_stories.yml ] && cat results/conversations/failed_test_stories.yml >&2
  echo "FAILED: conversation tests" >&2; exit 1
fi
grep -E "Correct:|Accuracy:" results/conversations.log | head -4 || true

echo "==> pytest"
python -m pytest
