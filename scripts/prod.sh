#!/usr/bin/env bash
# The production topology on one machine: CLINIC_REPLICAS (2) single-worker Rasa
# servers behind nginx (5005), the action server, the notification worker, the
# demo page and the staff console, all supervised; conversations and the clinic
# database in PostgreSQL, locks and rate limits in Redis. Settings come from the
# environment (docs/settings.md); the defaults suit this machine's services.
set -euo pipefail
umask 077
source "$(dirname "$0")/env.sh"
bash scripts/setup.sh
bash scripts/install_nginx.sh
bash scripts/train.sh --keep-last-good   # a bad data file never stops the assistant
source scripts/local_secrets.sh

export CLINIC_HOME=$PWD
export CLINIC_BIND_ADDRESS=${CLINIC_BIND_ADDRESS:-127.0.0.1}          # replicas, actions, console, worker
export CLINIC_PUBLIC_BIND_ADDRESS=${CLINIC_PUBLIC_BIND_ADDRESS:-$CLINIC_BIND_ADDRESS}   # nginx alone
export CLINIC_RUN_DIR=${CLINIC_RUN_DIR:-$PWD/run} CLINIC_LOG_DIR=${CLINIC_LOG_DIR:-$PWD/logs}
export CLINIC_REPLICAS=${CLINIC_REPLICAS:-2} CLINIC_RASA_FIRST_PORT=${CLINIC_RASA_FIRST_PORT:-5010}
export CLINIC_PROXY=nginx CLINIC_PUBLIC_PORT=${CLINIC_PUBLIC_PORT:-5005}
export CLINIC_ACTIONS_PORT=${CLINIC_ACTIONS_PORT:-5055} CLINIC_SITE_PORT=${CLINIC_SITE_PORT:-8000}
export CLINIC_STAFF_PORT=${CLINIC_STAFF_PORT:-8001} CLINIC_WORKER_PORT=${CLINIC_WORKER_PORT:-9105}
export CLINIC_MODEL=$MODEL CLINIC_CREDENTIALS=${CLINIC_CREDENTIALS:-credentials.yml}
export CLINIC_ENDPOINTS=deploy/endpoints.yml
export CLINIC_BOT_URL=${CLINIC_BOT_URL:-http://localhost:$CLINIC_PUBLIC_PORT}
export CLINIC_ACTION_SERVER_URL=${CLINIC_ACTION_SERVER_URL:-http://127.0.0.1:$CLINIC_ACTIONS_PORT/webhook}
# PostgreSQL: conversations and the clinic database; Redis: locks (db 1) and rate limits (db 2).
export CLINIC_POSTGRES_HOST=${CLINIC_POSTGRES_HOST:-127.0.0.1} CLINIC_POSTGRES_DB=${CLINIC_POSTGRES_DB:-clinic}
export CLINIC_POSTGRES_USER=${CLINIC_POSTGRES_USER:-postgres} CLINIC_POSTGRES_PASSWORD=${CLINIC_POSTGRES_PASSWORD:-}
export CLINIC_REDIS_HOST=${CLINIC_REDIS_HOST:-127.0.0.1}
password=$(python -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$CLINIC_POSTGRES_PASSWORD")
pg="postgresql://${CLINIC_POSTGRES_USER}${password:+:$password}@${CLINIC_POSTGRES_HOST}/${CLINIC_POSTGRES_DB}"
export CLINIC_DB_URL=${CLINIC_DB_URL:-$pg} CLINIC_TRACKER_DB_URL=${CLINIC_TRACKER_DB_URL:-$pg}
export CLINIC_WEB_LIMITS_STORAGE=${CLINIC_WEB_LIMITS_STORAGE:-redis://$CLINIC_REDIS_HOST:6379/2}
# The clinic's own proxies or load balancers in front of nginx, if any (addresses or networks):
# only their X-Forwarded-For names the patient. Empty: nginx is the edge.
export CLINIC_UPSTREAM_PROXIES=${CLINIC_UPSTREAM_PROXIES:-}
# /ready and /metrics answer only this token (Prometheus reads it from its `authorization` credentials_file).
mkdir -p "$CLINIC_RUN_DIR"
local_secret CLINIC_METRICS_TOKEN "$CLINIC_RUN_DIR/metrics-token"
export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-20}   # a replica killed mid-turn blocks its conversation at most 20 s
exec bash scripts/supervise.sh deploy/supervisor/prod.conf
