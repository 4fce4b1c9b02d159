"""A lost race on a unique name answers what a later caller would get."""

from __future__ import annotations

import pytest

from mlyard.core.errors import Conflict, WorkspaceAlreadyExists, WorkspaceNotFound
from mlyard.services.races import same_answer_as_late_caller


def test_a_generic_conflict_becomes_the_specific_answer() -> None:
    with pytest.raises(WorkspaceAlreadyExists), same_answer_as_late_caller(lambda: WorkspaceAlreadyExists("taken")):
        raise Conflict("another request changed the same rows")


def test_a_conflict_stays_when_the_name_is_free_after_all() -> None:
    with pytest.raises(Conflict) as info, same_answer_as_late_caller(lambda: None):
        raise Conflict("another request changed the same rows")
    assert type(info.value) is Conflict


def test_specific_and_other_errors_pass_through_unchanged() -> None:
    with pytest.raises(WorkspaceAlreadyExists) as info, same_answer_as_late_caller(lambda: Conflict("no")):
        raise WorkspaceAlreadyExists("first")
    assert info.value.message == "first"
    with pytest.raises(WorkspaceNotFound), same_answer_as_late_caller(lambda: None):
        raise WorkspaceNotFound("gone")
