"""What each JSON or data endpoint does and takes, declared on its view (``@documented``) and listed
by ``GET /api``: the index is made from the app's own routes, so it cannot leave one out or name
one that is gone (a test asserts every /api route is documented)."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask, abort, current_app, request

# the routes the index lists: the JSON API and the data a program fetches
_LISTED_PREFIXES = ("/api/", "/sparql", "/export/", "/works/export.", "/citations/graph.svg", "/concepts/<concept_id>.",
                    "/sources/<source_id>/text")


def documented(summary: str, returns: str, aliases: dict[str, str] | None = None, **parameters: str) -> Callable:
    """Mark a view with what it does (``summary``), what it answers (``returns``) and its query
    parameters (name → meaning); ``aliases``: other names a parameter is also taken by (alias → name)."""
    def mark(view: Callable) -> Callable:
        view.api_doc = {"summary": summary, "returns": returns, "parameters": parameters, "aliases": aliases or {}}
        return view
    return mark


def parameters_taken(view: Callable) -> set[str]:
    """The query parameters a documented view takes: its documented names and their aliases."""
    doc = view.api_doc
    return {*doc["parameters"], *doc["aliases"]}


def refuse_unknown_parameters() -> None:
    """Before a JSON API request: a query parameter the endpoint does not take, or one given twice, is a 400
    naming it (a misspelt filter, "sourse=", or the quote finder's offset asked for as "page=", was
    silently ignored and answered as if not given). Names starting with "_" (a cache-buster) pass."""
    if not request.path.startswith("/api/") or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_doc", None) is None:
        return
    known = parameters_taken(view)
    for name in request.args:
        if name.startswith("_"):
            continue
        if name not in known:
            takes = f"its parameters are {', '.join(sorted(known))}" if known else "it takes none"
            abort(400, description=f"parameter '{name}' is not one {request.path} takes: {takes} (GET /api lists them)")
        if len(request.args.getlist(name)) > 1:
            abort(400, description=f"parameter '{name}' is given {len(request.args.getlist(name))} times: give it once "
                                   "(a filter takes several values separated by commas)")


def endpoint_index(app: Flask) -> list[dict[str, Any]]:
    """Every listed route with its methods and its declared documentation, by path."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(_LISTED_PREFIXES):
            continue
        doc = getattr(app.view_functions[rule.endpoint], "api_doc", None) or {}
        out.append({"path": rule.rule, "methods": sorted(rule.methods - {"HEAD", "OPTIONS"}),
                    "summary": doc.get("summary", ""), "returns": doc.get("returns", ""),
                    "parameters": [{"name": name, "description": text} for name, text in doc.get("parameters", {}).items()]})
    return out
