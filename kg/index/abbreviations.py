"""Abbreviations the library spells out, so that a query may use either form.

The texts define their own abbreviations: "the Children's Workforce Development Council (CWDC)",
"a Teaching and Learning Research Programme (TLRP)". ``find_abbreviations`` reads them from the
passages at build time with the rule of Schwartz & Hearst (2003, "A simple algorithm for
identifying abbreviation definitions in biomedical text"), made stricter for policy prose: every
letter of the short form must begin a word of the long form, in order ("DfES": Department for
Education and Skills), so "Preventing Social Exclusion in Secondary Schools (ESRC)", a funder after a
title, is not read as a definition. ``forms_asked`` then says which of a query's words are such an
abbreviation or its long form, and what the other form is: search looks for both.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

ABBREVIATIONS_FILE = "abbreviations.json"

# "(CWDC)", "(DfES)", "(S&T)": two to ten characters in brackets, at least two capitals and no more
# lower-case letters than capitals, so "(Tools)", "(Ledwith)" and "(S4)" are not short forms
_BRACKETED = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9&.\-]{0,8}[A-Za-z0-9])\s*\)")
# where a long form cannot reach back past: a bracket, a clause or sentence end
_BARRIER = re.compile(r"[()\[\];:!?]|\.\s")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def is_short_form(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return len(letters) >= 2 and capitals >= 2 and 2 * capitals >= len(letters)


def long_form(short: str, before: str) -> str | None:
    """The long form ``short`` abbreviates at the end of ``before`` (the text up to its bracket), or
    None. Letters are matched from the last one back, each to the nearest word beginning with it;
    words in between may be skipped ("Network of Experts on Social Aspects of Education and Training"
    for NESET) within Schwartz & Hearst's window of min(n + 5, 2n) words for n letters."""
    span = _long_form_span(short, before)
    return " ".join(before[span[0]:span[1]].split()) if span else None


def _long_form_span(short: str, before: str) -> tuple[int, int] | None:
    """Where in ``before`` the long form of ``short`` stands (see ``long_form``)."""
    letters = [c.casefold() for c in short if c.isalnum()]
    cut = list(_BARRIER.finditer(before))
    offset = cut[-1].end() if cut else 0
    words = list(_WORD.finditer(before[offset:].replace("-", " ")))
    window = words[-min(len(letters) + 5, 2 * len(letters)):]
    if len(window) < 2:
        return None
    position, last = len(window), None
    for letter in reversed(letters):
        position -= 1
        while position >= 0 and window[position].group()[0].casefold() != letter:
            position -= 1
        if position < 0:
            return None
        last = position if last is None else last
    if position == last:     # one word for all the letters: not a definition
        return None
    # from the word of the first letter to that of the last ("… Interagency Working", not "… Working study")
    return offset + window[position].start(), offset + window[last].end()


def abbreviation_sites(text: str) -> Iterator[tuple[str, str, int, int]]:
    """Each "long form (SF)" of ``text`` as (short form, long form, start, end): the offsets run from
    the long form's first word to the closing bracket."""
    for match in _BRACKETED.finditer(text):
        short = match.group(1)
        if not is_short_form(short):
            continue
        span = _long_form_span(short, text[:match.start()])
        if span is None:
            continue
        found = " ".join(text[span[0]:span[1]].split())
        if found.casefold() != short.casefold():
            yield short, found, span[0], match.end()


def find_abbreviations(texts: Iterable[str]) -> dict[str, str]:
    """Short form → the long form the texts give it most often, over every "long form (SF)" in
    ``texts``."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for text in texts:
        for short, found, _, _ in abbreviation_sites(text):
            seen[short][found] += 1
    return {short: forms.most_common(1)[0][0] for short, forms in sorted(seen.items())}


def _folded(text: str) -> str:
    """Words in any case, hyphens as spaces, without a possessive "'s" ("Council's" holds "Council")."""
    return " ".join(w.casefold().removesuffix("'s") for w in _WORD.findall(text.replace("-", " ").replace("’", "'")))


def holds_form(text: str, form: str) -> bool:
    """Whether ``text`` holds ``form`` as whole words (any case, hyphens as spaces)."""
    return f" {_folded(form)} " in f" {_folded(text)} "


def occurrences(text: str, form: str) -> list[str]:
    """``form`` as ``text`` writes it, each distinct way once ("Children’s Workforce Development
    Council" for "children's workforce development council"): what the page highlights."""
    words = [re.escape(w).replace("'", "['’]") for w in _WORD.findall(form.replace("-", " ").replace("’", "'"))]
    if not words:
        return []
    pattern = re.compile(r"(?<![\w])" + r"[\s\-]+".join(words) + r"(?![\w])", re.IGNORECASE)
    return list(dict.fromkeys(match.group(0) for match in pattern.finditer(text)))


class Abbreviations:
    """A library's abbreviations (short form → long form), ready to read queries: the long forms are
    folded once, so a query is folded once however many there are."""

    def __init__(self, table: dict[str, str]):
        self.table = table
        self._by_capitals = {short.upper(): short for short in table}
        self._folded_long = [(f" {_folded(spelt)} ", short, spelt) for short, spelt in table.items()]

    def forms_asked(self, query: str) -> dict[str, str]:
        """The query's abbreviations and spelt-out long forms, each with its other form: {"CWDC":
        "Children's Workforce Development Council"}, {"Teaching and Learning Research Programme": "TLRP"}.
        A short form counts as written, or in capitals ("DFES"); a long form in any case, as whole words."""
        if not self.table:
            return {}
        asked: dict[str, str] = {}
        for word in re.findall(r"[A-Za-z][A-Za-z0-9&.\-]*[A-Za-z0-9]", query):
            short = word if word in self.table else self._by_capitals.get(word) if word.isupper() else None
            if short:
                asked.setdefault(word, self.table[short])
        folded = f" {_folded(query)} "
        for spelt_folded, short, spelt in self._folded_long:
            if spelt_folded in folded and short not in asked and short not in query:
                asked.setdefault(spelt, short)
        return asked
