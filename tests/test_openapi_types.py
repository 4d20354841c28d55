"""The PWA's API types match the OpenAPI document the server serves.

pwa/src/api/openapi.json is a committed snapshot of /api/openapi.json and pwa/src/api/schema.d.ts
is generated from it by openapi-typescript; both come from `cd pwa && npm run gen:api`. These
tests fail when either has drifted from the server's marshmallow schemas.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.pwa_scripts import pwa_script

REPO = Path(__file__).resolve().parents[1]
PWA = REPO / "pwa"
SNAPSHOT = PWA / "src" / "api" / "openapi.json"
SCHEMA_TS = PWA / "src" / "api" / "schema.d.ts"
GENERATOR = PWA / "node_modules" / ".bin" / "openapi-typescript"
# The flags `npm run gen:api` passes to openapi-typescript (checked against package.json below).
GENERATOR_FLAGS = ["--default-non-nullable", "false"]
REGENERATE = "run `cd pwa && npm run gen:api` and commit pwa/src/api/"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    document: dict[str, Any] = pwa_script("dump-openapi.py").build_document()
    return document


def _differences(a: Any, b: Any, pointer: str = "") -> list[str]:
    """JSON pointers where `a` (served) and `b` (committed) differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            where = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in b:
                out.append(f"{where} (only in the served document)")
            elif key not in a:
                out.append(f"{where} (only in the committed snapshot)")
            else:
                out.extend(_differences(a[key], b[key], where))
        return out
    return [] if a == b else [pointer or "/"]


def test_committed_openapi_snapshot_matches_the_served_document(served: dict[str, Any]) -> None:
    assert SNAPSHOT.exists(), f"{SNAPSHOT.relative_to(REPO)} is missing: {REGENERATE}"
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if committed != served:
        diffs = _differences(served, committed)
        shown = "\n  ".join(diffs[:25]) + (f"\n  ... and {len(diffs) - 25} more" if len(diffs) > 25 else "")
        pytest.fail(f"pwa/src/api/openapi.json differs from /api/openapi.json at:\n  {shown}\n{REGENERATE}")


def test_gen_api_script_uses_the_flags_this_test_checks() -> None:
    script = json.loads((PWA / "package.json").read_text(encoding="utf-8"))["scripts"]["gen:api"]
    assert "scripts/dump-openapi.py src/api/openapi.json" in script
    flags = " ".join(GENERATOR_FLAGS)
    assert f"openapi-typescript src/api/openapi.json {flags} -o src/api/schema.d.ts" in script


def test_generated_typescript_is_up_to_date(served: dict[str, Any], tmp_path: Path) -> None:
    if not GENERATOR.exists() or shutil.which("node") is None:
        reason = "pwa/node_modules is not installed (cd pwa && npm ci) or node is not on PATH"
        if IN_CI:
            pytest.fail(f"{reason}, and CI=true")
        pytest.skip(f"{reason} (set CI=true to make this a failure)")
    document = tmp_path / "openapi.json"
    document.write_text(pwa_script("dump-openapi.py").render(served), encoding="utf-8")
    output = tmp_path / "schema.d.ts"
    run = subprocess.run([str(GENERATOR), str(document), *GENERATOR_FLAGS, "-o", str(output)],
                         cwd=PWA, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, f"openapi-typescript failed:\n{run.stdout}\n{run.stderr}"
    assert SCHEMA_TS.exists(), f"{SCHEMA_TS.relative_to(REPO)} is missing: {REGENERATE}"
    if output.read_text(encoding="utf-8") != SCHEMA_TS.read_text(encoding="utf-8"):
        pytest.fail(f"pwa/src/api/schema.d.ts is not what openapi-typescript makes of the served document: "
                    f"{REGENERATE}")
