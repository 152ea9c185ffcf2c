#!/usr/bin/env bash
# Trains models/clinic.tar.gz when the assistant's data, config or NLU code
# changed since the last training; otherwise leaves the model as it is.
set -euo pipefail
source "$(dirname "$0")/env.sh"

# What training reads: Rasa's files and the spaCy vocabulary. (The red-flag
# rules and custom components are read when the model loads, not trained.)
fingerprint=$(cat config.yml domain.yml clinic/nlp/vocabulary.yml clinic/nlp/concepts.yml $(find data -name '*.yml' | sort) | sha256sum | cut -d' ' -f1)
stamp=models/.clinic-fingerprint
if [ -f "$MODEL" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] && [ "${1:-}" != "--force" ]; then
  echo "==> Model is up to date ($MODEL)"
  exit 0
fi
mkdir -p models  # the logs go there too: the one folder besides the knowledge base a service may write
# Never train on a knowledge base that breaks its rules or holds unreviewed drafts.
clinic faq check --no-cross-validation > models/check.log || { cat models/check.log >&2; echo "error: fix the knowledge base first (clinic faq check)" >&2; exit 1; }
echo "==> Training the assistant (about 20 s on 2 cores)"
start=$(date +%s)
# Rasa's cache (.rasa/cache) reuses every part of the model whose inputs did not change.
rasa train --fixed-model-name clinic --out models > models/train.log 2>&1 &
trainer=$!
tick=0
while kill -0 "$trainer" 2>/dev/null; do   # one progress line every 30 s
  sleep 2; tick=$((tick + 1))
  if (( tick % 15 == 0 )); then python -m clinic.train_progress models/train.log; fi
done
wait "$trainer" || {
  tail -40 models/train.log >&2; echo "error: training failed; full log in models/train.log" >&2; exit 1; }
echo "$fingerprint" > "$stamp"
echo "==> Trained $MODEL in $(( $(date +%s) - start )) s"
