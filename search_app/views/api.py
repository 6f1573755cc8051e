"""JSON API under /api. Errors share one shape (see search_app.errors)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify

from .. import viewdata
from ..apidoc import documented, endpoint_index
from . import library

bp = Blueprint("api", __name__)


@bp.get("/", strict_slashes=False)
@documented("This list: every JSON and data endpoint with what it answers and its parameters.",
            '{"name", "endpoints": [{"path", "methods", "summary", "returns", "parameters": [{"name", "description"}]}]}')
def index():
    return jsonify({"name": "Common Knowledge JSON API", "errors": '{"error": {"status", "message"}} with the HTTP status',
                    "endpoints": endpoint_index(current_app)})


@bp.get("/health")
@documented("Whether the library is loaded: counts of sources and passages, the build's date, corpus hash and "
            "release (503 with status \"error\" and a message when the release served is gone from disk; a "
            "warning when a newer release could not be loaded).",
            '{"status", "sources", "passages", "build": {"created", "corpus_hash", "format_version", "release"}, '
            '"message"?, "warning"?}')
def health():
    data = viewdata.health(library(), current_app.extensions["ckg_follower"].error)
    response = jsonify(data)
    if data["status"] != "ok":
        response.status_code = 503
    return response


@bp.get("/sources")
@documented("Every source with its catalogue metadata (\"studies\": the names its catalogue entry gives) and the studies it "
            "reports as the home page lists them (\"reported_studies\": a study the source names only in its reference "
            "list is left out; id null for a name no study of the graph carries).",
            '{"results": [{"id", "title", "authors", "year", "type", "file", "studies", '
            '"reported_studies": [{"id", "name", "acronym"}], …}]}')
def sources():
    return jsonify(viewdata.source_list(library()))


@bp.get("/sources/<source_id>")
@documented("One source: its metadata and every passage with its page and character offsets.",
            '{…metadata, "reported_studies": [{"id", "name", "acronym"}], '
            '"passages": [{"passage_id", "source_id", "page", "page_label", "start", "end", "heading", "kind", "text"}]}')
def source(source_id: str):
    data = viewdata.source_detail(library(), source_id)
    if data is None:
        abort(404, description=f"There is no source with the id “{source_id}”.")
    return jsonify(data)
