"""HEART Field sync engine: plain Python, importable without Flask.

The server (server/sync/) and the reference client (sync.client) share these
pure pieces: operations and outcomes (ops), the hybrid logical clock (hlc),
per-field merge policies (merge), the record-kind registry (registry, kinds),
the push phases over a PushStore (push, push_store), the pull pages over a
PullStore (pull, cursor), clock skew and retry backoff. memory_store is the
in-memory reference store; client, local_store and __main__ are the
reference client. The wire contract is PROTOCOL.md next to this file.
"""
