"""The staff console: conversations, the booking inbox, unanswered questions.

A separate Sanic app on its own port. It reads the Rasa tracker store (never
Rasa's code) and reads/writes the clinic database.
"""
