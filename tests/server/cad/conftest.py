"""CAD intake tests read the sample exports under samples/ with the shipped layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.cad.mapping import CsvMapping, load_mapping

MAPPINGS = Path(__file__).resolve().parents[3] / "server" / "cad" / "mappings"


@pytest.fixture
def vendor_mapping() -> CsvMapping:
    return load_mapping(MAPPINGS / "sample_vendor.toml")


@pytest.fixture
def default_mapping() -> CsvMapping:
    return load_mapping(MAPPINGS / "default.toml")
