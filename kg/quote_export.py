"""Export of a basket of quotes as CSV, RIS, BibTeX, CSL-JSON or Markdown, each quote verified
against its source text first (a quote that no longer matches is refused, never re-attached)."""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from .quotes import locator

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "csl-json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
    "markdown": ("text/markdown; charset=utf-8", "md"),
}
_RIS_TYPES = {"journal article": "JOUR", "research report": "RPRT", "presentation slides": "SLIDE",
              "book chapter": "CHAP", "impact case study": "RPRT"}
_BIB_TYPES = {"journal article": "article", "research report": "techreport", "book chapter": "incollection",
              "impact case study": "techreport", "presentation slides": "misc"}
_CSL_TYPES = {"journal article": "article-journal", "research report": "report", "book chapter": "chapter",
              "impact case study": "report", "presentation slides": "speech"}


# said when a search (not a list of ids) is exported and finds nothing
NOTHING_FOUND = "no quote matches this query and these filters: nothing to export"
EXPORT_ALL = 1000       # quotes an export without a query takes unless asked for fewer (the quote finder's largest k)


class ExportError(ValueError):
    """Quotes that cannot be exported: unknown ids or text that no longer matches its source."""


def export(quotes: list[dict[str, Any]], sources: dict[str, dict[str, Any]], fmt: str, link_base: str = "") -> str:
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    writer = {"csv": _csv, "ris": _ris, "bibtex": _bibtex, "csl-json": _csl, "markdown": _markdown}[fmt]
    return writer(quotes, sources, link_base)


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
    # "locator": the page as the citation writes it ("p. 47", "slide 9"); "cited": the work a quotation
    # of the literature is from, as the text cites it (columns added after the first twelve)
    writer.writerow(["quote_id", "text", "speaker", "speaker_role", "kind", "source_id", "source_title", "authors",
                     "year", "page", "citation", "link", "locator", "cited"])
    for q in quotes:
        s = sources.get(q["source_id"], {})
        writer.writerow([q["quote_id"], q["text"], q.get("speaker") or "", q.get("speaker_role") or "", q["kind"],
                         q["source_id"], s.get("title", ""), "; ".join(s.get("authors") or []), s.get("year") or "",
                         _page(q), q.get("citation", ""), _link(q, base),
                         locator(q.get("page"), q.get("page_label"), s) or "", q.get("cited") or ""])
    # a byte-order mark first: Excel opens a UTF-8 CSV without one as the local code page, turning
    # every curly quote into "â€™"; CSV readers that decode utf-8-sig (pandas, LibreOffice) drop it
    return "\ufeff" + out.getvalue()


def _ris(quotes, sources, base) -> str:
    lines: list[str] = []
    for q in quotes:
        s = sources.get(q["source_id"], {})
        lines.append(f"TY  - {_RIS_TYPES.get(s.get('type', ''), 'GEN')}")
        lines.append(f"ID  - {q['quote_id']}")
        lines.append(f"TI  - {_one_line(s.get('title') or q['source_id'])}")
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
        who = f" — {q['speaker']} ({q.get('speaker_role') or 'participant'})" if q.get("speaker") else ""
        lines.append(f"N1  - {_one_line(q['text'])}{who}")
        lines.append(f"N1  - {_one_line(q.get('citation', ''))}")
        if base:
            lines.append(f"UR  - {_link(q, base)}")
        lines.append("ER  - ")
        lines.append("")
    return "\n".join(lines)


def _bib_escape(text: str) -> str:
    text = _one_line(text).replace("\\", "\\textbackslash{}")
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def _bibtex(quotes, sources, base) -> str:
    entries: list[str] = []
    for q in quotes:
        s = sources.get(q["source_id"], {})
        fields = {"title": s.get("title") or q["source_id"]}
        if s.get("authors"):
            fields["author"] = " and ".join(a if "," in a else "{" + a + "}" for a in s["authors"])
        if s.get("year"):
            fields["year"] = str(s["year"])
        if s.get("venue"):
            fields["booktitle" if s.get("type") == "book chapter" else "journal" if s.get("type") == "journal article" else "howpublished"] = s["venue"]
        if s.get("publisher"):
            fields["publisher" if s.get("type") != "research report" else "institution"] = s["publisher"]
        first, last = _item_pages(s)
        if first:
            fields["pages"] = f"{first}--{last}" if last else first
        who = f" — {q['speaker']} ({q.get('speaker_role') or 'participant'})" if q.get("speaker") else ""
        fields["note"] = " ".join(part for part in (_sentence(q["text"] + who), q.get("citation", "")) if part)
        if base:
            fields["url"] = _link(q, base)
        # a name list keeps its braces; an address is read as written (escaping "#" would print "\#")
        body = ",\n".join(f"  {key} = {{{_one_line(value) if key in ('author', 'url') else _bib_escape(value)}}}"
                           for key, value in fields.items())
        entries.append(f"@{_BIB_TYPES.get(s.get('type', ''), 'misc')}{{{q['quote_id']},\n{body}\n}}")
    return "\n\n".join(entries) + "\n"


def _csl(quotes, sources, base) -> str:
    items = []
    for q in quotes:
        s = sources.get(q["source_id"], {})
        item: dict[str, Any] = {"id": q["quote_id"], "type": _CSL_TYPES.get(s.get("type", ""), "document"),
                                "title": s.get("title") or q["source_id"]}
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
        item["note"] = q["text"]
        item["custom"] = {"speaker": q.get("speaker"), "speaker_role": q.get("speaker_role"), "kind": q["kind"],
                          "citation": q.get("citation"), "locator": _page(q) or None, "link": _link(q, base)}
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


def _who(quote: dict[str, Any]) -> str:
    """The speaker and role to put before a quote's citation, without what the citation says already
    ("Children, child, quoted in …" would say "child" twice)."""
    citation = (quote.get("citation") or "").casefold()
    role = quote.get("speaker_role") or ""
    role = "" if not role or citation.startswith(role.casefold()) else role
    speaker = quote.get("speaker") or ""
    if not speaker or speaker.casefold() == role.casefold():
        return role
    return f"{speaker} ({role})" if role else speaker


def _markdown(quotes, sources, base) -> str:
    parts = []
    for q in quotes:
        who = _who(q)
        citation = q.get("citation", "")
        role = (q.get("speaker_role") or "").casefold()
        # "— one practitioner, quoted in …", not "— one practitioner, practitioner, quoted in …"
        if who and role and role in who.casefold() and citation.casefold().startswith(role + ", quoted in "):
            citation = citation[len(role) + 2:]
        body = "\n".join("> " + line for line in q["text"].splitlines() or [""])
        parts.append(f"{body}\n>\n> — {who + ', ' if who else ''}{citation} ([passage]({_link(q, base)}))")
    return "\n\n".join(parts) + "\n"


def _sentence(text: str) -> str:
    """``text`` ended as a sentence: a full stop added only when it has no end mark of its own
    ("… worker." stays as it is, not "worker.."; "next?’" too)."""
    text = text.rstrip()
    return text if not text or re.search(r"[.!?…][\"'”’»)\]]*$", text) else text + "."


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()
