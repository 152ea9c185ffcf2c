#!/usr/bin/env bash
# Rasa's terminal chat against the action server of a running `make run`,
# on loopback, with the same secrets (never on the command line).
set -euo pipefail
umask 077
source "$(dirname "$0")/env.sh"
source scripts/local_secrets.sh
exec rasa shell --model "$MODEL" --port 5006 --interface 127.0.0.1 --endpoints endpoints.yml
