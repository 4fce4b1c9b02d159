"""Two registrations of one datastore name at once: the loser's vault secret version is taken
back, whichever of the two wrote its version first; the winner's credentials stay in use."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.fixtures.moto import MotoS3

from mlyard.core.entities.datastores import S3Bucket
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import DatastoreAlreadyExists
from mlyard.core.scopes import Scope
from mlyard.services import datastore_files, datastores, subscriptions, vault, workspaces
from mlyard.services.platform import Platform

WS = ("sub1", "rg1", "ws1")
SCOPE = Scope(*WS)
SECRET = "datastore-lake"


@pytest.fixture
def p(platform: Platform, admin: Principal) -> Platform:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, *WS)
    return platform


@pytest.mark.parametrize("winner_writes_first", [True, False])
def test_the_loser_of_a_registration_race_leaves_no_secret(
    p: Platform,
    admin: Principal,
    moto_server: MotoS3,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    winner_writes_first: bool,
) -> None:
    mine = S3Bucket(s3_bucket, "test", "LOSER-key", None, moto_server.endpoint_url, "us-east-1")
    theirs = S3Bucket(s3_bucket, "test", "WINNER-key", None, moto_server.endpoint_url, "us-east-1")
    original = vault.set_secret
    calls = []

    def racing(*args: Any) -> Any:
        # The other registration runs to its end between this one's checks and its record.
        calls.append(args)
        if len(calls) > 1:
            return original(*args)
        if winner_writes_first:
            datastores.register_datastore(p, admin, *WS, "lake", theirs)
            return original(*args)
        info = original(*args)
        datastores.register_datastore(p, admin, *WS, "lake", theirs)
        return info

    monkeypatch.setattr(vault, "set_secret", racing)
    with pytest.raises(DatastoreAlreadyExists):
        datastores.register_datastore(p, admin, *WS, "lake", mine)

    live = vault.list_versions(p, SCOPE, SECRET)
    used = datastores.get_datastore(p, *WS, "lake").credentials
    assert used is not None and [s.version for s in live] == [used.version]
    assert json.loads(vault.get_secret(p, SCOPE, SECRET).value)["secret_access_key"] == "WINNER-key"
    datastore_files.upload(p, *WS, "lake", "a.txt", [b"x"])  # the winner's credentials work
    assert [f.name for f in datastore_files.list_files(p, *WS, "lake")] == ["a.txt"]
