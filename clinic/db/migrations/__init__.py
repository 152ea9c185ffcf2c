"""The clinic database's schema, versioned with Alembic (clinic/db/migrate.py runs it).

A schema change is a new file in versions/ (`alembic revision` with
clinic/db/migrations/alembic.ini, or a copy of the last file), never an edit of
an old one: clinics upgrade in place from whatever release they run.
"""
