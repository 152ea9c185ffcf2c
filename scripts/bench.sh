#!/usr/bin/env bash
# Benchmarks (not tests): latency/throughput/memory through the widget channel,
# the fallback thresholds, then the two NLU configurations side by side with
# their training times and the new-FAQ loop (about 20 minutes, most of it
# training DIET for the comparison), then load through make prod's topology
# next to a stock rasa init bot. Numbers, not pass/fail.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash scripts/setup.sh
bash scripts/train.sh
echo "==> Latency, throughput, memory (default configuration)"
python bench/latency.py
echo "==> The same without the speed-only Rasa patches (CLINIC_RASA_SPEEDUPS=off)"
CLINIC_RASA_SPEEDUPS=off python bench/latency.py
echo "==> Each speed patch's gain on its own hot spot (clinic/rasa_patches/)"
python bench/rasa_patches.py
echo "==> A new FAQ topic from 10 examples (the cross-validation gate)"
python bench/new_topic.py
echo "==> Fallback thresholds on the held-out set"
python bench/thresholds.py
echo "==> 10,000 hostile and odd inputs through the widget's channel"
python bench/fuzz.py
echo "==> Load through nginx, 1 and 2 replicas, next to a stock rasa init bot (make prod's topology)"
bash scripts/install_nginx.sh
python bench/load.py
echo "==> The staff console over 100,000 conversations"
python bench/console_pages.py
echo "==> config.yml and config-diet.yml side by side, and a new FAQ end to end"
python bench/compare.py
