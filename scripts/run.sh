#!/usr/bin/env bash
# Starts the assistant: action server (5055), the notification worker, the Rasa
# server (5005: the widget's channel and the plain REST channel), the demo
# clinic page with the chat widget (8000) and the staff console (8001).
# Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash scripts/setup.sh
bash scripts/train.sh
python -m clinic.profile     # lists profile values the clinic still has to fill in

# Secrets from the environment, else one kept per checkout (so chats and API
# tokens survive a restart): the widget channel signs patient sessions with
# CLINIC_CHANNEL_SECRET; Rasa's HTTP API (model reload) checks JWTs signed with
# CLINIC_API_JWT_SECRET.
local_secret() {  # $1 variable name, $2 file
  if [ -z "${!1:-}" ]; then
    [ -s "$2" ] || (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(48))' > "$2")
    export "$1=$(cat "$2")"
  fi
}
local_secret CLINIC_CHANNEL_SECRET .channel-secret
local_secret CLINIC_API_JWT_SECRET .api-secret

pids=()
stop() { trap - INT TERM EXIT; echo; echo "==> Stopping"; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

rasa run actions --port 5055 > actions.log 2>&1 & pids+=($!)
python -m clinic.notifications > notifications.log 2>&1 & pids+=($!)   # email/webhook outbox
rasa run --model "$MODEL" --port 5005 --credentials credentials.yml --endpoints endpoints.yml \
  --enable-api --jwt-secret "$CLINIC_API_JWT_SECRET" --jwt-method HS256 > rasa.log 2>&1 & pids+=($!)
python -m clinic.demo_site --port 8000 --bot-url http://localhost:5005 > demo_site.log 2>&1 & pids+=($!)
python -m clinic.staff serve --port 8001 > staff_console.log 2>&1 & pids+=($!)

echo "==> Starting (the model takes ~20 s to load; logs: rasa.log, actions.log, notifications.log, demo_site.log, staff_console.log)"
for _ in $(seq 1 120); do
  curl -fs localhost:5005/ >/dev/null 2>&1 && break
  sleep 1
done
cat <<'TXT'

The clinic assistant is running.
  Open the demo clinic page and chat with the widget:  http://localhost:8000/
  Staff console (conversations, inbox, unanswered):   http://localhost:8001/
  Chat over REST (local tools and tests only):
    curl -s localhost:5005/webhooks/rest/webhook -H 'Content-Type: application/json' \
         -d '{"sender": "me", "message": "does dry needling hurt?"}'
  Chat in a terminal (in another shell):  .venv/bin/rasa shell --port 5006
  Booking requests land in clinic.db:  .venv/bin/python -m clinic.inbox list
  After `make train`, load the new model without stopping:  make reload
Press Ctrl-C to stop.
TXT
python -m clinic.staff has-accounts || cat <<'TXT'
No staff account yet. Create the first admin (in another terminal):
  .venv/bin/python -m clinic.staff add-account admin --role admin
TXT
wait -n "${pids[@]}"
