# Secrets for `make run` and `make shell` (sourced): from the environment, else
# one kept per checkout in a file only this user can read, so chats and API
# tokens survive a restart. Exported to child processes, never put on a command line.
#   CLINIC_CHANNEL_SECRET        signs patient sessions of the widget's channel
#   CLINIC_API_JWT_SECRET        Rasa's HTTP API (model reload) checks JWTs signed with it
#   CLINIC_ACTION_SERVER_SECRET  the action server refuses calls without it
local_secret() {  # $1 variable name, $2 file
  if [ -z "${!1:-}" ]; then
    [ -s "$2" ] || (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(48))' > "$2")
    chmod 600 "$2"
    export "$1=$(cat "$2")"
  fi
}
local_secret CLINIC_CHANNEL_SECRET .channel-secret
local_secret CLINIC_API_JWT_SECRET .api-secret
local_secret CLINIC_ACTION_SERVER_SECRET .action-server-secret
