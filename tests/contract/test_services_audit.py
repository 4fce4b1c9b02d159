"""The audit log service on SQLite and PostgreSQL: record, filters, keyset paging, scope containment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mlyard.core.actions import any_matches
from mlyard.core.entities.audit import AuditEntry, AuditQuery, AuditRecord, AuditResult
from mlyard.core.errors import ValidationError
from mlyard.core.scopes import Scope
from mlyard.services import audit
from mlyard.services.roles import BUILTIN_ROLES
from mlyard.store.database import Database

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def entry(**changes: object) -> AuditEntry:
    base = AuditEntry(
        at=T0,
        principal_id="p-alice",
        principal_type="User",
        principal_name="Alice",
        auth_method="token",
        action="workspaces/write",
        scope="/subscriptions/s1/resourceGroups/rg1",
        target="/api/v1/subscriptions/s1/resourceGroups/rg1/workspaces",
        method="POST",
        status=201,
        result=AuditResult.ALLOWED,
        reason=None,
        client_address="127.0.0.1",
        request_id="req-1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def listed(db: Database, **filters: object) -> list[AuditRecord]:
    return list(audit.list_records(db, AuditQuery(**filters)).records)  # type: ignore[arg-type]


def test_a_record_reads_back_as_written(database: Database) -> None:
    written = audit.record(database, entry())
    (found,) = listed(database)
    assert found == written
    assert found.at == T0 and found.at.tzinfo is not None and found.at.utcoffset() == timedelta(0)
    assert found.result is AuditResult.ALLOWED
    assert (found.principal_name, found.action, found.status, found.request_id) == (
        "Alice",
        "workspaces/write",
        201,
        "req-1",
    )


def test_a_denial_without_a_principal_or_action(database: Database) -> None:
    audit.record(
        database,
        entry(
            principal_id=None,
            principal_type=None,
            principal_name=None,
            auth_method="token",
            action=None,
            scope=None,
            method="GET",
            status=401,
            result=AuditResult.DENIED,
            reason="InvalidCredentials",
        ),
    )
    (found,) = listed(database)
    assert (found.principal_id, found.action, found.scope) == (None, None, None)
    assert (found.result, found.reason) == (AuditResult.DENIED, "InvalidCredentials")
    assert listed(database, scope=Scope.parse("/subscriptions/s1")) == []


def test_times_are_kept_in_utc(database: Database) -> None:
    naive_noon = T0.replace(tzinfo=None)
    audit.record(database, entry(at=datetime(2026, 11, 27, 13, 0, tzinfo=UTC).astimezone()))
    (found,) = listed(database)
    assert found.at == datetime(2026, 11, 27, 13, 0, tzinfo=UTC) and found.at.tzinfo == UTC
    # A time without a zone in a query is UTC.
    assert listed(database, since=naive_noon) == [found]
    assert listed(database, since=naive_noon + timedelta(hours=2)) == []


def test_newest_first(database: Database) -> None:
    for minute in (5, 1, 9, 3):
        audit.record(database, entry(at=T0 + timedelta(minutes=minute), request_id=f"r{minute}"))
    assert [r.request_id for r in listed(database)] == ["r9", "r5", "r3", "r1"]


def test_filter_by_principal_name_or_id(database: Database) -> None:
    audit.record(database, entry(request_id="a"))
    audit.record(database, entry(principal_id="p-bob", principal_name="bob", request_id="b"))
    assert [r.request_id for r in listed(database, principal="alice")] == ["a"]
    assert [r.request_id for r in listed(database, principal="BOB")] == ["b"]
    assert [r.request_id for r in listed(database, principal="p-bob")] == ["b"]
    assert listed(database, principal="carol") == []


def test_filter_by_time_window(database: Database) -> None:
    for minute in range(5):
        audit.record(database, entry(at=T0 + timedelta(minutes=minute), request_id=f"r{minute}"))
    window = listed(database, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert [r.request_id for r in window] == ["r2", "r1"]  # since inclusive, until exclusive


def test_filter_by_action_pattern(database: Database) -> None:
    for action in ("workspaces/write", "workspaces/computes/write", "workspaces/secrets/read", "subscriptions/write"):
        audit.record(database, entry(action=action, request_id=action))
    assert {r.action for r in listed(database, action="workspaces/*")} == {
        "workspaces/write",
        "workspaces/computes/write",
        "workspaces/secrets/read",
    }
    assert {r.action for r in listed(database, action="*/WRITE")} == {
        "workspaces/write",
        "workspaces/computes/write",
        "subscriptions/write",
    }
    assert [r.action for r in listed(database, action="Microsoft.MachineLearningServices/workspaces/secrets/read")] == [
        "workspaces/secrets/read"
    ]
    # '_' and '%' are literal characters, not wildcards.
    assert listed(database, action="workspaces_write") == []
    assert listed(database, action="%") == []


def test_filter_by_result(database: Database) -> None:
    audit.record(database, entry(request_id="ok"))
    audit.record(database, entry(status=403, result=AuditResult.DENIED, reason="ActionNotAllowed", request_id="no"))
    assert [r.request_id for r in listed(database, result=AuditResult.DENIED)] == ["no"]
    assert [r.request_id for r in listed(database, result=AuditResult.ALLOWED)] == ["ok"]


def test_the_scope_filter_includes_everything_below(database: Database) -> None:
    scopes = {
        "root": "/",
        "s1": "/subscriptions/s1",
        "rg1": "/subscriptions/s1/resourceGroups/rg1",
        "ws1": "/subscriptions/s1/resourceGroups/rg1/workspaces/ws1",
        "rg10": "/subscriptions/s1/resourceGroups/rg10",  # shares rg1's prefix, is not below it
        "s2": "/subscriptions/s2",
    }
    for name, scope in scopes.items():
        audit.record(database, entry(scope=scope, request_id=name))

    def ids(scope: str) -> set[str]:
        return {r.request_id for r in listed(database, scope=Scope.parse(scope))}

    assert ids("/") == set(scopes)
    assert ids("/subscriptions/s1") == {"s1", "rg1", "ws1", "rg10"}
    assert ids("/subscriptions/S1/resourcegroups/RG1") == {"rg1", "ws1"}
    assert ids("/subscriptions/s1/resourceGroups/rg1/workspaces/ws1") == {"ws1"}
    assert ids("/subscriptions/s3") == set()


def test_keyset_paging_visits_every_record_once(database: Database) -> None:
    # Several records share a timestamp: the id breaks the tie, so none is skipped or repeated.
    for i in range(23):
        audit.record(database, entry(at=T0 + timedelta(seconds=i // 3), request_id=f"r{i:02d}"))
    seen: list[AuditRecord] = []
    cursor = None
    pages = 0
    while True:
        page = audit.list_records(database, AuditQuery(limit=5, cursor=cursor))
        pages += 1
        seen += page.records
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 5 and len(seen) == 23
    assert len({r.id for r in seen}) == 23
    assert seen == listed(database, limit=100)
    assert [r.at for r in seen] == sorted((r.at for r in seen), reverse=True)


def test_paging_keeps_the_filters(database: Database) -> None:
    for i in range(6):
        result = AuditResult.DENIED if i % 2 else AuditResult.ALLOWED
        audit.record(database, entry(at=T0 + timedelta(minutes=i), result=result, request_id=f"r{i}"))
    first = audit.list_records(database, AuditQuery(result=AuditResult.DENIED, limit=2))
    assert [r.request_id for r in first.records] == ["r5", "r3"] and first.next_cursor
    rest = audit.list_records(database, AuditQuery(result=AuditResult.DENIED, limit=2, cursor=first.next_cursor))
    assert [r.request_id for r in rest.records] == ["r1"] and rest.next_cursor is None


def test_an_exact_page_has_no_next_cursor(database: Database) -> None:
    for i in range(3):
        audit.record(database, entry(request_id=f"r{i}"))
    assert audit.list_records(database, AuditQuery(limit=3)).next_cursor is None


# The last one is a well-formed cursor whose time lies before the calendar once in UTC.
BEFORE_TIME = "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwgIngiXQ"


@pytest.mark.parametrize("cursor", ["not-a-cursor", "e30", "WyJ4IiwxXQ", "%%%", BEFORE_TIME])
def test_a_foreign_cursor_is_refused(database: Database, cursor: str) -> None:
    with pytest.raises(ValidationError) as caught:
        audit.list_records(database, AuditQuery(cursor=cursor))
    assert caught.value.target == "cursor"


@pytest.mark.parametrize("limit", [0, audit.MAX_LIMIT + 1])
def test_a_limit_out_of_range_is_refused(database: Database, limit: int) -> None:
    with pytest.raises(ValidationError):
        audit.list_records(database, AuditQuery(limit=limit))


def test_long_values_are_clipped(database: Database) -> None:
    audit.record(database, entry(target="/api/v1/" + "x" * 5000, principal_name="n" * 400))
    (found,) = listed(database)
    assert len(found.target) <= 2048 and found.target.startswith("/api/v1/xxx")
    assert found.principal_name is not None and len(found.principal_name) <= 255


def test_only_owner_may_read_the_audit_log() -> None:
    def allows(actions: tuple[str, ...], not_actions: tuple[str, ...]) -> bool:
        return any_matches(actions, "auditLogs/read") and not any_matches(not_actions, "auditLogs/read")

    assert {r.name for r in BUILTIN_ROLES if allows(r.actions, r.not_actions)} == {"Owner"}


def test_a_time_beyond_the_calendar_is_refused(database: Database) -> None:
    edge = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    with pytest.raises(ValidationError) as caught:
        audit.list_records(database, AuditQuery(since=edge))
    assert caught.value.target == "since"
