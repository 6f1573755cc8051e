"""Search: the page (/search) and the JSON API (/api/search) from the same view data."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from .. import searchdata
from ..apidoc import documented
from . import library

pages_bp = Blueprint("search", __name__)
api_bp = Blueprint("search_api", __name__)


def _params():
    try:
        return searchdata.parse(request.args, library().settings.max_results)
    except searchdata.BadParameter as exc:
        abort(400, description=str(exc))


@api_bp.get("/search")
@documented("Passages ranked by meaning, keywords and concepts, each with why it matched; facets with counts.",
            '{"query", "mode", "total", "offset", "results": [{"passage_id", "source_id", "text", "page", "score", '
            '"scores" (dense, keyword, concept; words_by_meaning in hybrid and dense searches), '
            '"concepts", "why", "highlights", …}], "facets", "facets_over", "concept_card", "study_card"}; the facet '
            'counts are over the best "facets_over" results (100), not all "total"; a filter\'s own total can be larger',
            q="the query: a concept, a question, a half-remembered quote", k="results per page (default 10)",
            mode="hybrid (default), bm25 or dense", page="page of results, from 1", offset="first result, instead of page",
            source="source ids, separated by commas", type="document types",
            study="study ids or names: the passages of the sources that report the study",
            concept="concept ids", year="years", kind="passage kinds: text, list, table, caption, references, slide, quote, definition",
            respell="1 (default): search for a respelling when no word is in the library; 0: as typed")
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
