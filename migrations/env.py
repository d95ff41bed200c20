"""Alembic environment. The app passes its own connection; the CLI falls back to DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.tables import metadata

config = context.config


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copy-and-move; a no-op elsewhere
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]
    with make_engine(url).begin() as fresh:
        run(fresh)
