"""MLflow's experiment calls over the experiments service: create (not get-or-create), by id or
name, rename, tags, delete and restore, and search with MLflow's experiment filter.

An experiment's MLflow id is its mlyard id; ``"0"`` is ``Default`` (see :mod:`mlflow_compat`).
Archived experiments are active to MLflow (it has no archive); they still refuse new runs.
A workspace holds few experiments, so search filters, orders and pages them in memory, with an
offset in the page token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mlyard.core.entities.tracking import Experiment
from mlyard.core.errors import ExperimentAlreadyExists, InvalidFilter, ValidationError
from mlyard.core.ids import utcnow
from mlyard.core.names import name_key
from mlyard.services import experiments as svc
from mlyard.services.mlflow_compat import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    all_experiments,
    find_experiment,
    lifecycle_stage,
    to_ms,
)
from mlyard.services.mlflow_names import (
    MAX_MLFLOW_NAME,
    MLFLOW_NAME_TAG,
    answering_to,
    check_mlflow_name,
    mlflow_name,
    native_name,
)
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.runs import TrackingRepository

MAX_RESULTS = 1000
VIEWS = {"ACTIVE_ONLY": (True, False), "DELETED_ONLY": (False, True), "ALL": (True, True)}


def create_experiment(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str, tags: dict[str, str]
) -> Experiment:
    """A new experiment; a name already taken (by a deleted experiment too) is refused, as MLflow does.

    Any name MLflow allows is taken: one that mlyard's rule refuses gets a mlyard name made from
    it and keeps its MLflow name in a tag (:mod:`mlyard.services.mlflow_names`)."""
    check_mlflow_name(name)
    everything = all_experiments(p, subscription_id, resource_group, workspace)
    taken = answering_to(everything, name)
    if taken is None and name_key(name) == name_key(DEFAULT_EXPERIMENT_NAME):
        taken = find_experiment(p, subscription_id, resource_group, workspace, DEFAULT_EXPERIMENT_ID)
    if taken is not None:
        ws = get_workspace(p, subscription_id, resource_group, workspace)
        state = " (deleted: restore it, or choose another name)" if taken.deleted_at is not None else ""
        raise ExperimentAlreadyExists(
            f"Experiment '{mlflow_name(taken)}' already exists in workspace '{ws.name}'{state}.", target="name"
        )
    if MLFLOW_NAME_TAG in tags:
        raise ValidationError(f"The tag '{MLFLOW_NAME_TAG}' is mlyard's own: choose another key.", target="tags")
    native, kept = native_name(everything, name)
    with_name = {**tags, MLFLOW_NAME_TAG: kept} if kept is not None else tags
    return svc.get_or_create_experiment(p, subscription_id, resource_group, workspace, native, with_name)


def get_experiment_by_name(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str
) -> Experiment:
    """The experiment that answers to that MLflow name, deleted or not; ``Default`` always exists,
    as on an MLflow server."""
    if name_key(name) == name_key(DEFAULT_EXPERIMENT_NAME):
        return find_experiment(p, subscription_id, resource_group, workspace, DEFAULT_EXPERIMENT_ID)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    found: Experiment | None = None
    if isinstance(name, str) and len(name) <= MAX_MLFLOW_NAME:
        with p.db.read() as session:  # the common case, one query: the names are the same
            found = TrackingRepository(session).get_experiment(ws.id, name, include_deleted=True)
        if found is None or name_key(mlflow_name(found)) != name_key(name):
            found = answering_to(all_experiments(p, subscription_id, resource_group, workspace), name)
    if found is None:
        raise svc._not_found(ws.name, name)
    return found


def rename_experiment(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, experiment_id: str, new_name: str
) -> Experiment:
    check_mlflow_name(new_name, target="new_name")
    found = find_experiment(p, subscription_id, resource_group, workspace, experiment_id)
    everything = all_experiments(p, subscription_id, resource_group, workspace)
    other = answering_to((e for e in everything if e.id != found.id), new_name)
    if other is not None:
        raise ExperimentAlreadyExists(f"Experiment '{mlflow_name(other)}' already exists.", target="new_name")
    native, kept = native_name(everything, new_name, own_id=found.id)
    tags = {k: v for k, v in found.tags.items() if k != MLFLOW_NAME_TAG}
    if kept is not None:
        tags[MLFLOW_NAME_TAG] = kept
    with p.db.write() as session:
        TrackingRepository(session).update_experiment(
            found.id, name=native, name_key=name_key(native), tags=tags, updated_at=utcnow()
        )
    return find_experiment(p, subscription_id, resource_group, workspace, found.id)


def delete_experiment(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, experiment_id: str
) -> None:
    found = find_experiment(p, subscription_id, resource_group, workspace, experiment_id)
    svc.delete_experiment(p, subscription_id, resource_group, workspace, found.name)


def restore_experiment(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, experiment_id: str
) -> None:
    found = find_experiment(p, subscription_id, resource_group, workspace, experiment_id)
    svc.restore_experiment(p, subscription_id, resource_group, workspace, found.name)


def set_experiment_tag(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, experiment_id: str, key: str, value: str
) -> None:
    if key == MLFLOW_NAME_TAG:
        raise ValidationError(f"The tag '{MLFLOW_NAME_TAG}' is mlyard's own: rename the experiment instead.")
    found = find_experiment(p, subscription_id, resource_group, workspace, experiment_id)
    svc.update_experiment(p, subscription_id, resource_group, workspace, found.name, tags={key: value})


def delete_experiment_tag(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, experiment_id: str, key: str
) -> None:
    if key == MLFLOW_NAME_TAG:
        raise ValidationError(f"The tag '{MLFLOW_NAME_TAG}' is mlyard's own: rename the experiment instead.")
    found = find_experiment(p, subscription_id, resource_group, workspace, experiment_id)
    svc.update_experiment(p, subscription_id, resource_group, workspace, found.name, remove_tags=[key])


# -- search ---------------------------------------------------------------------------------

_CLAUSE = re.compile(
    r"""\s*(?:(?P<entity>attributes|attribute|attr|tags|tag)\.)?
        (?P<key>`[^`]+`|"[^"]+"|[\w.\-]+)\s*
        (?P<op>!=|<=|>=|=|<|>|(?i:ilike|like)(?=[\s'"]))\s*
        (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[-+]?\d+(?:\.\d+)?)\s*""",
    re.VERBOSE | re.IGNORECASE,
)
_AND = re.compile(r"and\s", re.IGNORECASE)
_TEXT_ATTRIBUTES = {"name", "experiment_id"}
_TIME_ATTRIBUTES = {"creation_time", "last_update_time"}
_ORDER = re.compile(r"\s*(?:(?:attributes|attribute|attr)\.)?(\w+)(?:\s+(asc|desc))?\s*", re.IGNORECASE)

Matcher = Callable[[Experiment], bool]


def _value_of(e: Experiment, key: str) -> Any:
    return {
        "name": mlflow_name(e),
        "experiment_id": e.id,
        "creation_time": to_ms(e.created_at),
        "last_update_time": to_ms(e.updated_at),
    }[key]


def _compare(have: Any, op: str, want: Any) -> bool:
    if have is None:
        return False
    if op in ("LIKE", "ILIKE"):
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(want))
        return re.fullmatch(pattern, str(have), re.DOTALL | (re.IGNORECASE if op == "ILIKE" else 0)) is not None
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return ops[op](have, want)


def _clause(match: re.Match[str]) -> Matcher:
    entity = (match["entity"] or "attributes").lower()
    key = match["key"].strip('`"')
    op = match["op"].upper()
    raw = match["value"]
    quoted = raw[0] in "'\""
    value: Any = re.sub(r"\\(.)", r"\1", raw[1:-1]) if quoted else float(raw)
    problem = None
    if entity.startswith("tag"):
        if not quoted or op not in ("=", "!=", "LIKE", "ILIKE"):
            problem = f"tags.{key} takes =, !=, LIKE or ILIKE and a quoted string"
    elif key in _TIME_ATTRIBUTES:
        if quoted or op in ("LIKE", "ILIKE"):
            problem = f"{key} takes =, !=, <, <=, >, >= and a number (milliseconds)"
    elif key in _TEXT_ATTRIBUTES:
        if not quoted or op not in ("=", "!=", "LIKE", "ILIKE"):
            problem = f"{key} takes =, !=, LIKE or ILIKE and a quoted string"
    else:
        problem = f"an attribute among {', '.join(sorted(_TEXT_ATTRIBUTES | _TIME_ATTRIBUTES))} or tags.<key>"
    if problem:
        raise InvalidFilter(f"Invalid filter at position {match.start()}: {problem}.", target="filter")
    if entity.startswith("tag"):
        return lambda e: key in e.tags and _compare(e.tags[key], op, value)
    return lambda e: _compare(_value_of(e, key), op, value)


