#!/usr/bin/env bash
# Starts the assistant on embedded defaults (SQLite, local files), every process
# supervised: action server (5055), the notification worker, the Rasa server
# (5005: the widget's secure channel only), the demo clinic page with the chat
# widget (8000) and the staff console (8001). Every server listens on
# CLINIC_BIND_ADDRESS only (127.0.0.1 unless told otherwise).
set -euo pipefail
umask 077   # databases, logs and secrets are readable by this user only
source "$(dirname "$0")/env.sh"
bash scripts/setup.sh
bash scripts/train.sh --keep-last-good   # a bad data file never stops the assistant
source scripts/local_secrets.sh
chmod go-rwx ./*.db ./*.log 2>/dev/null || true   # files an earlier version left readable

export CLINIC_HOME=$PWD
export CLINIC_BIND_ADDRESS=${CLINIC_BIND_ADDRESS:-127.0.0.1}
export CLINIC_RUN_DIR=${CLINIC_RUN_DIR:-$PWD/run} CLINIC_LOG_DIR=${CLINIC_LOG_DIR:-$PWD}
export CLINIC_RASA_PORT=${CLINIC_RASA_PORT:-5005}
export CLINIC_REPLICAS=1 CLINIC_RASA_FIRST_PORT=$CLINIC_RASA_PORT CLINIC_PROXY=none
export CLINIC_ACTIONS_PORT=${CLINIC_ACTIONS_PORT:-5055} CLINIC_SITE_PORT=${CLINIC_SITE_PORT:-8000}
export CLINIC_STAFF_PORT=${CLINIC_STAFF_PORT:-8001} CLINIC_WORKER_PORT=${CLINIC_WORKER_PORT:-9105}
export CLINIC_MODEL=$MODEL CLINIC_CREDENTIALS=credentials.yml CLINIC_ENDPOINTS=endpoints.yml
export CLINIC_BOT_URL=http://localhost:$CLINIC_RASA_PORT
exec bash scripts/supervise.sh deploy/supervisor/run.conf
