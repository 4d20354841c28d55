"""gunicorn settings read from the repository root (`make run`, `make serve-pg`, benchmarks):
the worker class, and a start-up hook.

Flags on the command line still win. The hook below is a measured CPU saving for sync
pushes (about a fifth of a worker's CPU per 500-op push): the app's ~140k long-lived
objects are frozen out of the cyclic garbage collector after start-up, and young objects
are collected less often (a push makes tens of thousands that live until it ends).
"""

import gc

# The live stream (GET /api/v1/stream) holds its connection open for a whole shift: under
# gthread each listener would hold a thread (200 supervisors, dispatchers and tablets do
# not fit in --threads 8). gevent gives each a greenlet; psycopg 3 waits cooperatively once
# gevent has patched the standard library. Measured on this machine against gthread x 8:
# bench/sync_push.py 12.1k vs 11.7k ops/s, bench/reconnect_storm.py 16.2 s vs 21.7 s.
worker_class = "gevent"
# Open connections per worker: 200 listeners and the tablets' requests, with room to spare.
worker_connections = 1000

# A 500-op push makes ~30 container objects per op that all die, by reference counting,
# when the request ends. At 100,000 the young generation is collected about once per four
# pushes (Python's default is every 700 allocations); measured in process, ~0.7 us less
# CPU per op than at 20,000, for a few MB more memory per worker.
YOUNG_OBJECTS_BEFORE_COLLECTION = 100_000


def post_worker_init(worker: object) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTION, 20, 20)