def parse_experiment_filter(text: str | None) -> list[Matcher]:
    """MLflow's experiment filter: clauses such as ``name LIKE 'a%'``, ``tags.team = 'x'``,
    ``creation_time > 1700000000000``, joined by AND."""
    matchers: list[Matcher] = []
    pos, text = 0, text or ""
    while text[pos:].strip():
        match = _CLAUSE.match(text, pos)
        if match is None:
            raise InvalidFilter(
                f"Invalid filter at position {pos}: expected a clause such as name = 'x' or tags.key = 'v'.",
                target="filter",
            )
        matchers.append(_clause(match))
        pos = match.end()
        if pos < len(text):
            more = _AND.match(text, pos)
            if more is None:
                raise InvalidFilter(f"Invalid filter at position {pos}: expected AND or the end.", target="filter")
            pos = more.end()
    return matchers


def _sort(found: list[Experiment], order_by: Sequence[str]) -> list[Experiment]:
    keys: list[tuple[str, bool]] = []
    for item in order_by:
        match = _ORDER.fullmatch(item)
        if match is None or match[1] not in _TEXT_ATTRIBUTES | _TIME_ATTRIBUTES:
            raise InvalidFilter(
                f"Invalid order_by '{item}': one of name, experiment_id, creation_time, last_update_time, "
                "then ASC or DESC.",
                target="order_by",
            )
        keys.append((match[1], (match[2] or "asc").lower() == "desc"))
    keys = keys or [("creation_time", True)]
    ordered = sorted(found, key=lambda e: e.id)
    for key, descending in reversed(keys):  # stable sorts, last key first
        ordered.sort(key=lambda e, k=key: _value_of(e, k), reverse=descending)  # type: ignore[misc]
    return ordered


