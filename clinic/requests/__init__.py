"""Booking and callback requests: the store (inbox and outbox), the notification worker and its
heartbeat, the command-line inbox, and the patient details a form reads."""
