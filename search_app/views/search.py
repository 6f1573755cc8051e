"""Search: the page (/search) and the JSON API (/api/search) from the same view data."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from .. import searchdata
from . import library

pages_bp = Blueprint("search", __name__)
api_bp = Blueprint("search_api", __name__)


def _params():
    try:
        return searchdata.parse(request.args, library().settings.max_results)
    except searchdata.BadParameter as exc:
        abort(400, description=str(exc))


@api_bp.get("/search")
def search_api():
    params = _params()
    try:
        return jsonify(searchdata.search(library(), params))
    except searchdata.BadParameter as exc:
        abort(400, description=str(exc))


@pages_bp.get("/search")
def search_page():
    has_concept_pages = any(rule.rule.startswith("/concepts/<") for rule in current_app.url_map.iter_rules())
    try:
        params = searchdata.parse(request.args, library().settings.max_results)
    except searchdata.BadParameter as exc:
        params = {"query": request.args.get("q", ""), "mode": "hybrid", "k": searchdata.DEFAULT_K, "offset": 0, "filters": {}}
        view = {"params": params, "data": None, "error": str(exc), "has_concept_pages": has_concept_pages}
        return render_template("search.html", view=view), 400
    view = searchdata.page(library(), params, has_concept_pages)
    return render_template("search.html", view=view), (400 if view["error"] else 200)
