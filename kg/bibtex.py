"""BibTeX field values, written one way for every BibTeX export (quotes, works)."""
from __future__ import annotations

import re

# an address is read as written: escaping its "#" or "_" would put a backslash into the link
VERBATIM_FIELDS = frozenset({"url"})
_SPECIAL_RE = re.compile(r"[\\&%$#_{}]")


def escape(text: str) -> str:
    """``text`` on one line with LaTeX's special characters escaped ("R&D" → "R\\&D"), a backslash
    as ``\\textbackslash{}``."""
    text = re.sub(r"\s+", " ", text or "").strip()
    # one pass, so the braces of \textbackslash{} are not escaped in turn
    return _SPECIAL_RE.sub(lambda m: "\\textbackslash{}" if m.group() == "\\" else "\\" + m.group(), text)


def name_list(names: list[str], corporate: bool | None = None) -> str:
    """Authors joined by "and"; a body's name (no comma, or ``corporate``) braced whole so BibTeX
    reads no surname in it, escaped inside, the braces not."""
    return " and ".join("{" + escape(name) + "}" if (corporate if corporate is not None else "," not in name)
                        else escape(name) for name in names)


def field(name: str, value: str) -> str:
    """One ``  name = {value},`` line's body (without the comma)."""
    shown = re.sub(r"\s+", " ", value or "").strip() if name in VERBATIM_FIELDS else escape(value)
    return f"  {name} = {{{shown}}}"


def page_range(pages: str) -> str:
    """Pages as BibTeX writes a range, with an en dash's "--": "27-45" and "27 – 45" → "27--45"; a
    single page or anything else as given."""
    pages = re.sub(r"\s+", " ", pages or "").strip()
    found = re.fullmatch(r"([A-Za-z]?\d+)\s*(?:-{1,2}|–|—)\s*([A-Za-z]?\d+)", pages)
    return f"{found.group(1)}--{found.group(2)}" if found else pages
