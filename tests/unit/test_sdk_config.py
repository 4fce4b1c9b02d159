"""Where the SDK finds its workspace config and its credentials, and how it refuses bad files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mlyard.core.errors import InvalidConfig
from mlyard.sdk.config import (
    CONFIG_CANDIDATES,
    DEFAULT_ENDPOINT,
    WorkspaceConfig,
    credentials_path,
    find_config,
    load_config,
    load_credentials,
    remove_credentials,
    resolve_endpoint,
    save_credentials,
    token_for,
    write_config,
)

GOOD = {"subscription_id": "sub", "resource_group": "rg", "workspace_name": "ws"}


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty MLYARD_HOME, no MLYARD_* variables, and an empty working folder."""
    for key in [k for k in os.environ if k.startswith("MLYARD_")]:
        monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("MLYARD_HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


def no_config_above(folder: Path) -> None:
    for parent in (folder, *folder.parents):
        for name in CONFIG_CANDIDATES:
            if (parent / name).is_file():
                pytest.skip(f"a stray {parent / name} would be found first")


def put(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


# config.json search


def test_candidates_are_azure_names_first() -> None:
    assert CONFIG_CANDIDATES == ("config.json", ".azureml/config.json", ".mlyard/config.json")


def test_search_order_within_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    mlyard_cfg = put(folder / ".mlyard" / "config.json", GOOD)
    assert find_config() == mlyard_cfg
    azureml_cfg = put(folder / ".azureml" / "config.json", GOOD)
    assert find_config() == azureml_cfg
    plain = put(folder / "config.json", GOOD)
    assert find_config() == plain


def test_search_walks_up_the_parents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / "work" / "a" / "b" / "c"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    top = put(tmp_path / "work" / ".azureml" / "config.json", GOOD)
    assert find_config() == top
    middle = put(tmp_path / "work" / "a" / ".mlyard" / "config.json", GOOD)
    assert find_config() == middle  # the nearest folder wins over a better name further up
    nearest = put(deep / "config.json", GOOD)
    assert find_config() == nearest


def test_an_explicit_folder_or_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "sub"
    other.mkdir(parents=True)
    cfg = put(tmp_path / "elsewhere" / ".azureml" / "config.json", GOOD)
    assert find_config(other) == cfg
    assert find_config(str(other)) == cfg
    odd = put(tmp_path / "named" / "my-workspace.json", GOOD)
    assert find_config(odd) == odd


def test_mlyard_home_is_the_fallback(isolated: Path, tmp_path: Path) -> None:
    no_config_above(tmp_path / "work")
    assert find_config() is None
    home_cfg = put(isolated / "config.json", GOOD)
    assert find_config() == home_cfg
    local = put(tmp_path / "work" / ".azureml" / "config.json", GOOD)
    assert find_config() == local


def test_load_a_good_config(tmp_path: Path) -> None:
    file = put(tmp_path / "c.json", {**GOOD, "endpoint": "http://127.0.0.1:9000", "extra": 1})
    cfg = load_config(file)
    assert cfg == WorkspaceConfig("sub", "rg", "ws", "http://127.0.0.1:9000", file)
    no_endpoint = load_config(put(tmp_path / "d.json", {k: f"  {v} " for k, v in GOOD.items()}))
    assert (no_endpoint.subscription_id, no_endpoint.resource_group, no_endpoint.workspace_name) == ("sub", "rg", "ws")
    assert no_endpoint.endpoint is None


# malformed files


def test_bad_json_names_the_file_and_line(tmp_path: Path) -> None:
    file = put(tmp_path / "config.json", '{\n  "subscription_id": "sub",\n  "resource_group": rg\n}\n')
    with pytest.raises(InvalidConfig) as info:
        load_config(file)
    assert str(file) in info.value.message
    assert "line 3" in info.value.message
    assert info.value.target == str(file)


@pytest.mark.parametrize("text", ["[]", '"text"', "3", "null"])
def test_json_that_is_not_an_object(tmp_path: Path, text: str) -> None:
    file = put(tmp_path / "config.json", text)
    with pytest.raises(InvalidConfig) as info:
        load_config(file)
    assert str(file) in info.value.message and "object" in info.value.message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfig) as info:
        load_config(tmp_path / "missing.json")
    assert "missing.json" in info.value.message
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InvalidConfig):
        load_config(binary)


