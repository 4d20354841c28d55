"""Write the API's OpenAPI document (as the server serves it at /api/openapi.json) to a file.

    ../.venv/bin/python scripts/dump-openapi.py src/api/openapi.json   (run by `npm run gen:api`)

The app is built on an in-memory SQLite database; the document does not depend on the data.
Keys are sorted so that the committed snapshot diffs cleanly. tests/test_openapi_types.py
loads `build_document` and `render` from this file, so the test and the snapshot agree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def build_document() -> dict[str, Any]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from server import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SECRET_KEY": "openapi-dump-only-" + "x" * 40,
        "SCHEDULER_ENABLED": False,
    })
    response = app.test_client().get("/api/openapi.json")
    if response.status_code != 200:
        raise SystemExit(f"GET /api/openapi.json answered {response.status_code}")
    document = response.get_json()
    assert isinstance(document, dict)
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUTPUT.json", file=sys.stderr)
        return 2
    Path(argv[1]).write_text(render(build_document()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
