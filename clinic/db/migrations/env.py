"""Alembic's entry point: migrations run on the connection clinic.db.migrate hands over,
or on the ini's URL when a developer runs alembic by hand."""

from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")
if connection is None:
    with create_engine(context.config.get_main_option("sqlalchemy.url")).begin() as connection:
        context.configure(connection=connection, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    # render_as_batch: SQLite alters a table by copying it, which Alembic does for us.
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