@pytest.mark.parametrize("key", ["subscription_id", "resource_group", "workspace_name"])
def test_a_missing_key_is_named(tmp_path: Path, key: str) -> None:
    data = {k: v for k, v in GOOD.items() if k != key}
    file = put(tmp_path / "config.json", data)
    with pytest.raises(InvalidConfig) as info:
        load_config(file)
    assert f"'{key}'" in info.value.message and "missing" in info.value.message
    assert str(file) in info.value.message
    assert info.value.target == key


@pytest.mark.parametrize("value", ["", "   ", 5, None, ["x"]])
def test_a_key_that_is_not_a_non_empty_string(tmp_path: Path, value: object) -> None:
    file = put(tmp_path / "config.json", {**GOOD, "workspace_name": value})
    with pytest.raises(InvalidConfig) as info:
        load_config(file)
    assert "'workspace_name'" in info.value.message
    assert info.value.target == "workspace_name"


@pytest.mark.parametrize("endpoint", ["127.0.0.1:8765", "ftp://host", "", 8765, ["http://x"], "HTTP//x"])
def test_endpoint_must_be_http(tmp_path: Path, endpoint: object) -> None:
    file = put(tmp_path / "config.json", {**GOOD, "endpoint": endpoint})
    with pytest.raises(InvalidConfig) as info:
        load_config(file)
    assert "'endpoint'" in info.value.message
    assert info.value.target == "endpoint"


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:8765", "https://ml.example.org/"])
def test_http_and_https_endpoints(tmp_path: Path, endpoint: str) -> None:
    assert load_config(put(tmp_path / "config.json", {**GOOD, "endpoint": endpoint})).endpoint == endpoint


# writing config.json


def test_write_config_writes_azureml_config_json(tmp_path: Path) -> None:
    cfg = WorkspaceConfig("sub", "rg", "ws", "http://127.0.0.1:8765")
    target = write_config(cfg, tmp_path / "project")
    assert target == tmp_path / "project" / ".azureml" / "config.json"
    assert json.loads(target.read_text()) == {**GOOD, "endpoint": "http://127.0.0.1:8765"}
    assert load_config(target) == WorkspaceConfig("sub", "rg", "ws", "http://127.0.0.1:8765", target)
    assert find_config(tmp_path / "project") == target


def test_write_config_defaults_to_the_working_folder(tmp_path: Path) -> None:
    target = write_config(WorkspaceConfig("sub", "rg", "ws"))
    assert target == Path.cwd() / ".azureml" / "config.json"
    assert json.loads(target.read_text()) == GOOD  # no endpoint key when there is none
    assert find_config() == target
    named = write_config(WorkspaceConfig("sub", "rg", "ws2"), file_name="other.json")
    assert named == Path.cwd() / ".azureml" / "other.json"


# credentials


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_credentials_file_means_none_saved(isolated: Path) -> None:
    assert credentials_path() == isolated / "credentials"
    assert load_credentials() == {"default_endpoint": None, "endpoints": {}}
    assert token_for("http://127.0.0.1:8765") is None


def test_save_credentials_writes_a_private_file(isolated: Path) -> None:
    file = save_credentials("http://127.0.0.1:8765/", "admin", "mly_secret")
    assert file == isolated / "credentials"
    assert mode_of(file) == 0o600
    data = json.loads(file.read_text())
    assert data == {
        "default_endpoint": "http://127.0.0.1:8765",
        "endpoints": {"http://127.0.0.1:8765": {"username": "admin", "token": "mly_secret"}},
    }
    assert not list(isolated.glob("*.tmp"))


def test_saving_again_keeps_the_file_private_even_if_it_was_opened_up(isolated: Path) -> None:
    file = save_credentials("http://127.0.0.1:1", "a", "t1")
    file.chmod(0o644)
    save_credentials("http://127.0.0.1:2", "b", "t2", password="pw")
    assert mode_of(file) == 0o600
    data = load_credentials()
    assert set(data["endpoints"]) == {"http://127.0.0.1:1", "http://127.0.0.1:2"}
    assert data["endpoints"]["http://127.0.0.1:2"] == {"username": "b", "token": "t2", "password": "pw"}


