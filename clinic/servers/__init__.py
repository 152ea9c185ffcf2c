"""Launchers for the clinic's own servers: the Rasa server and the action server.

They exist so that `make run` and production bind to a chosen address only
(`CLINIC_BIND_ADDRESS`, loopback by default) and keep secrets off the command
line, where any local user could read them in /proc/<pid>/cmdline.
"""
