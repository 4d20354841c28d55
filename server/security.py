"""Security headers on every answer, one after-request hook: a Content-Security-Policy the web
app and the API docs page work under, no framing, no sniffing, no referrer, HSTS in
production, and `Cache-Control: no-store` on API answers (clinical data stays off disk caches).

The docs page (flask-smorest's Swagger UI template) carries one inline script that wires Swagger
UI to the document; it is allowed by its SHA-256 hash, worked out from the page itself, so the
policy never needs 'unsafe-inline'. Not flask-talisman: it would redirect to HTTPS by itself
(the proxy's job here), cannot set a policy per view it does not own, and leaves Cache-Control
to the app anyway, so it would save none of this module's lines.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

# Only the app's own origin; workers (the service worker) and the manifest too. data: images:
# Swagger UI draws its icons as data URIs; blob: for images the app builds in memory.
# 'wasm-unsafe-eval' lets the app compile its own WebAssembly (Argon2id for the offline unlock,
# served from 'self'); it allows no eval() of JavaScript.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{extra_scripts}; style-src 'self'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Two years, the HSTS preload list's minimum, for the host only (a department's other hosts
# are not ours to pin).
HSTS = "max-age=63072000"
API_PREFIX = "/api/v1/"
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hashes(html: str) -> list[str]:
    """CSP sources for each inline <script> of a page (exactly as written in it)."""
    return ["'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
            for body in _INLINE_SCRIPT.findall(html)]


def add_security_headers(response: Response, production: bool) -> Response:
    extra = ""
    if request.endpoint == DOCS_ENDPOINT and response.mimetype == "text/html":
        extra = "".join(f" {h}" for h in script_hashes(response.get_data(as_text=True)))
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(extra_scripts=extra)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    if production:
        headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith(API_PREFIX):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    production = app.config["ENV_NAME"] == "production"
    app.after_request(lambda response: add_security_headers(response, production))
