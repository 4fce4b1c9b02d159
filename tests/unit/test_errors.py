"""The error tree: codes, statuses, the wire body and its round trip through error_from_body."""

from __future__ import annotations

from typing import Any

import pytest

from mlyard.core import errors as E
from mlyard.core.errors import MlyardError, base, error_class, error_from_body


def all_error_classes() -> list[type[MlyardError]]:
    out: list[type[MlyardError]] = [MlyardError]
    stack = list(MlyardError.__subclasses__())
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack.extend(cls.__subclasses__())
    return out


# The documented tree: class -> (code, status, parent).
TREE: dict[type[MlyardError], tuple[str, int, type[Exception]]] = {
    E.MlyardError: ("InternalError", 500, Exception),
    E.ValidationError: ("ValidationError", 400, E.MlyardError),
    E.InvalidName: ("InvalidName", 400, E.ValidationError),
    E.InvalidTemplate: ("InvalidTemplate", 400, E.ValidationError),
    E.InvalidConfig: ("InvalidConfig", 400, E.ValidationError),
    E.InvalidBlobPath: ("InvalidBlobPath", 400, E.ValidationError),
    E.InvalidScope: ("InvalidScope", 400, E.ValidationError),
    E.AuthenticationError: ("AuthenticationFailed", 401, E.MlyardError),
    E.AuthorizationError: ("AuthorizationFailed", 403, E.MlyardError),
    E.NotFound: ("NotFound", 404, E.MlyardError),
    E.SubscriptionNotFound: ("SubscriptionNotFound", 404, E.NotFound),
    E.ResourceGroupNotFound: ("ResourceGroupNotFound", 404, E.NotFound),
    E.WorkspaceNotFound: ("WorkspaceNotFound", 404, E.NotFound),
    E.DatastoreNotFound: ("DatastoreNotFound", 404, E.NotFound),
    E.UserNotFound: ("UserNotFound", 404, E.NotFound),
    E.TokenNotFound: ("TokenNotFound", 404, E.NotFound),
    E.RoleDefinitionNotFound: ("RoleDefinitionNotFound", 404, E.NotFound),
    E.RoleAssignmentNotFound: ("RoleAssignmentNotFound", 404, E.NotFound),
    E.DeploymentNotFound: ("DeploymentNotFound", 404, E.NotFound),
    E.BlobNotFound: ("BlobNotFound", 404, E.NotFound),
    E.Conflict: ("Conflict", 409, E.MlyardError),
    E.SubscriptionAlreadyExists: ("SubscriptionAlreadyExists", 409, E.Conflict),
    E.ResourceGroupAlreadyExists: ("ResourceGroupAlreadyExists", 409, E.Conflict),
    E.WorkspaceAlreadyExists: ("WorkspaceAlreadyExists", 409, E.Conflict),
    E.UserAlreadyExists: ("UserAlreadyExists", 409, E.Conflict),
    E.RoleAssignmentAlreadyExists: ("RoleAssignmentAlreadyExists", 409, E.Conflict),
    E.ResourceNotEmpty: ("ResourceNotEmpty", 409, E.Conflict),
    E.ServiceUnavailable: ("ServiceUnavailable", 503, E.MlyardError),
    E.ServiceUnreachable: ("ServiceUnreachable", 503, E.MlyardError),
}


@pytest.mark.parametrize("cls", list(TREE), ids=lambda c: c.__name__)
def test_codes_statuses_and_parents(cls: type[MlyardError]) -> None:
    code, status, parent = TREE[cls]
    assert cls.code == code
    assert cls.status == status
    assert cls.__bases__ == (parent,)
    assert error_class(code) is cls


def test_every_class_in_the_module_is_drawn_in_the_docstring() -> None:
    in_module = {c for c in all_error_classes() if c.__module__.startswith(E.__name__ + ".")}
    assert set(TREE) <= in_module
    for cls in in_module:
        assert cls.__name__ in (E.__doc__ or ""), f"{cls.__name__} is missing from the docstring's tree"
        assert 400 <= cls.status <= 599, cls


