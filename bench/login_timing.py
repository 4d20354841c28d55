"""How long a refused sign-in takes for an unknown user name and for a wrong password, with
production Argon2id parameters, against PostgreSQL: the two must not tell names apart.

Each try comes from its own client address, so the throttle never answers in their place;
tries alternate (unknown, wrong, unknown, ...) so drift on a shared machine hits both alike.

Usage: .venv/bin/python bench/login_timing.py [--tries 25]
Last line: {"bench": "login_timing", "unknown_ms": ..., "wrong_ms": ..., "ratio": ...}
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PASSWORD, app_for, bench_database, emit

LOGIN = "/api/v1/auth/login"


def timed_try(client: Any, username: str, n: int) -> float:
    address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    t0 = time.perf_counter()
    answer = client.post(LOGIN, json={"username": username, "password": "not the password"},
                         environ_base={"REMOTE_ADDR": address})
    elapsed = (time.perf_counter() - t0) * 1000
    if answer.status_code != 401:
        raise RuntimeError(f"expected 401, got {answer.status_code}: {answer.get_data(True)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=25)
    args = parser.parse_args()
    with bench_database("login") as db_name:
        app = app_for(db_name)
        from server.auth.models import Role
        from server.auth.services import create_user
        from server.extensions import db

        with app.app_context():
            create_user(db.session(), username="known", full_name="Known Person",
                        role=Role.RESPONDER_CLINICIAN, password=PASSWORD)
            db.session.commit()
            print(f"Argon2id time_cost={app.config['ARGON2_TIME_COST']} "
                  f"memory={app.config['ARGON2_MEMORY_KIB']} KiB", flush=True)
        client = app.test_client()
        timed_try(client, "warm-up", 0)  # the dummy hash is made on first use
        unknown, wrong = [], []
        for n in range(args.tries):
            unknown.append(timed_try(client, f"nobody-{n}", 2 * n + 1))
            wrong.append(timed_try(client, "known", 2 * n + 2))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    unknown_ms, wrong_ms = statistics.median(unknown), statistics.median(wrong)
    print(f"unknown user name: median {unknown_ms:.1f} ms (min {min(unknown):.1f}, "
          f"max {max(unknown):.1f}) over {args.tries}")
    print(f"wrong password:    median {wrong_ms:.1f} ms (min {min(wrong):.1f}, "
          f"max {max(wrong):.1f}) over {args.tries}")
    emit({"bench": "login_timing", "unknown_ms": round(unknown_ms, 1),
          "wrong_ms": round(wrong_ms, 1), "ratio": round(unknown_ms / wrong_ms, 3)})


if __name__ == "__main__":
    main()
