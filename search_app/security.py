"""Security headers sent with every response (pages, API, static files and errors)."""
from __future__ import annotations

from flask import Response, request

# Everything (CSS, JS, images) comes from this origin; no inline scripts or styles, no framing.
CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


# the read-only data a program on another origin may fetch: a browser SPARQL client (YASGUI), a web page
# reading the JSON API; no cookies or credentials are involved, so any origin may read
CORS_PREFIXES = ("/sparql", "/api/", "/export/")


def add_cors_headers(response: Response) -> Response:
    if request.path.startswith(CORS_PREFIXES):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "X-SPARQL-Results, X-SPARQL-Truncated"
        if request.method == "OPTIONS":     # a preflight: a POSTed application/sparql-query body, an Accept header
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response
