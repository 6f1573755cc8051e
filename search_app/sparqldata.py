"""View data for the SPARQL pages: the example queries page and results shown as an HTML table."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from kg.graph import EXPORT_FORMATS
from kg.library import Library
from kg.sparql import QueryPool, Result
from kg.sparql_examples import EXAMPLES, PREFIXES

BASE = "https://w3id.org/common-knowledge/"


def examples_page(pool: QueryPool, edit: str | None = None) -> dict[str, Any]:
    examples = []
    for example in EXAMPLES:
        graph = example.body.strip().upper().startswith(("DESCRIBE", "CONSTRUCT"))
        formats = [("Turtle", "turtle"), ("JSON-LD", "jsonld")] if graph else [("JSON", "json"), ("CSV", "csv"), ("XML", "xml")]
        examples.append({
            "id": example.id,
            "title": example.title,
            "description": example.description,
            "query": example.query,
            "run": "/sparql?" + urlencode({"query": example.query, "format": "html"}),
            "links": [(label, "/sparql?" + urlencode({"query": example.query, "format": fmt})) for label, fmt in formats],
        })
    return {
        "examples": examples,
        "prefixes": PREFIXES,
        "edit": edit if edit is not None else EXAMPLES[0].query,
        "timeout_s": pool.timeout_s,
        "max_results": pool.max_results,
        "exports": [{"format": name, "media_type": media} for name, (media, _, _) in EXPORT_FORMATS.items()],
    }


def local_link(uri: str, library: Library) -> str | None:
    """The page of a resource of this library, if it has one."""
    if not uri.startswith(BASE):
        return None
    kind, _, rest = uri[len(BASE):].partition("/")
    if not rest or "/" in rest:
        return None
    if kind == "concept" and library.concept(rest):
        return f"/concepts/{rest}"
    if kind == "study" and library.study(rest):
        return f"/studies/{rest}"
    if kind == "source" and library.source(rest):
        return f"/sources/{rest}"
    if kind == "passage":
        passage = library.passage(rest)
        if passage:
            return f"/sources/{passage['source_id']}#{rest}"
    return None


def results_page(query: str, result: Result, library: Library) -> dict[str, Any]:
    rows = []
    for row in result.rows:
        cells = []
        for term in row:
            if term is None:
                cells.append({"text": "", "href": None, "kind": "unbound"})
            elif term[0] == "uri":
                href = local_link(term[1], library) or (term[1] if term[1].startswith(("http://", "https://")) else None)
                cells.append({"text": term[1], "href": href, "kind": "uri"})
            elif term[0] == "bnode":
                cells.append({"text": f"_:{term[1]}", "href": None, "kind": "bnode"})
            else:
                suffix = f"@{term[2]}" if term[2] else ""
                cells.append({"text": term[1], "href": None, "kind": "literal", "lang": suffix})
        rows.append(cells)
    return {
        "query": query,
        "form": result.form,
        "variables": result.variables,
        "rows": rows,
        "boolean": result.boolean,
        "graph": result.body.decode("utf-8") if result.body else None,
        "count": result.count,
        "truncated": result.truncated,
        "milliseconds": round(result.seconds * 1000, 1),
        "edit": "/sparql?" + urlencode({"edit": query}),
    }
