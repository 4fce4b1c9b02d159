"""Schema upgrades through Alembic: the only way the schema is created or changed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

import mlyard
from mlyard.core.errors import ServiceUnavailable

MIGRATIONS_DIR = Path(mlyard.__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def upgrade_or_explain(engine: Engine, display_url: str) -> tuple[str | None, str | None]:
    """Upgrade and return the revisions (before, after); an unreachable or unusable database is
    one clear error, not a traceback."""
    try:
        before = current_revision(engine)
        upgrade(engine)
        return before, current_revision(engine)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig or exc).split())
        raise ServiceUnavailable(f"database {display_url} is not usable: {reason}", target="database_url") from exc


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
