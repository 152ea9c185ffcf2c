#!/usr/bin/env bash
# Trains models/clinic.tar.gz when the assistant's data, config or NLU code
# changed since the last training; otherwise leaves the model as it is.
#   --force           train even when nothing changed
#   --keep-last-good  (make run, make prod) when the knowledge base does not pass its checks or
#                     training fails, keep the model there is, say so loudly, and exit 0: a bad
#                     data file must never stop the assistant, safety net included, from starting.
set -euo pipefail
source "$(dirname "$0")/env.sh"
force=false keep_last_good=false
for arg in "$@"; do
  case $arg in
    --force) force=true ;;
    --keep-last-good) keep_last_good=true ;;
    *) echo "usage: train.sh [--force] [--keep-last-good]" >&2; exit 2 ;;
  esac
done
failed=models/training-failed.txt   # why the model serving is not the newest; supervise.sh repeats it

not_trained() {  # $1: why; exits
  echo "error: $1" >&2
  if $keep_last_good && [ -f "$MODEL" ]; then
    printf '%s\n' "$1" > "$failed"
    cat >&2 <<TXT

==============================================================================
 WARNING: the assistant was NOT retrained: $1.
 Patients are answered by the last good model, $MODEL
 (trained $(date -r "$MODEL" '+%Y-%m-%d %H:%M')), without the latest changes to data/.
 Mend the knowledge base (clinic faq check says what is wrong), then restart.
==============================================================================

TXT
    exit 0
  fi
  exit 1
}

# What training reads: Rasa's files and the spaCy vocabulary; and the code that decides what the
# text model learns and how it is stored (clinic/nlp/model_files.py: a new file format must retrain).
# (The red-flag rules and the other components are read when the model loads, not trained.)
fingerprint=$(cat config.yml domain.yml clinic/nlp/vocabulary.yml clinic/nlp/concepts.yml \
  clinic/nlp/text_model.py clinic/nlp/model_files.py clinic/nlp/linear_component.py clinic/nlp/intent_classifier.py \
  $(find data -name '*.yml' | sort) | sha256sum | cut -d' ' -f1)
stamp=models/.clinic-fingerprint
if [ -f "$MODEL" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] && ! $force; then
  echo "==> Model is up to date ($MODEL)"
  exit 0
fi
mkdir -p models  # the logs go there too: the one folder besides the knowledge base a service may write
# Never train on a knowledge base that breaks its rules or holds unreviewed drafts.
clinic faq check --no-cross-validation > models/check.log || {
  cat models/check.log >&2; not_trained "the knowledge base does not pass clinic faq check"; }
echo "==> Training the assistant (about 20 s on 2 cores)"
start=$(date +%s)
# Rasa's cache (.rasa/cache) reuses every part of the model whose inputs did not change.
rasa train --fixed-model-name clinic --out models > models/train.log 2>&1 &
trainer=$!
tick=0
while kill -0 "$trainer" 2>/dev/null; do   # one progress line every 30 s
  sleep 2; tick=$((tick + 1))
  if (( tick % 15 == 0 )); then python -m clinic.operations.train_progress models/train.log; fi
done
wait "$trainer" || {
  tail -40 models/train.log >&2; not_trained "training failed (full log in models/train.log)"; }
echo "$fingerprint" > "$stamp"
rm -f "$failed"
echo "==> Trained $MODEL in $(( $(date +%s) - start )) s"
