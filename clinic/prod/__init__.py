"""The production topology on one machine: nginx in front of several Rasa replicas."""