@dataclass(frozen=True)
class ExperimentPage:
    experiments: list[Experiment]
    next_page_token: str | None


def _token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "f": fingerprint}).encode()).decode().rstrip("=")


def _offset(token: str | None, fingerprint: str) -> int:
    if not token:
        return 0
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, stored = int(body["o"]), str(body["f"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationError(
            "This page token is not one that an experiment search gave.", target="page_token"
        ) from None
    if stored != fingerprint or offset < 0:
        raise ValidationError(
            "This page token belongs to another search: search again without it.", target="page_token"
        )
    return offset


def search_experiments(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    *,
    view_type: str = "ACTIVE_ONLY",
    filter: str | None = None,
    order_by: Sequence[str] = (),
    max_results: int | None = None,
    page_token: str | None = None,
) -> ExperimentPage:
    """One page of the workspace's experiments (at most 1000; more asked is answered in pages)."""
    if max_results is not None and max_results < 1:
        raise ValidationError("max_results must be a positive number.", target="max_results")
    limit = min(max_results or MAX_RESULTS, MAX_RESULTS)
    active, deleted = VIEWS[view_type]
    matchers = parse_experiment_filter(filter)
    fingerprint = hashlib.sha256(json.dumps([view_type, filter, list(order_by)]).encode()).hexdigest()[:16]
    start = _offset(page_token, fingerprint)
    found = [
        e
        for e in all_experiments(p, subscription_id, resource_group, workspace)
        if (active if lifecycle_stage(e.deleted_at) == "active" else deleted) and all(m(e) for m in matchers)
    ]
    ordered = _sort(found, order_by)
    page = ordered[start : start + limit]
    more = start + limit < len(ordered)
    return ExperimentPage(page, _token(start + limit, fingerprint) if more else None)
