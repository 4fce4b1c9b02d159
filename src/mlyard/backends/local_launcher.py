"""Runs one job's command and records its exit code: ``launcher EXIT_FILE COMMAND...``.

The local backend starts this file by its path (standard library only: it starts in
milliseconds) as the leader of the job's own process group. It outlives a server that is
killed, so a restarted server reads the exit code from ``EXIT_FILE`` even though it is not
the parent of the job's processes any more.

SIGTERM and SIGINT reach the whole group on a cancel; the launcher only notes them and keeps
waiting, so that it records how the command ended (a negative code is the killing signal).
The command gets the default handlers back when it is executed. The command is forked and
executed with ``os`` alone: ``subprocess`` would add its import to every job's start.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType


def _noted(signum: int, frame: FrameType | None) -> None:
    """The command got the same signal; its end is what gets recorded."""


def main(argv: list[str]) -> int:
    exit_file, command = argv[1], argv[2:]
    signal.signal(signal.SIGTERM, _noted)
    signal.signal(signal.SIGINT, _noted)
    code = _run(command)
    temporary = exit_file + ".tmp"
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{code}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, exit_file)
    return 0


def _run(command: list[str]) -> int:
    """Run ``command`` to its end: its exit code, or minus the signal that killed it."""
    pid = os.fork()
    if pid == 0:  # the child: exec resets the noted signals to their default handlers
        try:
            os.execvp(command[0], command)
        except (OSError, IndexError) as exc:
            print(f"[mlyard] cannot start {command[0] if command else 'the job'}: {exc}", file=sys.stderr, flush=True)
        os._exit(127)
    _, status = os.waitpid(pid, 0)  # a noted signal interrupts it, and it is retried (PEP 475)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
