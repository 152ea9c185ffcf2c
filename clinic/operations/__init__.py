"""Running the assistant: JSON logs and their retention, Prometheus metrics and health routes,
service ports, loading a new model into running servers, training progress."""
