"""The engine, the reference client and the features' pure record kinds never pull in Flask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "sync",
    "sync.hlc",
    "sync.merge",
    "sync.ops",
    "sync.registry",
    "sync.clock_skew",
    "sync.push",
    "sync.memory_store",
    "sync.cursor",
    "sync.backoff",
    "sync.client",
    "sync.__main__",
    "server.kinds",
    "server.calls.kinds",
    "server.locations.kinds",
]


def test_sync_package_imports_without_flask() -> None:
    code = f"import {', '.join(MODULES)}; import sys; assert 'flask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