def test_make_default(isolated: Path) -> None:
    save_credentials("http://127.0.0.1:1", "a", "t1", make_default=False)
    assert load_credentials()["default_endpoint"] == "http://127.0.0.1:1"  # the first is the default anyway
    save_credentials("http://127.0.0.1:2", "b", "t2", make_default=False)
    assert load_credentials()["default_endpoint"] == "http://127.0.0.1:1"
    save_credentials("http://127.0.0.1:2", "b", "t3")
    assert load_credentials()["default_endpoint"] == "http://127.0.0.1:2"
    assert token_for("http://127.0.0.1:2/") == "t3"


def test_remove_credentials(isolated: Path) -> None:
    save_credentials("http://127.0.0.1:1", "a", "t1")
    save_credentials("http://127.0.0.1:2", "b", "t2")
    assert remove_credentials("http://127.0.0.1:2/") is True
    data = load_credentials()
    assert data["endpoints"].keys() == {"http://127.0.0.1:1"}
    assert data["default_endpoint"] == "http://127.0.0.1:1"  # the next one becomes the default
    assert remove_credentials("http://127.0.0.1:2") is False
    assert remove_credentials("http://127.0.0.1:1") is True
    assert load_credentials() == {"default_endpoint": None, "endpoints": {}}
    assert mode_of(credentials_path()) == 0o600


def test_remove_without_a_file(isolated: Path) -> None:
    assert remove_credentials("http://127.0.0.1:1") is False
    assert not credentials_path().exists()


@pytest.mark.parametrize("text", ["{not json", "[]", '{"endpoints": []}', '{"default_endpoint": null}'])
def test_malformed_credentials(isolated: Path, text: str) -> None:
    put(isolated / "credentials", text)
    with pytest.raises(InvalidConfig) as info:
        load_credentials()
    assert str(isolated / "credentials") in info.value.message
    assert "mlyard login" in info.value.message


# endpoint and token resolution


def test_resolve_endpoint_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = WorkspaceConfig("s", "r", "w", endpoint="http://config:1/")
    assert resolve_endpoint() == DEFAULT_ENDPOINT == "http://127.0.0.1:8765"
    save_credentials("http://saved:4/", "u", "t")
    assert resolve_endpoint() == "http://saved:4"
    monkeypatch.setenv("MLYARD_ENDPOINT", "http://env:3/")
    assert resolve_endpoint() == "http://env:3"
    assert resolve_endpoint(config=WorkspaceConfig("s", "r", "w")) == "http://env:3"
    assert resolve_endpoint(config=cfg) == "http://config:1"
    assert resolve_endpoint("http://explicit:0/", cfg) == "http://explicit:0"
    monkeypatch.setenv("MLYARD_ENDPOINT", "")
    assert resolve_endpoint() == "http://saved:4"


def test_token_for_prefers_mlyard_token(monkeypatch: pytest.MonkeyPatch) -> None:
    save_credentials("http://127.0.0.1:8765", "u", "mly_saved")
    assert token_for("http://127.0.0.1:8765") == "mly_saved"
    assert token_for("http://127.0.0.1:8765/") == "mly_saved"
    assert token_for("http://127.0.0.1:9999") is None
    monkeypatch.setenv("MLYARD_TOKEN", "mly_from_env")
    assert token_for("http://127.0.0.1:8765") == "mly_from_env"
    assert token_for("http://127.0.0.1:9999") == "mly_from_env"
    monkeypatch.setenv("MLYARD_TOKEN", "")
    assert token_for("http://127.0.0.1:8765") == "mly_saved"


def test_token_for_ignores_malformed_entries(isolated: Path) -> None:
    put(
        isolated / "credentials",
        {"default_endpoint": None, "endpoints": {"http://a": "string", "http://b": {"token": 5}}},
    )
    assert token_for("http://a") is None
    assert token_for("http://b") is None
