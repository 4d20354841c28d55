"""CAD intake's parsing half never pulls in Flask: it runs in a worker or a script as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MODULES = ["server.cad", "server.cad.records", "server.cad.mapping", "server.cad.csv_import",
           "server.cad.pidf", "server.cad.eido"]


def test_the_cad_modules_import_without_flask_or_the_database() -> None:
    code = (f"import {', '.join(MODULES)}; import sys; "
            "loaded = [name for name in ('flask', 'sqlalchemy', 'marshmallow') if name in sys.modules]; "
            "assert not loaded, loaded")

    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
