"""Sentence boundaries that respect abbreviations, initials, citations and open quotations."""
from __future__ import annotations

import re

_ABBREVIATIONS = {
    "e.g", "i.e", "al", "cf", "etc", "vs", "p", "pp", "vol", "vols", "no", "nos", "ed", "eds", "dr", "mr", "mrs",
    "ms", "prof", "st", "fig", "figs", "ch", "chap", "sec", "para", "approx", "ca", "c", "op", "cit", "ibid", "viz",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "rev", "inc", "ltd", "co",
}
_CANDIDATE_RE = re.compile(r"[.!?…]+[\"'’”)\]]*(?=\s+[\"'‘“(\[•]?[A-Z0-9À-Ö])")
_OPENERS = {"“": "”", "«": "»"}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``; never inside an open “…” quotation."""
    spans: list[tuple[int, int]] = []
    start = _skip_space(text, 0)
    for match in _CANDIDATE_RE.finditer(text):
        end = match.end()
        if end <= start:
            continue
        if _is_abbreviation(text, match.start()) or _inside_quotation(text, start, end):
            continue
        spans.append((start, end))
        start = _skip_space(text, end)
    if start < len(text.rstrip()):
        spans.append((start, len(text.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(0, dot - 12):dot])
    if not word:
        return False
    token = word.group(1).lower()
    if token in _ABBREVIATIONS or token.rstrip(".") in _ABBREVIATIONS:
        return True
    return len(token) == 1 or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))   # initials: "A." "A.N"


def _inside_quotation(text: str, start: int, end: int) -> bool:
    segment = text[start:end]
    if segment.count("“") > segment.count("”"):
        return True
    return segment.count('"') % 2 == 1