def test_codes_are_unique() -> None:
    classes = all_error_classes()
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))


def test_a_new_subclass_registers_under_its_name_or_its_own_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))  # the test's classes leave no trace

    class GadgetNotFound(E.NotFound):
        pass

    class GadgetBroken(E.AuthenticationError):
        code = "GadgetBroke"

    assert GadgetNotFound.code == "GadgetNotFound" and GadgetNotFound.status == 404
    assert GadgetBroken.code == "GadgetBroke" and GadgetBroken.status == 401
    assert error_class("GadgetNotFound") is GadgetNotFound
    assert type(error_from_body(404, GadgetNotFound("x").to_body())) is GadgetNotFound
    assert type(error_from_body(401, GadgetBroken("x").to_body())) is GadgetBroken


def test_to_body_shape() -> None:
    err = E.WorkspaceNotFound("Workspace 'w' was not found.", target="workspaceName")
    assert err.to_body() == {
        "error": {"code": "WorkspaceNotFound", "message": "Workspace 'w' was not found.", "target": "workspaceName"}
    }
    assert E.MlyardError("boom").to_body() == {"error": {"code": "InternalError", "message": "boom", "target": None}}
    assert str(err) == err.message == "Workspace 'w' was not found."
    assert err.target == "workspaceName"


def test_errors_are_keyword_only_for_target() -> None:
    with pytest.raises(TypeError):
        E.NotFound("m", "t")  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda c: c.__name__)
def test_round_trip_of_every_registered_class(cls: type[MlyardError]) -> None:
    sent = cls("something went wrong", target="someField")
    back = error_from_body(cls.status, sent.to_body())
    assert type(back) is cls
    assert back.message == "something went wrong"
    assert back.target == "someField"
    assert back.to_body() == sent.to_body()
    untargeted = error_from_body(cls.status, cls("no target").to_body())
    assert type(untargeted) is cls and untargeted.target is None


def test_a_known_code_wins_over_the_status() -> None:
    err = error_from_body(500, {"error": {"code": "WorkspaceNotFound", "message": "gone"}})
    assert type(err) is E.WorkspaceNotFound


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, E.ValidationError),
        (401, E.AuthenticationError),
        (403, E.AuthorizationError),
        (404, E.NotFound),
        (409, E.Conflict),
        (422, E.ValidationError),
        (503, E.ServiceUnavailable),
        (500, E.MlyardError),
        (418, E.MlyardError),
        (502, E.MlyardError),
    ],
)
def test_unknown_codes_fall_back_by_status(status: int, expected: type[MlyardError]) -> None:
    err = error_from_body(status, {"error": {"code": "SomethingNew", "message": "new kind", "target": "x"}})
    assert type(err) is expected
    assert err.message == "new kind"
    assert err.target == "x"


@pytest.mark.parametrize(
    "body",
    [
        "<html>Bad Gateway</html>",
        None,
        [],
        {"detail": "Not Found"},
        {"error": "just a string"},
        {"error": {"message": "no code"}},
        {"error": {"code": 404}},
    ],
)
def test_bodies_without_an_error_code_fall_back_by_status(body: Any) -> None:
    err = error_from_body(404, body)
    assert type(err) is E.NotFound
    assert err.message.startswith("HTTP 404")


def test_a_long_foreign_body_is_cut() -> None:
    err = error_from_body(409, "x" * 10_000)
    assert type(err) is E.Conflict
    assert len(err.message) < 600


def test_missing_message_uses_the_code_and_bad_target_is_dropped() -> None:
    err = error_from_body(404, {"error": {"code": "UserNotFound", "target": 5}})
    assert type(err) is E.UserNotFound
    assert err.message == "UserNotFound"
    assert err.target is None


def test_error_class_of_unknown_code_is_the_base() -> None:
    assert error_class("NoSuchCode") is MlyardError
    assert error_class("InternalError") is MlyardError
