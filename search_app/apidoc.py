"""What each JSON or data endpoint does and takes, declared on its view (``@documented``) and listed
by ``GET /api``: the index is made from the app's own routes, so it cannot leave one out or name
one that is gone (a test asserts every /api route is documented)."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask

# the routes the index lists: the JSON API and the data a program fetches
_LISTED_PREFIXES = ("/api/", "/sparql", "/export/", "/works/export.", "/citations/graph.svg", "/concepts/<concept_id>.",
                    "/sources/<source_id>/text")


def documented(summary: str, returns: str, **parameters: str) -> Callable:
    """Mark a view with what it does (``summary``), what it answers (``returns``) and its query
    parameters (name → meaning)."""
    def mark(view: Callable) -> Callable:
        view.api_doc = {"summary": summary, "returns": returns, "parameters": parameters}
        return view
    return mark


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
