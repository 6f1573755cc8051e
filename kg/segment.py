"""Segmentation stage: cleaned blocks → passages sized for the embedding model.

Entry point: :func:`segment`. Passages never cut a sentence or an open quotation, keep a slide's
bullets together, carry the heading they sit under, and have ids that depend only on the source
id and the passage text (same input, same ids, on any machine).
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict, dataclass
from collections.abc import Sequence
from typing import Any

from .extract.clean import CREDIT_LINE_RE, ENUMERATOR_RE
from .extract.model import Block, ExtractedDocument
from .sentences import sentence_spans


@dataclass
class Passage:
    passage_id: str
    source_id: str
    page: int | None
    page_label: str | None
    start: int
    end: int
    heading: str | None
    kind: str               # text | list | table | caption | references | slide
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Unit:
    start: int
    end: int
    kind: str
    page: int | None
    heading: str | None
    heading_start: int | None    # offset of the heading block right before this unit, if any
    words: int
    intro: bool = False          # ends with a colon: it introduces the quotation or list that follows
    credit: bool = False         # a source line ("[Sources: Adapted from Hardiker …]"): it credits what is above it
    intro_start: int | None = None   # where its last, introducing sentence starts, when sentences come before it
    intro_words: int = 0
    body_end: int | None = None      # where the sentences before that one end
    enumerated: bool = False         # begins with an item's letter or number: "(b) his health …", "2) …"
    bracketed_source: bool = False   # nothing but a source in brackets: "(Children Act HMSO 1989)"


_CREDIT_MAX_WORDS = 40
_INTRO_MAX_WORDS = 40       # "One service user told us:" — longer last sentences stay with their paragraph

_KIND_OF_BLOCK = {"paragraph": "text", "bullet": "list", "list": "list", "table": "table", "caption": "caption", "reference": "references"}


def segment(
    document: ExtractedDocument,
    source_id: str,
    *,
    min_words: int = 40,
    max_words: int = 200,
    max_chars: int = 1500,
    slides: bool = False,
    authors: Sequence[str] = (),
) -> list[Passage]:
    """Passages of one cleaned document. ``slides``: one slide (page) is the unit that stays whole.
    ``authors``: the source's personal authors ("Surname, Given"); a heading of nothing but their names
    is the byline, which titles no passage."""
    units = _units(document, max_words, max_chars, slides, authors)
    if slides:
        groups = _group_slides(units, min_words, max_chars)
    else:
        groups = _group(units, min_words, max_words, max_chars)
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for group in groups:
        first = group[0]
        start = first.heading_start if first.heading_start is not None else first.start
        if group[-1].end - start > max_chars:
            start = first.start
        end = group[-1].end
        text = document.text[start:end]
        page = document.page_at(first.start)
        passages.append(Passage(
            passage_id=_passage_id(source_id, text, seen),
            source_id=source_id,
            page=page.number if page else None,
            page_label=page.label if page else None,
            start=start,
            end=end,
            heading=first.heading,
            kind="slide" if slides else _majority_kind(group),
            text=text,
        ))
    return passages


def _passage_id(source_id: str, text: str, seen: dict[str, int]) -> str:
    normal = re.sub(r"\s+", " ", text).strip()
    digest = hashlib.sha1(f"{source_id}\x00{normal}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    occurrence = seen.get(digest, 0)
    seen[digest] = occurrence + 1
    return f"{source_id}-{digest}" + (f"-{occurrence}" if occurrence else "")


def _words(text: str) -> int:
    return len(text.split())


def _units(document: ExtractedDocument, max_words: int, max_chars: int, slides: bool = False,
           authors: Sequence[str] = ()) -> list[_Unit]:
    """Blocks as units; long blocks split at sentence boundaries into balanced pieces. ``slides``: a
    heading holds for its own slide only (a table's header row on one slide titles none of the next)."""
    units: list[_Unit] = []
    heading: str | None = None
    heading_start: int | None = None
    heading_page: int | None = None
    section: str | None = None      # the numbered heading a box or figure stands in ("1.2 The Children's Fund")
    words_under_heading = 0
    headings_only = all(block.kind == "heading" for block in document.blocks)
    for block in document.blocks:
        if slides and block.page != heading_page:
            heading = heading_start = None
        if block.kind == "heading" and not headings_only:   # a file of nothing but short lines is still text
            if not is_byline(block.text, authors):   # "Michael Jopling and Sharon Vincent": the chapter's title stays
                heading, heading_page = block.text, block.page
                section = heading if _NUMBERED_HEADING_RE.match(heading) else section
                words_under_heading = 0
            heading_start = block.start if heading_start is None else heading_start
            continue
        kind = _KIND_OF_BLOCK.get(block.kind, "text")
        for start, end in _split_block(document.text, block, max_words, max_chars):
            piece = document.text[start:end]
            credit = _words(piece) <= _CREDIT_MAX_WORDS and bool(CREDIT_LINE_RE.match(piece.strip()))
            intro = piece.rstrip().endswith(":")
            split = _introducing_sentence(piece) if intro and kind == "text" else None
            unit = _Unit(start, end, kind, block.page, heading, heading_start, _words(piece), intro, credit,
                         enumerated=bool(ENUMERATOR_RE.match(piece)), bracketed_source=bool(_BRACKETED_SOURCE_RE.fullmatch(piece.strip())))
            if split:
                unit.intro_start, unit.intro_words, unit.body_end = start + split[0], split[1], start + split[2]
            units.append(unit)
            heading_start = None
            words_under_heading += unit.words
            if credit and section and heading != section and not slides and words_under_heading <= _BOX_MAX_WORDS:
                # the credit line closes a box or figure ("[Sources: Adapted from Hardiker … (1991)]"): the
                # short unnumbered heading before it was its title, and the text after it is the numbered
                # section's again (a longer run under the heading is a section of its own, a chapter's opening)
                heading = section
    return units


_NUMBERED_HEADING_RE = re.compile(r"\d+(?:\.\d+)*\.?\s+\S")
_BRACKETED_SOURCE_RE = re.compile(r"\([^()]{2,120}\b(?:1[89]\d\d|20\d\d)[a-z]?\)")           # "(Children Act HMSO 1989)"
_BOX_MAX_WORDS = 400        # a box or figure between its title and its credit line is no longer than this


_BYLINE_JOINERS = frozenset({"and", "by", "with"})


def is_byline(text: str, authors: Sequence[str]) -> bool:
    """Whether a line names the source's personal authors and nothing else ("Michael Jopling and
    Sharon Vincent", "by M. Jopling & S. Vincent"): each word a part of an author's name or a joiner,
    one surname at least. ``authors`` as the catalogue writes them, "Surname, Given"; a corporate
    author (no comma) is not compared."""
    people = [name for name in authors if "," in name]
    if not people:
        return False
    name_words = {w.casefold() for name in people for w in re.findall(r"[^\W\d_]+", name)}
    surnames = {w.casefold() for name in people for w in re.findall(r"[^\W\d_]+", name.split(",")[0])}
    words = [w.casefold() for w in re.findall(r"[^\W\d_]+", text)]
    initials = {w[:1] for w in name_words}
    return (bool(words) and bool(surnames.intersection(words))
            and all(w in name_words or w in _BYLINE_JOINERS or (len(w) == 1 and w in initials) for w in words))


def _introducing_sentence(piece: str) -> tuple[int, int, int] | None:
    """Offset and length in words of the last sentence of a paragraph ending with a colon, and the end of
    the sentences before it, when there are some and the last is short enough to go with what it introduces."""
    spans = sentence_spans(piece)
    if len(spans) < 2:
        return None
    start, end = spans[-1]
    words = _words(piece[start:end])
    return (start, words, spans[-2][1]) if words <= _INTRO_MAX_WORDS else None


def _split_block(text: str, block: Block, max_words: int, max_chars: int) -> list[tuple[int, int]]:
    body = text[block.start:block.end]
    if _words(body) <= max_words and len(body) <= max_chars:
        return [(block.start, block.end)]
    if block.kind in ("list", "table"):
        pieces = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", body)]
    else:
        pieces = _within_quotations(body, sentence_spans(body), max_words, max_chars)
    pieces = [p for q in pieces for p in _hard_split(body, q, max_chars)]
    count = max(math.ceil(_words(body) / max_words), math.ceil(len(body) / max_chars))
    target = _words(body) / count
    out: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for a, b in pieces:
        if current is None:
            current = (a, b)
            continue
        grown = (current[0], b)
        if _words(body[grown[0]:grown[1]]) > max(target, 1) * 1.15 or grown[1] - grown[0] > max_chars:
            out.append(current)
            current = (a, b)
        else:
            current = grown
    if current:
        out.append(current)
    return [(block.start + a, block.start + b) for a, b in out]


_OPENING_SINGLE_RE = re.compile(r"(?:^|(?<=[\s(\[:—–-]))‘")
_CLOSING_SINGLE_RE = re.compile(r"’(?![^\W\d_])")     # not an apostrophe inside a word ("Children’s")


def _open_single_quotation(text: str) -> bool:
    """Whether ``text`` leaves a ‘…’ quotation open: its last opening mark has no closing mark after it.
    (“…” quotations are never cut: sentence_spans keeps them whole.)"""
    opening = None
    for opening in _OPENING_SINGLE_RE.finditer(text):
        pass
    return opening is not None and not _CLOSING_SINGLE_RE.search(text, opening.end())


def _within_quotations(body: str, pieces: list[tuple[int, int]], max_words: int, max_chars: int) -> list[tuple[int, int]]:
    """Sentences joined while a ‘…’ quotation runs on across them (“‘The Fund is linked to the Trust. I see
    them complementing each other …’”), so a long paragraph is not cut inside someone's words; a
    quotation too long for one passage is still cut between its sentences."""
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        if out and _open_single_quotation(body[out[-1][0]:out[-1][1]]):
            joined = (out[-1][0], b)
            if _words(body[joined[0]:joined[1]]) <= max_words // 2 and joined[1] - joined[0] <= max_chars // 2:
                out[-1] = joined
                continue
        out.append((a, b))
    return out


def _hard_split(body: str, span: tuple[int, int], max_chars: int) -> list[tuple[int, int]]:
    """A single sentence longer than ``max_chars`` (a run-on list or table) is cut at clause marks."""
    a, b = span
    out: list[tuple[int, int]] = []
    while b - a > max_chars:
        window = body[a:a + max_chars]
        cut = max(window.rfind("; "), window.rfind(", "), window.rfind(" "))
        if cut <= 0:
            cut = max_chars - 1
        out.append((a, a + cut + 1))
        a = a + cut + 1
        while a < b and body[a].isspace():
            a += 1
    out.append((a, b))
    return out


def _group(units: list[_Unit], min_words: int, max_words: int, max_chars: int) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []

    def size(group: list[_Unit], extra: _Unit | None = None) -> tuple[int, int]:
        members = group + ([extra] if extra else [])
        return sum(u.words for u in members), members[-1].end - members[0].start

    for unit in units:
        if not current:
            current = [unit]
            continue
        same_section = unit.heading_start is None and unit.heading == current[0].heading
        words, chars = size(current, unit)
        fits = words <= max_words and chars <= max_chars
        if current[-1].kind == unit.kind == "references":
            wants = len(current) < 4
        else:
            # short passages grow; an introduction keeps what it introduces; a list stays whole
            wants = size(current)[0] < min_words or current[-1].intro or current[-1].kind == unit.kind == "list"
            # an enumeration's items stay together, with the source line that closes it: "(a) … (b) … (c) he
            # is disabled’ (Children Act HMSO 1989)" is one statutory definition
            wants = wants or current[-1].enumerated and (unit.enumerated or unit.bracketed_source)
            wants = wants and unit.kind != "references" and current[-1].kind != "references"
        if unit.credit and unit.heading_start is None and fits and current[-1].kind != "references":
            groups.append(current + [unit])     # a credit line ends the passage it credits
            current = []
        elif same_section and fits and wants:
            current.append(unit)
        elif same_section and current[-1].intro_start is not None and unit.kind != "references" and (
                current[-1].intro_words + unit.words <= max_words and unit.end - current[-1].intro_start <= max_chars):
            # "… One service user told us:" does not fit beside the quotation: its last sentence goes
            # with the quotation, the rest of the paragraph stays where it was
            body, intro = _split_intro(current[-1])
            groups.append(current[:-1] + [body])
            current = [intro, unit]
        else:
            groups.append(current)
            current = [unit]
    if current:
        groups.append(current)
    return _merge_small_tails(groups, min_words, max_words, max_chars)


def _split_intro(unit: _Unit) -> tuple[_Unit, _Unit]:
    assert unit.intro_start is not None and unit.body_end is not None
    body = _Unit(unit.start, unit.body_end, unit.kind, unit.page, unit.heading, unit.heading_start,
                 unit.words - unit.intro_words)
    intro = _Unit(unit.intro_start, unit.end, unit.kind, unit.page, unit.heading, None, unit.intro_words, intro=True)
    return body, intro


def _merge_small_tails(groups: list[list[_Unit]], min_words: int, max_words: int, max_chars: int) -> list[list[_Unit]]:
    """A last short group of a section joins the group before it when both fit."""
    out: list[list[_Unit]] = []
    for group in groups:
        if out and sum(u.words for u in group) < min_words and group[0].heading_start is None:
            previous = out[-1]
            same_section = previous[0].heading == group[0].heading
            words = sum(u.words for u in previous + group)
            chars = group[-1].end - previous[0].start
            kinds_ok = (previous[-1].kind == "references") == (group[0].kind == "references")
            if same_section and kinds_ok and not previous[-1].credit and words <= max_words and chars <= max_chars:
                out[-1] = previous + group
                continue
        out.append(group)
    return out


def _group_slides(units: list[_Unit], min_words: int, max_chars: int) -> list[list[_Unit]]:
    """One slide per passage (split between bullets if it is too long); tiny slides join the next."""
    by_page: list[list[_Unit]] = []
    for unit in units:
        if by_page and by_page[-1][0].page == unit.page:
            by_page[-1].append(unit)
        else:
            by_page.append([unit])
    groups: list[list[_Unit]] = []
    pending: list[_Unit] = []
    for slide in by_page:
        slide = pending + slide
        pending = []
        if sum(u.words for u in slide) < min_words // 3 and slide[-1].end - slide[0].start < max_chars // 2:
            pending = slide
            continue
        current: list[_Unit] = []
        for unit in slide:
            if current and unit.end - current[0].start > max_chars:
                groups.append(current)
                current = []
            current.append(unit)
        groups.append(current)
    if pending:
        if groups and pending[-1].end - groups[-1][0].start <= max_chars:
            groups[-1].extend(pending)
        else:
            groups.append(pending)
    return groups


def _majority_kind(group: list[_Unit]) -> str:
    weights: dict[str, int] = {}
    for unit in group:
        weights[unit.kind] = weights.get(unit.kind, 0) + unit.words
    return max(weights, key=weights.get)
