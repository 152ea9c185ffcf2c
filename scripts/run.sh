#!/usr/bin/env bash
# Starts the assistant: action server (5055), the notification worker, the Rasa
# server (5005: the widget's secure channel only), the demo clinic page with the
# chat widget (8000) and the staff console (8001). Every server listens on
# CLINIC_BIND_ADDRESS only (127.0.0.1 unless told otherwise).
# Ctrl-C stops everything it started.
set -euo pipefail
umask 077   # databases, logs and secrets are readable by this user only
source "$(dirname "$0")/env.sh"
bash scripts/setup.sh
bash scripts/train.sh
python -m clinic.profile     # lists profile values the clinic still has to fill in

source scripts/local_secrets.sh
export CLINIC_BIND_ADDRESS=${CLINIC_BIND_ADDRESS:-127.0.0.1}
chmod go-rwx ./*.db ./*.log 2>/dev/null || true   # files an earlier version left readable

pids=()
stop() { trap - INT TERM EXIT; echo; echo "==> Stopping"; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

# The clinic's launchers take secrets from the environment, never the command line.
python -m clinic.servers.actions --port 5055 > actions.log 2>&1 & pids+=($!)
python -m clinic.notifications > notifications.log 2>&1 & pids+=($!)   # email/webhook outbox
python -m clinic.servers.assistant --model "$MODEL" --port 5005 --credentials credentials.yml \
  --endpoints endpoints.yml > rasa.log 2>&1 & pids+=($!)
python -m clinic.demo_site --host "$CLINIC_BIND_ADDRESS" --port 8000 --bot-url http://localhost:5005 > demo_site.log 2>&1 & pids+=($!)
python -m clinic.staff serve --host "$CLINIC_BIND_ADDRESS" --port 8001 > staff_console.log 2>&1 & pids+=($!)

echo "==> Starting (the model takes ~20 s to load; logs: rasa.log, actions.log, notifications.log, demo_site.log, staff_console.log)"
for _ in $(seq 1 120); do
  curl -fs localhost:5005/ >/dev/null 2>&1 && break
  sleep 1
done
cat <<'TXT'

The clinic assistant is running.
  Open the demo clinic page and chat with the widget:  http://localhost:8000/
  Staff console (conversations, inbox, unanswered):   http://localhost:8001/
  Chat from a terminal, through the widget's channel:  .venv/bin/clinic chat "does dry needling hurt?"
  Chat in Rasa's shell (in another terminal):  make shell
  Booking requests land in clinic.db:  .venv/bin/python -m clinic.inbox list
  After `make train`, load the new model without stopping:  make reload
Press Ctrl-C to stop.
TXT
python -m clinic.staff has-accounts || cat <<'TXT'
No staff account yet. Create the first admin (in another terminal):
  .venv/bin/python -m clinic.staff add-account admin --role admin
TXT
wait -n "${pids[@]}"
