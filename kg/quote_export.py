"""Export of a basket of quotes as CSV, RIS, BibTeX, CSL-JSON or Markdown, each quote verified
against its source text first (a quote that no longer matches is refused, never re-attached).

Grouped by quote (the default), a reference manager gets one reference per quote, the quote its
note. Grouped by source, it gets one reference per source with every quote from it as a note
(Zotero: one item, a child note per quote, instead of the same item once per quote); the CSV keeps
a row per quote, its rows gathered source by source, and the Markdown puts each source's reference
above its quotes."""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from . import bibtex
from .quotes import cited_speaker, harvard_reference, quote_locator, section_locator, words_inside_marks

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "csl-json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
    "markdown": ("text/markdown; charset=utf-8", "md"),
}
_RIS_TYPES = {"journal article": "JOUR", "research report": "RPRT", "presentation slides": "SLIDE",
              "book chapter": "CHAP", "impact case study": "RPRT", "book": "BOOK", "thesis": "THES",
              "policy document": "GOVDOC"}
_BIB_TYPES = {"journal article": "article", "research report": "techreport", "book chapter": "incollection",
              "impact case study": "techreport", "presentation slides": "misc", "book": "book",
              "thesis": "phdthesis", "policy document": "techreport"}
_CSL_TYPES = {"journal article": "article-journal", "research report": "report", "book chapter": "chapter",
              "impact case study": "report", "presentation slides": "speech", "book": "book", "thesis": "thesis",
              "policy document": "report"}
# how the quotes are gathered: "quote", a reference each; "source", one reference per source
GROUPS = ("quote", "source")

# said when a search (not a list of ids) is exported and finds nothing
NOTHING_FOUND = "no quote matches this query and these filters: nothing to export"
EXPORT_ALL = 1000       # quotes an export without a query takes unless asked for fewer (the quote finder's largest k)


def nearest_only(found: dict) -> str | None:
    """Why the quotes a search found (``Library.search_quotes``) are no export: no word of its query is in
    any quote, so they are only the nearest in meaning (the quote finder offers no export then); else None."""
    if not found.get("nearest_only"):
        return None
    named = ", ".join(f"“{word}”" for word in found["unknown_words"])
    return (f"no quote contains {named}, so the quotes found are only the nearest in meaning: nothing was "
            "exported; search with other words, or export chosen quotes by their ids")


class ExportError(ValueError):
    """Quotes that cannot be exported: unknown ids or text that no longer matches its source."""


def export(quotes: list[dict[str, Any]], sources: dict[str, dict[str, Any]], fmt: str, link_base: str = "",
           group: str = "quote") -> str:
    """``quotes`` in an export format; ``group="source"`` gathers them under their sources (see above),
    the sources in the order of their first quote, each source's quotes in the order given."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    if group not in GROUPS:
        raise ExportError(f"group must be one of {', '.join(GROUPS)}")
    if group == "source":
        gathered = _by_source(quotes)
        if fmt == "csv":        # a table keeps a row per quote, its rows gathered source by source
            return _csv([q for source_quotes in gathered.values() for q in source_quotes], sources, link_base)
        writer = {"ris": _ris_by_source, "bibtex": _bibtex_by_source, "csl-json": _csl_by_source,
                  "markdown": _markdown_by_source}[fmt]
        return writer(gathered, sources, link_base)
    writer = {"csv": _csv, "ris": _ris, "bibtex": _bibtex, "csl-json": _csl, "markdown": _markdown}[fmt]
    return writer(quotes, sources, link_base)


def _by_source(quotes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    gathered: dict[str, list[dict[str, Any]]] = {}
    for quote in quotes:
        gathered.setdefault(quote["source_id"], []).append(quote)
    return gathered


def _source_link(source_id: str, base: str) -> str:
    return f"{base}/sources/{source_id}"


def _spoken_by(quote: dict[str, Any]) -> str:
    """" — Mrs A (parent)" after a quote's words in a reference's note, "" when no speaker is named;
    " — not attributed by the source" for first-person words the source gives no speaker for."""
    if quote.get("unattributed"):
        said = f"{quote['speaker']} ({quote.get('speaker_role') or 'participant'}), " if quote.get("speaker") else ""
        return f" — {said}not attributed by the source"
    return f" — {quote['speaker']} ({quote.get('speaker_role') or 'participant'})" if quote.get("speaker") else ""


def _note(quote: dict[str, Any]) -> str:
    """One quote as a note of its source's reference: the words in quotation marks, then who said
    them and the ready citation with the page (“…” — One mother, parent, quoted in …, p. 4)."""
    attribution = _attribution(quote)
    words = f"“{_one_line(words_inside_marks(quote['text']))}”"
    return f"{words} — {attribution}" if attribution else words


def _link(quote: dict[str, Any], base: str) -> str:
    return f"{base}/sources/{quote['source_id']}#{quote['passage_id']}" if quote.get("passage_id") else f"{base}/sources/{quote['source_id']}"


def _page(quote: dict[str, Any]) -> str:
    """The page the quote stands on (a locator: it goes in the citation and the CSV, never in a
    reference's page-range field, which reference managers read as the item's pages)."""
    return str(quote.get("page_label") or quote.get("page") or "")


def _item_pages(source: dict[str, Any]) -> tuple[str, str]:
    """The source's own page range as catalogued ("123-140" for a chapter): (first, last)."""
    first, _, last = re.sub(r"\s+", "", str(source.get("pages") or "")).replace("–", "-").partition("-")
    return first, last


