"""JSON API under /api. Errors share one shape (see search_app.errors)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify

from .. import viewdata
from . import library

bp = Blueprint("api", __name__)


@bp.get("/health")
def health():
    return jsonify(viewdata.health(library()))


@bp.get("/sources")
def sources():
    return jsonify(viewdata.source_list(library()))


@bp.get("/sources/<source_id>")
def source(source_id: str):
    data = viewdata.source_detail(library(), source_id)
    if data is None:
        abort(404, description=f"There is no source with the id “{source_id}”.")
    return jsonify(data)
