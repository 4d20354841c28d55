"""HEART Field sync engine: plain Python, importable without Flask.

The server (server/sync/) and the reference client (sync.client) share these
pure pieces: operations and outcomes (ops), the hybrid logical clock (hlc),
per-field merge policies (merge), the record-kind registry (registry, kinds),
the push phases (push), opaque pull cursors (cursor), clock skew and backoff.
The wire contract is PROTOCOL.md next to this file.
"""
