"""CAD intake, the parsing half: calls from a 911 CAD read into plain records.

Pure (no Flask, no database): `csv_import` reads a vendor's CSV export through a column
mapping (`mapping`, files under `mappings/`), `eido` reads NENA EIDO JSON (NENA-STA-021.1).
Both yield a `records.CadCall` for each good call and a `records.RowError` for each bad field
of a bad one, and carry on; storing the calls is the caller's business.
"""