def _csv(quotes, sources, base) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    # "locator": the page as the citation writes it ("p. 47", "slide 9"; "section 3.4" without page numbers); "cited": the work a quotation
    # of the literature is from, as the text cites it; "attribution": "not attributed by the source" for
    # first-person words whose speaker the source does not give (columns added after the first twelve)
    writer.writerow(["quote_id", "text", "speaker", "speaker_role", "kind", "source_id", "source_title", "authors",
                     "year", "page", "citation", "link", "locator", "cited", "attribution"])
    for q in quotes:
        s = sources.get(q["source_id"], {})
        writer.writerow([q["quote_id"], q["text"], q.get("speaker") or "", q.get("speaker_role") or "", q["kind"],
                         q["source_id"], s.get("title", ""), "; ".join(s.get("authors") or []), s.get("year") or "",
                         _page(q), q.get("citation", ""), _link(q, base),
                         quote_locator(q, s) or "", q.get("cited") or "",
                         "not attributed by the source" if q.get("unattributed") else ""])
    # a byte-order mark first: Excel opens a UTF-8 CSV without one as the local code page, turning
    # every curly quote into "â€™"; CSV readers that decode utf-8-sig (pandas, LibreOffice) drop it
    return "\ufeff" + out.getvalue()


def _ris(quotes, sources, base) -> str:
    lines: list[str] = []
    for q in quotes:
        who = _spoken_by(q)
        notes = [f"{_one_line(q['text'])}{who}", _one_line(q.get("citation", ""))]
        lines += _ris_record(q["quote_id"], q["source_id"], sources.get(q["source_id"], {}), notes,
                             _link(q, base) if base else "")
    return "\n".join(lines)


def _ris_by_source(gathered, sources, base) -> str:
    lines: list[str] = []
    for source_id, quotes in gathered.items():
        lines += _ris_record(source_id, source_id, sources.get(source_id, {}), [_note(q) for q in quotes],
                             _source_link(source_id, base) if base else "")
    return "\n".join(lines)


def _ris_record(record_id: str, source_id: str, s: dict[str, Any], notes: list[str], url: str) -> list[str]:
    lines = [f"TY  - {_RIS_TYPES.get(s.get('type', ''), 'GEN')}", f"ID  - {record_id}",
             f"TI  - {_one_line(s.get('title') or source_id)}"]
    for author in s.get("authors") or []:
        lines.append(f"AU  - {author}")
    if s.get("year"):
        lines.append(f"PY  - {s['year']}")
    if s.get("venue"):
        lines.append(f"T2  - {_one_line(s['venue'])}")
    if s.get("publisher"):
        lines.append(f"PB  - {_one_line(s['publisher'])}")
    first, last = _item_pages(s)
    if first:
        lines.append(f"SP  - {first}")
    if last:
        lines.append(f"EP  - {last}")
    lines += [f"N1  - {note}" for note in notes]
    if url:
        lines.append(f"UR  - {url}")
    return lines + ["ER  - ", ""]


def _bibtex(quotes, sources, base) -> str:
    entries: list[str] = []
    for q in quotes:
        who = _spoken_by(q)
        note = " ".join(part for part in (_sentence(q["text"] + who), q.get("citation", "")) if part)
        entries.append(_bibtex_entry(q["quote_id"], q["source_id"], sources.get(q["source_id"], {}), note,
                                     _link(q, base) if base else ""))
    return "\n\n".join(entries) + "\n"


def _bibtex_by_source(gathered, sources, base) -> str:
    entries = [_bibtex_entry(source_id, source_id, sources.get(source_id, {}),
                             " ".join(_sentence(_note(q)) for q in quotes),
                             _source_link(source_id, base) if base else "")
               for source_id, quotes in gathered.items()]
    return "\n\n".join(entries) + "\n"


def _bibtex_entry(key: str, source_id: str, s: dict[str, Any], note: str, url: str) -> str:
    fields = {"title": s.get("title") or source_id}
    if s.get("authors"):
        fields["author"] = bibtex.name_list(s["authors"])
    if s.get("year"):
        fields["year"] = str(s["year"])
    if s.get("venue"):
        fields["booktitle" if s.get("type") == "book chapter" else "journal" if s.get("type") == "journal article" else "howpublished"] = s["venue"]
    if s.get("publisher"):
        kind = s.get("type")
        fields["school" if kind == "thesis" else "institution" if kind in ("research report", "policy document")
               else "publisher"] = s["publisher"]
    first, last = _item_pages(s)
    if first:
        fields["pages"] = f"{first}--{last}" if last else first
    fields["note"] = note
    if url:
        fields["url"] = url
    body = ",\n".join(f"  author = {{{value}}}" if name == "author" else bibtex.field(name, value)
                       for name, value in fields.items())
    return f"@{_BIB_TYPES.get(s.get('type', ''), 'misc')}{{{key},\n{body}\n}}"


