"""Alembic environment: runs on the engine that mlyard passes in (``config.attributes``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from mlyard.store.database import METADATA

config = context.config


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine  # type: ignore[no-any-return]
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("mlyard migrations need an engine or sqlalchemy.url")
    return create_engine(url)


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=METADATA,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
