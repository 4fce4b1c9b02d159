"""benchmarks/studio.py runs end to end (tiny sizes, one load a page), so that it cannot rot.

It needs what the studio's browser tests need: Debian's chromium, playwright and a built studio;
without them it skips (fails under CI), as tests/e2e/studio does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUDIO_INDEX = ROOT / "src" / "mlyard" / "server" / "static" / "studio" / "index.html"


def _needs(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the studio benchmark must run)")
    pytest.skip(reason)


def test_the_studio_benchmark_times_both_pages() -> None:
    _needs(Path("/usr/bin/chromium").exists(), "/usr/bin/chromium is missing")
    _needs(STUDIO_INDEX.is_file(), "the studio is not built: bash scripts/build-studio.sh")
    pytest.importorskip("playwright")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLYARD_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "studio.py"), "--runs", "120", "--points", "5000", "--loads", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "experiment page, first page of 120 runs" in out, out
    assert "run page, 5,000-point metric chart drawn" in out, out
    assert "load average" in out and "Traceback" not in done.stderr
    # Every figure is a time in milliseconds, read from the browser's marks.
    assert out.count(" ms") >= 6, out