def _csl(quotes, sources, base) -> str:
    items = []
    for q in quotes:
        item = _csl_item(q["quote_id"], q["source_id"], sources.get(q["source_id"], {}))
        item["note"] = q["text"]
        item["custom"] = _csl_quote(q, base)
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


def _csl_by_source(gathered, sources, base) -> str:
    items = []
    for source_id, quotes in gathered.items():
        item = _csl_item(source_id, source_id, sources.get(source_id, {}))
        item["note"] = "\n\n".join(_note(q) for q in quotes)
        item["custom"] = {"link": _source_link(source_id, base),
                          "quotes": [{"quote_id": q["quote_id"], "text": q["text"], **_csl_quote(q, base)} for q in quotes]}
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


def _csl_quote(q: dict[str, Any], base: str) -> dict[str, Any]:
    return {"speaker": q.get("speaker"), "speaker_role": q.get("speaker_role"), "kind": q["kind"],
            "citation": q.get("citation"), "locator": _page(q) or section_locator(q.get("section")), "link": _link(q, base)}


def _csl_item(item_id: str, source_id: str, s: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": item_id, "type": _CSL_TYPES.get(s.get("type", ""), "document"),
                            "title": s.get("title") or source_id}
    authors = []
    for author in s.get("authors") or []:
        if "," in author:
            family, given = [p.strip() for p in author.split(",", 1)]
            authors.append({"family": family, "given": given})
        else:
            authors.append({"literal": author})
    if authors:
        item["author"] = authors
    if s.get("year"):
        item["issued"] = {"date-parts": [[int(s["year"])]]}
    if s.get("venue"):
        item["container-title"] = s["venue"]
    if s.get("publisher"):
        item["publisher"] = s["publisher"]
    first, last = _item_pages(s)
    if first:
        item["page"] = f"{first}-{last}" if last else first
    return item


def _who(quote: dict[str, Any]) -> str:
    """The speaker and role to put before a quote's citation, without what the citation says already
    ("Children, child, quoted in …" would say "child" twice; "One mother, parent, mother, quoted in …")."""
    citation = (quote.get("citation") or "").casefold()
    role = quote.get("speaker_role") or ""
    lead = _citation_lead(quote)
    role = "" if not role or citation.startswith((role.casefold(), lead + ",")) else role
    speaker = quote.get("speaker") or ""
    if not speaker or speaker.casefold() == role.casefold():
        return role
    return f"{speaker} ({role})" if role else speaker


def _citation_lead(quote: dict[str, Any]) -> str:
    """The words a participant's ready citation opens with ("social worker", "parent"), case-folded."""
    return cited_speaker(quote).casefold() if quote.get("kind", "participant") == "participant" else ""


def _attribution(quote: dict[str, Any]) -> str:
    """Who said it and the ready citation, the speaker said once: "One mother, quoted in …",
    "one practitioner, quoted in …" (not "one practitioner, practitioner, quoted in …")."""
    who = _who(quote)
    citation = quote.get("citation", "")
    for lead in (_citation_lead(quote), (quote.get("speaker_role") or "").casefold()):
        if who and lead and lead in who.casefold() and citation.casefold().startswith((lead + ", quoted in ",
                                                                                       lead + ", not attributed ")):
            citation = citation[len(lead) + 2:]
            break
    return ", ".join(part for part in (who, citation) if part)


def _markdown_quote(q: dict[str, Any], base: str) -> str:
    body = "\n".join("> " + line for line in q["text"].splitlines() or [""])
    return f"{body}\n>\n> — {_attribution(q)} ([passage]({_link(q, base)}))"


def _markdown(quotes, sources, base) -> str:
    return "\n\n".join(_markdown_quote(q, base) for q in quotes) + "\n"


def _markdown_by_source(gathered, sources, base) -> str:
    """A section per source, its Harvard reference as the heading, then its quotes."""
    return "\n\n".join(f"## {harvard_reference(sources.get(source_id) or {'id': source_id})}\n\n"
                         + "\n\n".join(_markdown_quote(q, base) for q in quotes)
                         for source_id, quotes in gathered.items()) + "\n"


def _sentence(text: str) -> str:
    """``text`` ended as a sentence: a full stop added only when it has no end mark of its own
    ("… worker." stays as it is, not "worker.."; "next?’" too)."""
    text = text.rstrip()
    return text if not text or re.search(r"[.!?…][\"'”’»)\]]*$", text) else text + "."


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()
