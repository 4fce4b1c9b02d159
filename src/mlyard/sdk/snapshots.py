"""The source snapshot of a submission: which files go, the limits, the archive, the upload.

Ignore rules, as Azure ML's: in every folder, ``.amlignore`` if there is one, else
``.gitignore``, applies to that folder and below. Supported (gitignore's common subset):
blank lines and ``#`` comments; ``*``, ``?``, ``[abc]`` and ``**``; a pattern without a ``/``
matches a name at any depth, one with a ``/`` (leading or inside) is relative to the ignore
file's folder; a trailing ``/`` matches folders only; ``!`` re-includes; the last matching
line wins; a file inside an ignored folder cannot be re-included. ``.git/`` and
``__pycache__/`` are always left out; symbolic links to files are copied, links to folders
are not followed.

Nothing is uploaded when the folder is above the server's limits (300 MB / 2,000 files by
default): the error lists the largest files and folders and says how to leave them out.
"""

from __future__ import annotations

import os
import re
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from mlyard.api.run_files import DIGEST_HEADER
from mlyard.core.errors import SnapshotTooLarge, ValidationError
from mlyard.core.snapshots import ALWAYS_IGNORED, IGNORE_FILES, SnapshotLimits, over_limits
from mlyard.core.transfer_digests import new_hasher
from mlyard.sdk.client import Client
from mlyard.sdk.transfers import chunks_of, raise_for, unreachable

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Rule:
    base: str  # the ignore file's folder, relative to the source directory ('' for its root)
    regex: re.Pattern[str]
    negate: bool
    folders_only: bool


def _glob(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out += "/.*"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 1)) > i:
            body = pattern[i + 1 : end]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return out


def parse_rules(text: str, base: str) -> list[Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line.removeprefix("\\")
        folders_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        body = _glob(line.lstrip("/"))
        regex = re.compile(body if anchored else f"(?:.*/)?{body}")
        rules.append(Rule(base, regex, negate, folders_only))
    return rules


def ignored(rules: list[Rule], path: str, is_folder: bool) -> bool:
    """Whether ``path`` (relative to the source directory, '/'-separated) is left out."""
    verdict = False
    for rule in rules:
        if rule.folders_only and not is_folder:
            continue
        if rule.base and not path.startswith(rule.base + "/"):
            continue
        inner = path[len(rule.base) + 1 :] if rule.base else path
        if rule.regex.fullmatch(inner):
            verdict = not rule.negate
    return verdict


def collect(source: Path) -> list[tuple[str, Path, int]]:
    """The files that the snapshot of ``source`` holds: (name in the snapshot, path, size)."""
    found: list[tuple[str, Path, int]] = []
    rules_at: dict[str, list[Rule]] = {}
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        rel = here.relative_to(source).as_posix()
        rel = "" if rel == "." else rel
        rules = list(rules_at.get(rel, []))
        for name in IGNORE_FILES:
            if (here / name).is_file():
                rules += parse_rules((here / name).read_text(encoding="utf-8", errors="replace"), rel)
                break
        kept = []
        for d in sorted(dirs):
            path = f"{rel}/{d}" if rel else d
            if d in ALWAYS_IGNORED or (here / d).is_symlink() or ignored(rules, path, True):
                continue
            rules_at[path] = rules
            kept.append(d)
        dirs[:] = kept
        for f in sorted(files):
            path = f"{rel}/{f}" if rel else f
            full = here / f
            if ignored(rules, path, False) or not full.is_file():
                continue
            found.append((path, full, full.stat().st_size))
    return found


def check_limits(source: Path, files: list[tuple[str, Path, int]], limits: SnapshotLimits) -> None:
    problem = over_limits([(name, size) for name, _, size in files], limits)
    if problem is not None:
        raise SnapshotTooLarge(f"{problem}\n(source directory: {source})", target="source_directory")


def build_archive(files: list[tuple[str, Path, int]], out: IO[bytes]) -> str:
    """Write a tar.gz of ``files`` into ``out``; answers its xxh128."""
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=1, dereference=True) as archive:
        for name, path, _ in files:
            archive.add(str(path), arcname=name, recursive=False)
    out.seek(0)
    digest = new_hasher()
    while chunk := out.read(_CHUNK):
        digest.update(chunk)
    out.seek(0)
    return digest.hexdigest()


def upload(client: Client, workspace_path: str, source_directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Snapshot ``source_directory`` into the workspace; answers ``{snapshotId, fileCount, size, xxh128}``."""
    source = Path(source_directory).expanduser().resolve()
    if not source.is_dir():
        raise ValidationError(f"The source directory '{source}' does not exist or is not a folder.")
    files = collect(source)
    limits = client.get(workspace_path + "/snapshots/limits")
    check_limits(source, files, SnapshotLimits(int(limits["maxBytes"]), int(limits["maxFiles"])))
    with tempfile.TemporaryFile(prefix="mlyard-snapshot-") as spool:
        xxh128 = build_archive(files, spool)
        size = os.fstat(spool.fileno()).st_size
        headers = {"Content-Type": "application/gzip", "Content-Length": str(size), DIGEST_HEADER: xxh128}
        try:
            response = client._http.post(workspace_path + "/snapshots", content=chunks_of(spool), headers=headers)
        except httpx.TransportError as exc:
            raise unreachable(client, exc) from None
    raise_for(client, response)
    answer: dict[str, Any] = response.json()
    return answer
