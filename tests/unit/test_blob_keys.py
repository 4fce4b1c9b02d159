"""Blob keys and prefixes, and how open_blob_store picks a store from a URL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from mlyard.core.errors import InvalidBlobPath, ServiceUnavailable, ValidationError
from mlyard.storage import (
    BlobStore,
    FileBlobStore,
    open_blob_store,
    register_blob_store,
    supported_schemes,
    validate_key,
    validate_prefix,
)
from mlyard.storage import base as storage_base

GOOD_KEYS = [
    "a",
    "a/b/c.txt",
    "runs/42/outputs/model.pkl",
    ".hidden",
    "..dots../x",
    "a/.b/...",
    "with space/ü/日本.bin",
    "star*[x]?",
    "x" * 1024,
]

BAD_KEYS = {
    "": "empty",
    "/abs": "relative",
    "/": "relative",
    "a\\b": "backslash",
    "\\": "backslash",
    "a\x00b": "NUL",
    ".": "'.'",
    "..": "'..'",
    "../up": "'..'",
    "a/../b": "'..'",
    "a/..": "'..'",
    "./a": "'.'",
    "a/./b": "'.'",
    "a//b": "empty segment",
    "a/": "empty segment",
    ".~mlyard-tmp.part": "reserved",
    "d/.~mlyard-x": "reserved",
    "x" * 1025: "longer",
    "é" * 513: "longer",  # 1026 bytes of UTF-8
    "\udc80": "Unicode",
}


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_good_keys_pass_unchanged(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(("key", "reason"), sorted(BAD_KEYS.items()))
def test_bad_keys_are_refused_by_name(key: str, reason: str) -> None:
    with pytest.raises(InvalidBlobPath) as caught:
        validate_key(key)
    assert repr(key) in caught.value.message
    assert reason in caught.value.message
    assert caught.value.target == key
    assert caught.value.status == 400
    assert isinstance(caught.value, ValidationError)


def test_non_string_key_is_refused() -> None:
    with pytest.raises(InvalidBlobPath, match="string"):
        validate_key(b"bytes")  # type: ignore[arg-type]


def test_prefixes() -> None:
    assert validate_prefix("") == ""
    assert validate_prefix("runs") == "runs"
    assert validate_prefix("runs/1/") == "runs/1"
    with pytest.raises(InvalidBlobPath, match="whole blob store"):
        validate_prefix("", allow_empty=False)
    for bad in ["/", "/runs", "runs//", "a//b/", "../x/", "a\\b", "./"]:
        with pytest.raises(InvalidBlobPath):
            validate_prefix(bad)


# -- the scheme registry --------------------------------------------------------------------


def test_file_urls_and_plain_paths(tmp_path: Path) -> None:
    for url in [tmp_path.as_uri(), str(tmp_path), f"file://localhost{tmp_path}", f"  {tmp_path}  "]:
        store = open_blob_store(url)
        assert isinstance(store, FileBlobStore)
        assert store.root == tmp_path
        assert store.url == tmp_path.as_uri()
    quoted = open_blob_store((tmp_path / "a b%c").as_uri())
    assert isinstance(quoted, FileBlobStore) and quoted.root == tmp_path / "a b%c"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("relative/path", "absolute path"),
        ("blobs", "absolute path"),
        ("file://server/share", "host"),
        ("file:relative", "absolute"),
        ("file:///tmp/x?mode=1", "query"),
    ],
)
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        open_blob_store(url)


@pytest.mark.parametrize("url", ["gs://bucket/x", "azure://c/p", "http://127.0.0.1/x", "S4://b"])
def test_unknown_scheme_lists_the_supported_ones(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        open_blob_store(url)
    assert "supported: file, s3" in caught.value.message
    assert repr(url.split(":")[0].lower()) in caught.value.message


def test_scheme_is_case_insensitive(tmp_path: Path) -> None:
    assert isinstance(open_blob_store("FILE://" + str(tmp_path)), FileBlobStore)


def test_file_store_options(tmp_path: Path) -> None:
    # Options set to None count as not given; real unknown ones are refused by name.
    assert isinstance(open_blob_store(str(tmp_path), endpoint_url=None), FileBlobStore)
    with pytest.raises(ValidationError, match="bucket_size"):
        open_blob_store(str(tmp_path), bucket_size=3)


def test_register_a_scheme(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(storage_base, "_FACTORIES", dict(storage_base._FACTORIES))
    made: list[tuple[str, dict[str, Any]]] = []

    def factory(url: str, **options: Any) -> BlobStore:
        made.append((url, options))
        return FileBlobStore(tmp_path)

    register_blob_store("Mem", factory)
    assert supported_schemes() == ["file", "mem", "s3"]
    store = open_blob_store("mem://anything", flag=True)
    assert isinstance(store, FileBlobStore)
    assert made == [("mem://anything", {"flag": True})]


# -- S3 URLs (no traffic: nothing is sent until a blob is touched) ---------------------------


@pytest.fixture
def no_aws_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [
        "MLYARD_S3_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_s3_url(no_aws_env: pytest.MonkeyPatch) -> None:
    pytest.importorskip("s3fs")
    from mlyard.storage import S3BlobStore

    store = open_blob_store("s3://bucket-a/some/prefix/?endpoint_url=http://127.0.0.1:9000")
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("bucket-a", "some/prefix")
    assert store.url == "s3://bucket-a/some/prefix"
    assert store.url_for("x/y") == "s3://bucket-a/some/prefix/x/y"
    assert store.endpoint_url == "http://127.0.0.1:9000"

    bare = open_blob_store("s3://bucket-b")
    assert isinstance(bare, S3BlobStore)
    assert (bare.url, bare.url_for("k"), bare.endpoint_url) == ("s3://bucket-b", "s3://bucket-b/k", None)


def test_s3_settings_precedence(no_aws_env: pytest.MonkeyPatch) -> None:
    pytest.importorskip("s3fs")
    from mlyard.storage import S3BlobStore

    no_aws_env.setenv("MLYARD_S3_ENDPOINT_URL", "http://127.0.0.1:1")
    from_env = open_blob_store("s3://bkt")
    assert isinstance(from_env, S3BlobStore) and from_env.endpoint_url == "http://127.0.0.1:1"
    from_url = open_blob_store("s3://bkt?endpoint_url=http://127.0.0.1:2")
    assert isinstance(from_url, S3BlobStore) and from_url.endpoint_url == "http://127.0.0.1:2"
    from_option = open_blob_store("s3://bkt?endpoint_url=http://127.0.0.1:2", endpoint_url="http://127.0.0.1:3")
    assert isinstance(from_option, S3BlobStore) and from_option.endpoint_url == "http://127.0.0.1:3"


@pytest.mark.parametrize(
    ("url", "options", "match"),
    [
        ("s3://", {}, "not an S3 URL"),
        ("s3:///prefix", {}, "not an S3 URL"),
        ("s3://key:secret@bucket/p", {}, "credentials"),
        ("s3://bkt/p?secret_access_key=x", {}, "unknown S3 URL parameter"),
        ("s3://bkt/p?endpoint_url=ftp://127.0.0.1", {}, "http"),
        ("s3://bkt/a/../b", {}, r"'\.\.'"),
        ("s3://bkt", {"endpoint": "http://127.0.0.1:9"}, "endpoint"),
    ],
)
def test_bad_s3_urls(no_aws_env: pytest.MonkeyPatch, url: str, options: dict[str, Any], match: str) -> None:
    pytest.importorskip("s3fs")
    with pytest.raises(ValidationError, match=match):
        open_blob_store(url, **options)


def test_s3_without_s3fs_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # import s3fs now raises ImportError
    with pytest.raises(ServiceUnavailable, match=r"pip install 'mlyard\[s3\]'"):
        open_blob_store("s3://bucket/prefix")
