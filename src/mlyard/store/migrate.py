"""Schema upgrades through Alembic: the only way the schema is created or changed.

A server starts far more often than its schema changes, so the start-up check is cheap: the
revision stored in ``alembic_version`` is read with one query and compared with the head of the
revision files, read with :mod:`ast` (:func:`script_head`). Only when they differ, or when the
files cannot be read that way, is Alembic loaded (0.1 to 0.3 s of imports, with Mako and
every SQLAlchemy dialect) to upgrade.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

import mlyard
from mlyard.core.errors import ServiceUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(mlyard.__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def upgrade_or_explain(engine: Engine, display_url: str) -> tuple[str | None, str | None]:
    """Upgrade when needed and return the revisions (before, after); an unreachable or unusable
    database is one clear error, not a traceback."""
    try:
        before = current_revision(engine)
        if before is not None and before == script_head():
            return before, before
        upgrade(engine)
        return before, current_revision(engine)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig or exc).split())
        raise ServiceUnavailable(f"database {display_url} is not usable: {reason}", target="database_url") from exc


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it has no schema yet)."""
    with engine.connect() as conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except (OperationalError, ProgrammingError):
            # No alembic_version table: an empty database (any other trouble shows on the next query).
            conn.rollback()
            if _has_version_table(engine):
                raise
            return None
    if len(rows) > 1:  # several heads stored: let Alembic say what it makes of them
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None


def _has_version_table(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table("alembic_version")


def head_revision(engine: Engine) -> str | None:
    """The newest revision, as Alembic reads the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def script_head(versions: Path = VERSIONS_DIR) -> str | None:
    """The one head of the revision files, read without Alembic; None when there is not exactly
    one, or when a file does not declare its ``revision`` and ``down_revision`` as plain strings
    (then the caller asks Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        if path.name == "__init__.py":
            continue
        try:
            declared = _declared(ast.parse(path.read_bytes(), str(path)))
        except (OSError, SyntaxError, ValueError):
            return None
        if declared is None:
            return None
        revision, down = declared
        revisions.add(revision)
        parents.update(down)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _declared(module: ast.Module) -> tuple[str, tuple[str, ...]] | None:
    values: dict[str, object] = {}
    for node in module.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            names, value = [node.target.id], node.value
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names, value = [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
        else:
            continue
        for name in names:
            if name in ("revision", "down_revision"):
                values[name] = ast.literal_eval(value)
    revision, down = values.get("revision"), values.get("down_revision", "missing")
    if not isinstance(revision, str):
        return None
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        return revision, tuple(down)
    return None
