"""Start a compute instance's Jupyter server inside its size's limits, then become it.

Run by :mod:`mlyard.backends.jupyter` as ``python jupyter_process.py --cpus 0,1 --memory-bytes N
-- COMMAND...``. Standard library only. The limits are set on this process before ``exec``, so
the Jupyter server and every kernel it starts inherit them:

- ``--cpus``: CPU affinity (``os.sched_setaffinity``; Linux only, skipped elsewhere);
- ``--memory-bytes``: ``RLIMIT_AS``, the address space of *each* process (a kernel that allocates
  beyond it gets ``MemoryError``), not the sum over the instance's processes.

What could not be applied is printed first in the instance's log.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="jupyter_process")
    parser.add_argument("--cpus", default="")
    parser.add_argument("--memory-bytes", type=int, default=0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    cpus = {int(c) for c in args.cpus.split(",") if c.strip()}
    if cpus:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cpus)
            print(f"[mlyard] CPU affinity: {sorted(cpus)}", flush=True)
        else:
            print("[mlyard] CPU affinity is not available on this OS: not applied", flush=True)
    if args.memory_bytes > 0:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (args.memory_bytes, args.memory_bytes))
            print(f"[mlyard] memory limit (RLIMIT_AS per process): {args.memory_bytes} bytes", flush=True)
        except (ImportError, ValueError, OSError) as exc:
            print(f"[mlyard] memory limit not applied: {exc}", flush=True)
    os.execvp(command[0], command)
    return 127  # execvp does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
