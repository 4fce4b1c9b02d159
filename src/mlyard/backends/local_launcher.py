"""Runs one job's command and records its exit code: ``launcher EXIT_FILE COMMAND...``.

The local backend starts this file by its path (standard library only: it starts in
milliseconds) as the leader of the job's own process group. It outlives a server that is
killed, so a restarted server reads the exit code from ``EXIT_FILE`` even though it is not
the parent of the job's processes any more.

SIGTERM and SIGINT reach the whole group on a cancel; the launcher only notes them and keeps
waiting, so that it records how the command ended (a negative code is the killing signal).
The command gets the default handlers back when it is executed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType


def _noted(signum: int, frame: FrameType | None) -> None:
    """The command got the same signal; its end is what gets recorded."""


def main(argv: list[str]) -> int:
    exit_file, command = argv[1], argv[2:]
    signal.signal(signal.SIGTERM, _noted)
    signal.signal(signal.SIGINT, _noted)
    try:
        child = subprocess.Popen(command)
    except OSError as exc:
        print(f"[mlyard] cannot start {command[0] if command else 'the job'}: {exc}", file=sys.stderr, flush=True)
        code = 127
    else:
        code = child.wait()
    temporary = exit_file + ".tmp"
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{code}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, exit_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
