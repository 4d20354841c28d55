"""Dispatch: triage of CAD calls (eligibility and a recommended unit or response)."""
