"""View data: plain dicts built from the Library, rendered either as HTML (templates) or as JSON.

Nothing here knows about requests or responses; the view functions in :mod:`search_app.views`
only pick the function, then render its dict.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from kg.library import Library
from kg.quotes import harvard_reference, locator
from kg.studies import study_label, study_names, study_short_name

PRODUCT_NAME = "Common Knowledge"
PURPOSE = ("A knowledge graph and search over research and policy literature on inter-professional "
           "work in children's services.")

# fields of a source in the API's list of sources, in this order
SOURCE_SUMMARY_FIELDS = ("id", "title", "authors", "year", "type", "file", "venue", "publisher", "studies",
                         "passage_count", "page_count")
PASSAGE_FIELDS = ("passage_id", "source_id", "page", "page_label", "start", "end", "heading", "kind", "text")


# --- site-wide ----------------------------------------------------------------------------------

def site(library: Library) -> dict[str, Any]:
    """What every HTML page shows in its header and footer."""
    manifest = library.manifest
    return {
        "product": PRODUCT_NAME,
        "purpose": PURPOSE,
        "build_created": manifest.get("created", ""),
        "corpus_hash": (manifest.get("corpus_hash") or "")[:12],
        "format_version": manifest.get("format_version"),
    }


# --- JSON API -------------------------------------------------------------------------------------

def health(library: Library, follow_error: str | None = None) -> dict[str, Any]:
    """The health check: "ok", or "error" with a message when the release served is no longer on
    disk (its documents are read from it on first use). ``follow_error`` says why a newer release
    the build directory points to is not served yet."""
    counts = library.counts
    manifest = library.manifest
    data: dict[str, Any] = {
        "status": "ok",
        "sources": counts["sources"],
        "passages": counts["passages"],
        "build": {
            "created": manifest.get("created"),
            "corpus_hash": manifest.get("corpus_hash"),
            "format_version": manifest.get("format_version"),
            "release": library.root.name,
        },
    }
    if not library.available():
        data["status"] = "error"
        data["message"] = (f"the release being served, {library.root}, is no longer on disk; "
                           "rebuild with `ckg build`, or restart `ckg serve`")
    if follow_error:
        data["warning"] = follow_error
    return data


def source_list(library: Library) -> dict[str, Any]:
    return {"results": [{**{name: source.get(name) for name in SOURCE_SUMMARY_FIELDS},
                         "reported_studies": _reported_studies(library, source)} for source in library.sources()]}


def _reported_studies(library: Library, source: dict[str, Any]) -> list[dict[str, Any]]:
    """The studies the source reports as the home page and the reader list them (``studies`` is the
    catalogue entry's names as written): the graph's study id, or None for a name no study carries."""
    return [{"id": link["id"], "name": link["name"], "acronym": link["acronym"]} for link in _study_links(library, source)]


def source_detail(library: Library, source_id: str) -> dict[str, Any] | None:
    """Every metadata field of one source plus its passages; None for an unknown id."""
    source = library.source(source_id)
    if source is None:
        return None
    data = {"id": source["id"]}
    data.update({key: value for key, value in source.items() if key != "id"})
    data["reported_studies"] = _reported_studies(library, source)
    data["passages"] = [{name: passage.get(name) for name in PASSAGE_FIELDS} for passage in library.passages(source_id)]
    return data


# --- home page ----------------------------------------------------------------------------------

def home(library: Library) -> dict[str, Any]:
    counts = library.counts
    return {
        "product": PRODUCT_NAME,
        "purpose": PURPOSE,
        "counts": {"sources": counts["sources"], "passages": counts["passages"]},
        "sources": [dict(_source_row(source), study_links=_study_links(library, source)) for source in library.sources()],
        "failures": [
            {"file": f.get("file", ""), "reason": f.get("reason", ""), "message": f.get("message", "")}
            for f in library.failures()
        ],
    }


def _source_row(source: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": source["id"],
        "title": source.get("title") or source.get("file") or source["id"],
        "authors": "; ".join(source.get("authors") or []),
        "year": source.get("year"),
        "type": source.get("type") or "",
        "venue": source.get("venue") or "",
        "publisher": source.get("publisher") or "",
        "studies": list(source.get("studies") or []),
        "passage_count": source.get("passage_count", 0),
        "has_metadata": source.get("has_metadata", True),
    }


# --- reader ---------------------------------------------------------------------------------------

def reader(library: Library, source_id: str) -> dict[str, Any] | None:
    """The source reader: metadata header, citation, and the cleaned text passage by passage."""
    source = library.source(source_id)
    if source is None:
        return None
    document = library.document(source_id) or {"text": "", "blocks": [], "pages": []}
    header = _reader_header(source)
    header["study_links"] = _study_links(library, source)
    return {
        "source": header,
        "segments": _reader_segments(document, library.passages(source_id)),
    }


def _study_links(library: Library, source: dict[str, Any]) -> list[dict[str, Any]]:
    """The studies the source reports, as the graph knows them (its catalogue entry or the curated
    study record), each linking to its study page, in the catalogue entry's order and then the
    curated ones; a name the catalogue entry gives that no study of the graph carries stays as
    plain text."""
    known = [study for study in library.studies().values() if source["id"] in library.reporting_sources(study)]
    ordered: list[dict[str, Any] | str] = []
    for name in source.get("studies") or []:
        match = next((study for study in known if name.casefold() in study_names(study)), None)
        if match is None:
            ordered.append(name)
        elif match not in ordered:
            ordered.append(match)
    ordered += [study for study in known if study not in ordered]
    return [{"known": False, "id": None, "name": item, "acronym": None, "short": item} if isinstance(item, str) else
            {"known": True, "id": item["id"], "name": study_label(item), "acronym": item.get("acronym"),
             "short": study_short_name(item)}
            for item in ordered]


def _reader_header(source: dict[str, Any]) -> dict[str, Any]:
    from .conceptdata import incomplete_reference

    url = source.get("url") or ""
    return {
        "id": source["id"],
        "title": source.get("title") or source.get("file") or source["id"],
        "title_supplied": bool(source.get("title_supplied")),
        "authors": list(source.get("authors") or []),
        "editors": list(source.get("editors") or []),
        "year": source.get("year"),
        "type": source.get("type") or "",
        "venue": source.get("venue") or "",
        "publisher": source.get("publisher") or "",
        "place": source.get("place") or "",
        "pages": source.get("pages") or "",
        "url": url,
        "url_is_link": is_web_url(url),
        "studies": list(source.get("studies") or []),
        "file": source.get("file") or "",
        "has_metadata": source.get("has_metadata", True),
        "passage_count": source.get("passage_count", 0),
        "page_count": source.get("page_count", 0),
        "citation": harvard_reference(source),
        "citation_incomplete": incomplete_reference(source),
    }


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host: only those become links."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


# --- the text, passage by passage -----------------------------------------------------------------

def _reader_segments(document: dict[str, Any], passages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Passages in text order, with any cleaned text that falls between them as "outside" items."""
    text = document.get("text") or ""
    blocks = {b["start"]: b for b in document.get("blocks") or []}
    levels = [b.get("level") or 0 for b in blocks.values() if b.get("kind") == "heading" and b.get("level")]
    top_level = min(levels) if levels else 1
    pages = sorted(document.get("pages") or [], key=lambda p: p["start"])
    items: list[dict[str, Any]] = []
    position = 0
    previous_heading: str | None = None
    for passage in sorted(passages, key=lambda p: p["start"]):
        if text[position:passage["start"]].strip():
            items.append({"type": "outside", "blocks": _blocks(text, position, passage["start"], blocks, top_level, [])})
        body = _blocks(text, passage["start"], passage["end"], blocks, top_level, _page_breaks(passage, pages, document))
        heading = passage.get("heading")
        shown_in_text = any(b["type"] == "heading" and b["text"] == heading for b in body)
        items.append({
            "type": "passage",
            "id": passage["passage_id"],
            "kind": passage.get("kind") or "text",
            "page": passage.get("page"),
            "page_label": passage.get("page_label"),
            "page_marker": locator(passage.get("page"), passage.get("page_label"), document),
            "heading": heading if heading and heading != previous_heading and not shown_in_text else None,
            "heading_level": 2,
            "blocks": body,
        })
        previous_heading = heading
        position = max(position, passage["end"])
    if text[position:].strip():
        items.append({"type": "outside", "blocks": _blocks(text, position, len(text), blocks, top_level, [])})
    return items


def _page_breaks(passage: dict[str, Any], pages: list[dict[str, Any]], document: dict[str, Any] | None = None) -> list[tuple[int, str]]:
    """(offset, marker) for each later page that starts inside the passage."""
    first = passage.get("page")
    if first is None:
        return []
    out = []
    for page in pages:
        if page["number"] > first and passage["start"] < page["start"] < passage["end"]:
            marker = locator(page["number"], page.get("label"), document)
            if marker:
                out.append((page["start"], marker))
    return out


def _blocks(text: str, start: int, end: int, blocks: dict[int, dict[str, Any]], top_level: int,
            page_breaks: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """text[start:end] as headings and paragraphs; "\\n\\n" separates paragraphs, "\\n" is a line break."""
    chunks: list[tuple[int, int]] = []
    cursor = start
    for match in re.finditer(r"\n\s*\n", text[start:end]):
        chunks.append((cursor, start + match.start()))
        cursor = start + match.end()
    chunks.append((cursor, end))
    out: list[dict[str, Any]] = []
    pending = sorted(page_breaks)
    for a, b in chunks:
        # skip whitespace at the edges of a chunk so offsets point at text
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a >= b:
            continue
        here = [(pos, marker) for pos, marker in pending if pos < b]
        pending = [(pos, marker) for pos, marker in pending if pos >= b]
        block = blocks.get(a)
        if block is not None and block.get("kind") == "heading" and block.get("end", b) >= b:
            level = max(0, (block.get("level") or top_level) - top_level)
            for _, marker in here:   # a page that starts at a heading: mark it before the heading
                out.append({"type": "paragraph", "kind": "page-break", "runs": [{"page": marker}]})
            out.append({"type": "heading", "level": min(2 + level, 4), "text": " ".join(text[a:b].split())})
            continue
        kind = block.get("kind") if block is not None else "paragraph"
        out.append({"type": "paragraph", "kind": kind or "paragraph", "runs": _runs(text, a, b, here)})
    for _, marker in pending:   # a page break in trailing whitespace: keep it visible at the end
        out.append({"type": "paragraph", "kind": "page-break", "runs": [{"page": marker}]})
    return out


def _runs(text: str, a: int, b: int, page_breaks: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Runs of one paragraph: {"text": ...}, {"br": True} for a line break, {"page": "p. 4"} for a page start."""
    events: list[tuple[int, int, str]] = [(max(pos, a), 0, marker) for pos, marker in page_breaks]
    events += [(a + m.start(), 1, "") for m in re.finditer(r"\n", text[a:b])]
    events.sort()
    runs: list[dict[str, Any]] = []
    cursor = a
    for pos, order, marker in events:
        if pos > cursor:
            runs.append({"text": text[cursor:pos]})
            cursor = pos
        if order == 0:
            runs.append({"page": marker})
        else:
            runs.append({"br": True})
            cursor = pos + 1
    if cursor < b:
        runs.append({"text": text[cursor:b]})
    return runs


def as_excerpt(text: str) -> str:
    """A quotation shown with an ellipsis where it starts inside its sentence ("although “co-production” …")
    or stops at a colon that opened a list it leaves out; the text itself stays verbatim."""
    text = " ".join((text or "").split())
    first = next((c for c in text if c.isalnum()), "")
    if first.islower():
        text = "… " + text
    if text.endswith((":", ",", ";")):
        text = text[:-1] + " …"
    return text
