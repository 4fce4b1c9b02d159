"""The rule for the names of a run's files, shared by the server and the SDK.

A file name is a ``/``-separated path relative to the run's folder (``outputs/model.pkl``).
The SDK checks it before sending a byte, the service checks it again; both say which rule a
name breaks. The byte limit is below the blob store's 1024-byte key limit because the key
also carries the run's folder (``workspaces/{id}/runs/{id}/files/``, about 100 bytes).
"""

from __future__ import annotations

MAX_FILE_NAME_BYTES = 900
"""The longest file name in UTF-8 bytes: the store's key limit minus the run's folder prefix."""

RESERVED_SEGMENT_PREFIX = ".~mlyard-"
"""Segments starting with this are the blob stores' temporary files (``storage.base``)."""


def file_name_problem(name: object, folder: str = "the run's folder") -> str | None:
    """Why ``name`` is not an acceptable file name (of a run, or of what ``folder`` says), or None."""
    if not isinstance(name, str):
        return f"it must be a string, not {type(name).__name__}"
    if not name:
        return "it is empty"
    if name.startswith("/"):
        return f"it must be relative to {folder}, not absolute"
    if "\\" in name:
        return "it contains a backslash; separate folders with '/'"
    if "\x00" in name:
        return "it contains a NUL character"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "it is not valid Unicode text"
    if size > MAX_FILE_NAME_BYTES:
        return f"it has {size} bytes of UTF-8; at most {MAX_FILE_NAME_BYTES}"
    for segment in name.split("/"):
        if segment == "":
            return "it has an empty segment ('//' or a trailing '/')"
        if segment in (".", ".."):
            return f"it has a {segment!r} segment; names may not leave {folder}"
        if segment.startswith(RESERVED_SEGMENT_PREFIX):
            return f"segments starting with {RESERVED_SEGMENT_PREFIX!r} are reserved"
    return None


def describe_bad_name(name: object, problem: str, kind: str = "run file") -> str:
    shown = repr(name) if not isinstance(name, str) or len(name) <= 80 else repr(name[:80] + "…")
    return f"Invalid {kind} name {shown}: {problem}."


__all__ = ["MAX_FILE_NAME_BYTES", "RESERVED_SEGMENT_PREFIX", "describe_bad_name", "file_name_problem"]
