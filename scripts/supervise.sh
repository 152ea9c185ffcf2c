#!/usr/bin/env bash
# Starts every process of the assistant under supervisord ($1: its configuration)
# and says where to find them once the widget's channel answers. Sourced settings
# come from scripts/run.sh or scripts/prod.sh. Ctrl-C stops supervisord, which
# stops everything it started; a process that dies is started again.
set -euo pipefail
conf=$1
mkdir -p "$CLINIC_RUN_DIR" "$CLINIC_LOG_DIR"
python -m clinic.db.migrate              # the clinic database at the current schema
python -m clinic.prod.topology        # run/topology.json (and nginx.conf for make prod)
python -m clinic.profile              # lists profile values the clinic still has to fill in

(
  for _ in $(seq 1 180); do
    curl -fs "$CLINIC_BOT_URL/webhooks/clinic_web/" >/dev/null 2>&1 && break
    sleep 1
  done
  if ! curl -fs "$CLINIC_BOT_URL/webhooks/clinic_web/" >/dev/null 2>&1; then
    echo "The assistant does not answer at $CLINIC_BOT_URL after 3 minutes: see the logs in $CLINIC_LOG_DIR" >&2
    exit 0
  fi
  cat <<TXT

The clinic assistant is running (${CLINIC_REPLICAS} Rasa replica(s); logs in ${CLINIC_LOG_DIR}).
  Open the demo clinic page and chat with the widget:  http://localhost:${CLINIC_SITE_PORT}/
  Staff console (conversations, inbox, unanswered):   http://localhost:${CLINIC_STAFF_PORT}/
  Chat from a terminal, through the widget's channel:  .venv/bin/clinic chat "does dry needling hurt?"
  Every process and its state:  .venv/bin/supervisorctl -s unix://$CLINIC_RUN_DIR/supervisor.sock status
  After \`make train\`, load the new model without stopping:  make reload
Press Ctrl-C to stop.
TXT
  if [ -f models/training-failed.txt ]; then
    echo "WARNING: serving the last good model, not the newest data: $(cat models/training-failed.txt)." >&2
  fi
  python -m clinic.staff has-accounts || cat <<'TXT'
No staff account yet. Create the first admin (in another terminal):
  .venv/bin/python -m clinic.staff add-account admin --role admin
TXT
) &
exec supervisord -c "$conf"
