"""Citation lineage: reference lists, in-text citations, canonical works and their people.

Plain entry points:

* :func:`parse_references` (text → :class:`Reference` entries of its reference lists),
* :func:`find_citations` (text → :class:`InTextCitation` s with sentence, passage and page),
* :func:`analyse_document` (one document: both, each citation resolved to its list entry),
* :func:`resolve_works` (entries and unresolved citations of all documents → works and people),
* :func:`build_citations` (what ``ckg build`` writes as ``citations.json``).
"""
from __future__ import annotations

from typing import Any, Iterable

from .intext import InTextCitation, find_citations
from .references import Reference, parse_reference, parse_references, reference_sections
from .works import person_id, resolve_in_document, resolve_works

FORMAT = 1
FILE = "citations.json"

__all__ = ["FILE", "InTextCitation", "Reference", "analyse_document", "build_citations", "find_citations",
           "parse_reference", "parse_references", "person_id", "reference_sections", "resolve_in_document", "resolve_works"]


def analyse_document(text: str, passages: Iterable[dict[str, Any]] = (), pages: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """A document's reference entries and in-text citations (as dicts), citations resolved to entries."""
    references = parse_references(text)
    excluded = [(a, b) for a, b, _ in reference_sections(text)]
    bodies = [r.surnames[0] for r in references if r.corporate and r.surnames]
    titles = [(r.title, r.year) for r in references if r.title and not r.key]
    citations = find_citations(text, passages, pages, exclude=excluded, bodies=bodies, titles=titles)
    refs = [r.to_dict() for r in references]
    cites = [c.to_dict() for c in citations]
    resolve_in_document(cites, refs)
    # an Act the list lacks, named in running text, is a mention; in brackets it is cited all the same
    cites = [c for c in cites if c["kind"] != "legislation" or c["reference"] is not None or c["candidates"]
             or text[:c["start"]].rstrip().endswith("(")]
    return {"references": refs, "citations": cites}


def build_citations(documents: dict[str, dict[str, Any]], passages: list[dict[str, Any]],
                    sources: list[dict[str, Any]]) -> dict[str, Any]:
    """``documents``: source id → {"text", "pages"}; ``passages``: every passage dict of the build."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for passage in passages:
        by_source.setdefault(passage["source_id"], []).append(passage)
    analysed = {sid: analyse_document(doc.get("text") or "", by_source.get(sid, []), doc.get("pages") or [])
                for sid, doc in documents.items()}
    resolved = resolve_works(analysed, sources)
    return {"format": FORMAT, "sources": analysed, "works": resolved["works"], "people": resolved["people"]}
