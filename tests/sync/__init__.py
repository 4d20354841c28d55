"""Tests of the sync engine and the reference client (no Flask, no network)."""
