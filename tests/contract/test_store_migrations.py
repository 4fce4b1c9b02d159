"""Migrations on SQLite and PostgreSQL: the revisions build exactly the schema the models declare."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect

from mlyard.store import migrate
from mlyard.store.database import METADATA, Database
from mlyard.store.migrate import MIGRATIONS_DIR
from mlyard.store.rbac import RbacRepository


@pytest.fixture
def empty_db(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()


def schema_differences(db: Database, metadata: MetaData = METADATA) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_an_empty_database_has_no_revision(empty_db: Database) -> None:
    assert migrate.current_revision(empty_db.engine) is None
    assert migrate.head_revision(empty_db.engine) is not None


def test_upgrade_builds_exactly_the_models(empty_db: Database) -> None:
    migrate.upgrade(empty_db.write_engine)
    differences = schema_differences(empty_db)
    assert differences == [], (
        "the models and the migrations disagree: write a revision (alembic revision --autogenerate) for:\n"
        + "\n".join(map(str, differences))
    )


def test_every_model_table_exists_after_upgrade(empty_db: Database) -> None:
    migrate.upgrade(empty_db.write_engine)
    tables = set(inspect(empty_db.engine).get_table_names())
    assert set(METADATA.tables) <= tables
    assert "alembic_version" in tables


def test_current_revision_is_head(empty_db: Database) -> None:
    migrate.upgrade(empty_db.write_engine)
    head = migrate.head_revision(empty_db.engine)
    assert head is not None
    assert migrate.current_revision(empty_db.engine) == head


def test_upgrading_twice_is_a_no_op(empty_db: Database) -> None:
    migrate.upgrade(empty_db.write_engine)
    before = migrate.current_revision(empty_db.engine)
    tables_before = sorted(inspect(empty_db.engine).get_table_names())
    migrate.upgrade(empty_db.write_engine)
    migrate.upgrade(empty_db.write_engine, "head")
    assert migrate.current_revision(empty_db.engine) == before
    assert sorted(inspect(empty_db.engine).get_table_names()) == tables_before
    assert schema_differences(empty_db) == []


def test_upgrade_keeps_existing_rows(database: Database) -> None:
    """The `database` fixture is migrated and has the built-in roles; upgrading again keeps them."""
    with database.read() as session:
        before = [r.name for r in RbacRepository(session).list_roles()]
    assert before
    migrate.upgrade(database.write_engine)
    with database.read() as session:
        assert [r.name for r in RbacRepository(session).list_roles()] == before


def test_the_comparison_would_see_a_model_change(empty_db: Database) -> None:
    """A column added to a model without a revision is caught (so the check above is not vacuous)."""
    migrate.upgrade(empty_db.write_engine)
    changed = MetaData(naming_convention=METADATA.naming_convention)
    for table in METADATA.tables.values():
        table.to_metadata(changed)
    changed.tables["workspaces"].append_column(Column("new_column", Integer, nullable=True))
    differences = schema_differences(empty_db, changed)
    assert [d[0] for d in differences] == ["add_column"]  # type: ignore[index]


def test_one_linear_history() -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    assert len(heads) == 1, f"several heads {heads}: merge them"
    revisions = list(script.walk_revisions())
    assert revisions[-1].down_revision is None
    for rev in revisions:
        assert rev.doc, f"revision {rev.revision} has no message"


def test_the_start_up_check_reads_the_same_head_as_alembic(tmp_path: Path) -> None:
    """``mlyard up`` skips Alembic when the stored revision is the head it reads with ast."""
    assert migrate.script_head() == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    # A file it cannot read plainly, or a second head, sends the start to Alembic.
    (tmp_path / "0001_a.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text('revision = "b"\ndown_revision = "a"\n')
    assert migrate.script_head(tmp_path) == "b"
    (tmp_path / "0003_c.py").write_text('revision = "c"\ndown_revision = "a"\n')
    assert migrate.script_head(tmp_path) is None
    (tmp_path / "0003_c.py").write_text('revision = make_id()\ndown_revision = "b"\n')
    assert migrate.script_head(tmp_path) is None
