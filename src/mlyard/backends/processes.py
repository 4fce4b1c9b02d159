"""Process groups on this host, named so that a reused pid is never mistaken for a job's.

A job's process is known by its pid *and* an identity: on Linux the boot id with the
process' start time in clock ticks since boot (``/proc/<pid>/stat``, field 22); elsewhere
the start time that ``ps`` prints. A pid that now belongs to another process has another
identity, so it is neither adopted nor signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

_PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "noboot"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return text[text.rfind(")") + 2 :].split()


def identity(pid: int) -> str | None:
    """The identity of the live process ``pid`` (None when there is none, or only its zombie)."""
    if _PROC.is_dir():
        fields = _stat_fields(pid)
        if fields is None or fields[0] in ("Z", "X"):
            return None
        return f"{_boot_id()}:{fields[19]}"
    try:
        started = subprocess.run(
            ["ps", "-o", "stat=,lstart=", "-p", str(pid)], capture_output=True, text=True, check=False, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not started or started.startswith("Z"):
        return None
    return "ps:" + started.split(None, 1)[-1]


def is_alive(pid: int, expected: str) -> bool:
    """Whether ``pid`` is still the process that had identity ``expected``."""
    return identity(pid) == expected


def group_exists(pgid: int) -> bool:
    """Whether a live process (not a zombie) is in the group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not _PROC.is_dir():
        return True
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            # fields[0] is the state, fields[2] the process group
            if fields is not None and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                return True
    return False


def signal_group(pgid: int, expected: str, sig: int) -> bool:
    """Send ``sig`` to the job's process group, when it is still the job's: its leader is the
    process we started, or the leader is gone but members remain (Linux never hands out a pid
    that is still in use as a group id, so such a group is the job's). Answers whether sent."""
    leader = identity(pgid)
    if leader is not None and leader != expected:
        return False  # the pid is another process' now: not ours to signal
    if leader is None and not group_exists(pgid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
        return True
    return False


def kill_group(pgid: int, expected: str) -> None:
    signal_group(pgid, expected, signal.SIGKILL)
