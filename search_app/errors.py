"""One error shape: JSON ``{"error": {"status", "message"}}`` under /api, an HTML page elsewhere.

Unexpected exceptions reach the handler as a 500 (Flask logs them first); in testing mode
Flask lets them propagate to the test instead.
"""
from __future__ import annotations

import os
import re

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kg.library import LibraryError

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    500: "Server error",
    503: "Service unavailable",
}
SERVER_ERROR_MESSAGE = "Something went wrong on the server; the error has been logged."


# where a reader who followed a dead address goes next: the list the address was meant to be in
_WAYS_BACK = (
    ("/studies", "/studies", "the list of studies"),
    ("/concepts", "/concepts", "the concept browser"),
    ("/works", "/works", "the cited works"),
    ("/people", "/works", "the cited works and their authors"),
    ("/quotes", "/quotes", "the quote finder"),
    ("/search", "/search", "the search page"),
)


def way_back(path: str) -> tuple[str, str]:
    """(address, what it is) of the page to offer after an error at ``path``."""
    for prefix, address, label in _WAYS_BACK:
        if path == prefix or path.startswith(prefix + "/"):
            return address, label
    return "/", "the list of sources"


# a file for a program to read: /works/export.bib, /concepts/<id>.ttl (or a format asked for that is none:
# .n3, .csv), a source's text
_DATA_FILE_RE = re.compile(r"/[^/]+\.(?:bib|ris|ttl|jsonld|json|nq|nt|trig|rdf|owl|xml|svg)$"
                           r"|^/concepts/[^/]+\.\w{1,10}$|^/sources/[^/]+/text$", re.I)


def wants_json() -> bool:
    """The API, the SPARQL endpoint and the exports answer programs: their errors are JSON. So do the
    addresses of the data files the app serves (a bibliography, a concept's RDF, the citation graph's
    SVG), a data format asked for there that the app has not included."""
    path = request.path
    return (path == "/api" or path.startswith(("/api/", "/export/")) or path == "/sparql"
            or path.startswith("/works/export.") or (bool(_DATA_FILE_RE.search(path)) and not path.startswith("/static/")))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(LibraryError, _library_error)


def _library_error(error: LibraryError):
    """A file of the build the request needs is missing or damaged: 503 naming it (relative to the
    release) with "rebuild with `ckg build`", not a 500; what needs other files is still served."""
    library = g.get("ckg_library") or current_app.extensions.get("ckg_library")     # the request's release
    message = str(error)
    if library is not None:
        message = message.replace(f"{library.root}{os.sep}", "").replace(str(library.root), library.root.name)
    current_app.logger.error("%s %s: %s", request.method, request.path, error)
    return _error_response(503, message)


def _http_error(error: HTTPException):
    status = error.code or 500
    message = SERVER_ERROR_MESSAGE if status >= 500 else (error.description or TITLES.get(status, "Error"))
    # keep headers such as Allow (405), not the default HTML content type
    headers = [(k, v) for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")]
    response = _error_response(status, message)
    for name, value in headers:
        response.headers[name] = value
    return response


def _error_response(status: int, message: str):
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        response = current_app.response_class(render_template(
            "error.html", status=status, title=TITLES.get(status, "Error"), message=message,
            way_back=way_back(request.path),
        ))
    response.status_code = status
    return response
