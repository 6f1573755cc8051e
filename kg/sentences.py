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
# the citation keys that close a sentence after its full stop or closing quote ("…in the Hubs.' [C1].",
# "…practice.' **[C3]**", bold in markdown): they belong to the sentence before when a stop or the
# paragraph's end follows them ("[S3] PSE - …" opening a list item does not). An author–year
# parenthesis after the stop is joined by the citation finder (kg/citations/intext.py).
_TRAILING_KEYS_RE = re.compile(r"[ \t]+(?:\*{0,2}\[[A-Za-z]{0,3}\s?\d[^\[\]\n]{0,60}\]\*{0,2}[ \t]*)+[.!?]?")


_PARAGRAPH_BREAK_RE = re.compile(r"[ \t]*\n(?:[ \t]*\n)+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``; never inside an open “…” quotation, never across
    a paragraph break (a heading, a block quotation without its full stop, a table title end there)
    unless the paragraph ends with a colon or the next begins in lower case (a list's items)."""
    spans: list[tuple[int, int]] = []
    paragraph_start = 0
    for match in _PARAGRAPH_BREAK_RE.finditer(text):
        if text[match.start() - 1:match.start()] == ":" or text[match.end():match.end() + 1].islower():
            continue        # "… four factors:" runs on into the quotation or list below, and its lower-case items
        spans += _paragraph_spans(text, paragraph_start, match.start())
        paragraph_start = match.end()
    return spans + _paragraph_spans(text, paragraph_start, len(text))


def _paragraph_spans(text: str, begin: int, stop: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = _skip_space(text, begin)
    for match in _CANDIDATE_RE.finditer(text, begin, stop):
        end = match.end()
        if end <= start:
            continue
        if _is_abbreviation(text, match.start()) or _inside_quotation(text, start, end):
            continue
        trailing = _TRAILING_KEYS_RE.match(text, end, stop)
        if trailing and (trailing.group(0)[-1] in ".!?" or not text[trailing.end():stop].strip()):
            end = len(text[:trailing.end()].rstrip(" \t"))
        spans.append((start, end))
        start = _skip_space(text, end)
    last = stop
    while last > start and text[last - 1].isspace():
        last -= 1
    if start < last:
        spans.append((start, last))
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
