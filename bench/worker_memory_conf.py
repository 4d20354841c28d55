"""gunicorn settings for bench/worker_memory.py: the repository's own (gunicorn.conf.py) plus
a probe in each worker that reports its memory when the bench asks.

The bench writes `request-<n>` into the directory named by HEART_BENCH_PROBE_DIR after each
storm; every worker answers with `<n>-<pid>.json`: its RSS as the storm left it, then (after
a full collection) the Python heap tracemalloc sees, what tracemalloc itself uses, the
sizes of the caches that could grow (SQLAlchemy's compiled statements, the session's
identity map, psycopg's prepared statements), and the source lines whose live memory grew
most since the first answer. With HEART_BENCH_TRIM=1 the last answer also gives the RSS
after glibc's malloc_trim(0) returned the free pages it kept.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import runpy
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

_ROOT_CONF = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
# Frames kept per allocation: enough to see which caller of a library grew.
TRACE_FRAMES = 4
# Lines reported per answer: the few that hold any growth.
TOP_LINES = 8
# How often the probe looks for a request (the bench waits for its answer).
POLL_SECONDS = 0.05


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def glibc_heap() -> dict[str, float]:
    """glibc malloc (all arenas): bytes handed out, bytes free but kept, mmapped blocks (MB)."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return {"malloc_in_use_mb": round(info.uordblks / 2**20, 2),
            "malloc_free_mb": round(info.fordblks / 2**20, 2),
            "malloc_mmapped_mb": round(info.hblkhd / 2**20, 2)}


_PYMALLOC_LINES = {"# arenas allocated current": "pymalloc_arenas",
                   "# arenas highwater mark": "pymalloc_arenas_highwater",
                   "# bytes in allocated blocks": "pymalloc_in_use_mb",
                   "# bytes in available blocks": "pymalloc_free_blocks_mb"}


def pymalloc_heap() -> dict[str, float]:
    """Python's small-object allocator (sys._debugmallocstats, written to fd 2): arenas of
    1 MiB held, and the bytes in live and in free blocks inside them."""
    with tempfile.TemporaryFile("w+") as out:
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()
    stats: dict[str, float] = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        name = _PYMALLOC_LINES.get(key.strip())
        if name:
            number = int(value.strip().replace(",", ""))
            stats[name] = round(number / 2**20, 2) if name.endswith("_mb") else number
    return stats


def _cache_sizes(app: Any) -> dict[str, int]:
    from server.extensions import db

    with app.app_context():
        engine = db.engine
        compiled = engine._compiled_cache
        pool = engine.pool
        prepared = counted = 0
        for rec in list(pool._pool.queue):  # type: ignore[attr-defined]
            manager = getattr(rec.dbapi_connection, "_prepared", None)
            prepared += len(getattr(manager, "_names", ()))
            counted += len(getattr(manager, "_counts", ()))
        return {"compiled_cache": len(compiled) if compiled is not None else 0,
                "prepared_statements": prepared, "statements_counted": counted,
                "pool_checked_in": pool.checkedin()}


def _answer(n: int, app: Any, types: Counter[str], out: Path) -> None:
    report: dict[str, Any] = {"pid": os.getpid(), "rss_mb": round(rss_mb(), 2)}
    gc.collect()
    report["rss_after_collect_mb"] = round(rss_mb(), 2)
    census = Counter(type(o).__qualname__ for o in gc.get_objects())
    report["gc_objects"] = sum(census.values())
    if not types:
        types.update(census)
    report["top_types"] = (census - types).most_common(TOP_LINES)
    report.update(_cache_sizes(app))
    report.update(glibc_heap())
    report.update(pymalloc_heap())
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot().filter_traces((
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, __file__)))
        report["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 2)
        report["tracemalloc_overhead_mb"] = round(tracemalloc.get_tracemalloc_memory() / 2**20, 2)
        baseline = out.parent / f"baseline-{os.getpid()}.snapshot"
        if not baseline.exists():
            snapshot.dump(str(baseline))
        growth = snapshot.compare_to(tracemalloc.Snapshot.load(str(baseline)),
                                     "traceback")[:TOP_LINES]
        del snapshot
        report["top_growth"] = [
            {"kib": round(s.size_diff / 1024, 1), "blocks": s.count_diff,
             "where": [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}"
                       for f in s.traceback[:3]]}
            for s in growth]
    if os.environ.get("HEART_BENCH_TRIM") and (out.parent / f"trim-{n}").exists():
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        report["rss_after_trim_mb"] = round(rss_mb(), 2)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report))
    tmp.rename(out)


def _probe(app: Any, folder: Path) -> None:
    answered: set[int] = set()
    types: Counter[str] = Counter()  # live objects by type at the first answer
    while True:
        for request in folder.glob("request-*"):
            n = int(request.name.split("-")[1])
            if n not in answered:
                answered.add(n)
                _answer(n, app, types, folder / f"{n}-{os.getpid()}.json")
        time.sleep(POLL_SECONDS)


def post_worker_init(worker: Any) -> None:
    _ROOT_CONF["post_worker_init"](worker)
    if os.environ.get("HEART_BENCH_TRACE"):
        tracemalloc.start(TRACE_FRAMES)
    folder = Path(os.environ["HEART_BENCH_PROBE_DIR"])
    threading.Thread(target=_probe, args=(worker.wsgi, folder), daemon=True).start()
