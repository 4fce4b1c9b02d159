"""Source snapshots: the limits, and the one message that says how to get under them.

The SDK checks a folder before it uploads anything, and the server checks the archive again
as it arrives; both explain a refusal with :func:`too_large_message`, which lists the largest
files and folders and says how to leave them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 300 * 1024 * 1024
DEFAULT_MAX_FILES = 2000
IGNORE_FILES = (".amlignore", ".gitignore")
ALWAYS_IGNORED = (".git", "__pycache__")
_SHOWN = 5


@dataclass(frozen=True)
class SnapshotLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_files: int = DEFAULT_MAX_FILES


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def over_limits(files: Iterable[tuple[str, int]], limits: SnapshotLimits) -> str | None:
    """None when ``files`` (path, size) fit the limits, else the message that explains why not."""
    listed = list(files)
    total = sum(size for _, size in listed)
    if total <= limits.max_bytes and len(listed) <= limits.max_files:
        return None
    return too_large_message(listed, limits)


def too_large_message(files: list[tuple[str, int]], limits: SnapshotLimits) -> str:
    total = sum(size for _, size in files)
    problems = []
    if len(files) > limits.max_files:
        problems.append(f"{len(files)} files (the limit is {limits.max_files})")
    if total > limits.max_bytes:
        problems.append(f"{human_size(total)} (the limit is {human_size(limits.max_bytes)})")
    folders: dict[str, list[int]] = {}
    for path, size in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            entry = folders.setdefault("/".join(parts[:depth]) + "/", [0, 0])
            entry[0] += size
            entry[1] += 1
    by_size = sorted(folders.items(), key=lambda kv: (-kv[1][0], kv[0]))[:_SHOWN]
    by_count = sorted(folders.items(), key=lambda kv: (-kv[1][1], kv[0]))[:_SHOWN]
    biggest = sorted(files, key=lambda f: (-f[1], f[0]))[:_SHOWN]
    lines = [f"The snapshot of the source directory is too large: {' and '.join(problems)}."]
    if by_size:
        shown = {name: stats for name, stats in by_size + by_count}
        lines.append("Largest folders:")
        lines += [
            f"  {name}  {human_size(size)} in {count} file{'s' if count != 1 else ''}"
            for name, (size, count) in shown.items()
        ]
    lines.append("Largest files:")
    lines += [f"  {name}  {human_size(size)}" for name, size in biggest]
    example = (by_size[0][0] if by_size else biggest[0][0]) if files else "data/"
    lines.append(
        f"Leave them out with a line such as '{example}' in a .amlignore file at the root of the source "
        "directory (or .gitignore when there is no .amlignore), keep data in a datastore, "
        "or raise the server's limits (MLYARD_SNAPSHOT_MAX_MB, MLYARD_SNAPSHOT_MAX_FILES)."
    )
    return "\n".join(lines)
