#!/usr/bin/env bash
# Benchmarks (not tests): latency/throughput/memory through the widget channel,
# then training times (about 20 minutes). Numbers, not pass/fail.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash scripts/setup.sh
bash scripts/train.sh
echo "==> Latency, throughput, memory"
python bench/latency.py
echo "==> Training times (about 30 minutes)"
python bench/training.py
