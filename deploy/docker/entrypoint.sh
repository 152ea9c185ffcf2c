#!/bin/sh
# The image's one entry point: its first argument picks the process, with the command the
# supervisord configuration (deploy/supervisor/) and the systemd units (deploy/systemd/) run.
#   rasa     one Rasa server (replica 0 of its pod) on CLINIC_RASA_FIRST_PORT (5005)
#   actions  the action server on CLINIC_ACTIONS_PORT (5055)
#   console  the staff console on CLINIC_STAFF_PORT (8001)
#   worker   the notification worker (/health, /ready, /metrics on CLINIC_WORKER_PORT, 9105)
#   migrate  the clinic database at the current schema (Alembic), then exit
# Anything else is run as it is (e.g. `clinic inbox list`). Settings and secrets come from the
# environment only, never from a command line.
set -eu
role=${1:-rasa}
[ $# -gt 0 ] && shift
case "$role" in
  rasa)
    export CLINIC_SERVICE="${CLINIC_SERVICE:-rasa}"
    exec python -m clinic.servers.assistant --replica 0 --model "${CLINIC_MODEL:-models/clinic.tar.gz}" \
      --credentials "${CLINIC_CREDENTIALS:-credentials.yml}" --endpoints "${CLINIC_ENDPOINTS:-deploy/endpoints.yml}" \
      --logging-config-file deploy/logging.yml "$@" ;;
  actions)
    export CLINIC_SERVICE="${CLINIC_SERVICE:-actions}"
    exec python -m clinic.servers.actions "$@" ;;
  console)
    export CLINIC_SERVICE="${CLINIC_SERVICE:-staff_console}"
    exec python -m clinic.staff serve "$@" ;;
  worker)
    export CLINIC_SERVICE="${CLINIC_SERVICE:-notifications}"
    exec python -m clinic.requests.notifications "$@" ;;
  migrate)
    export CLINIC_SERVICE="${CLINIC_SERVICE:-migrate}"
    exec python -m clinic.db.migrate "$@" ;;
  *)
    exec "$role" "$@" ;;
esac
