# Shared environment for the project's scripts (sourced, not run).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.venv/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL=3          # TensorFlow's start-up chatter
export RASA_TELEMETRY_ENABLED=false    # nothing leaves the machine
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="ignore::DeprecationWarning"
MODEL=models/clinic.tar.gz
