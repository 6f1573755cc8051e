"""Raw lines → cleaned paragraphs: page furniture dropped, wrapped lines reflowed, split words rejoined."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ..quotes import reports_speech
from ..years import CITED_YEAR_IN_BRACKETS_RE, YEAR_DIGITS
from .model import Block, Page, RawLine
from .normalize import normalize_line, repair_keys, split_bullet

TERMINAL = tuple(".!?:;…")
CLOSERS = "\"'’”)]»"
_WORD_RE = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:[-'’][A-Za-zÀ-ÖØ-öø-ÿ]+)*")
_PAGE_NUMBER_RE = re.compile(
    r"^(?:page\s+)?[-–—(\[]?\s*(\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?(?:\s+of\s+\d{1,4})?$", re.I
)
_CAPTION_RE = re.compile(r"^(?:Figure|Fig\.|Table|Chart|Diagram|Box)\s+[A-Z0-9][\w.]*?[.:]?\s+[A-Z‘“'\"]")
_NUMBERED_HEADING_RE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z]\.|CHAPTER\s+\w+|Chapter\s+\w+|Appendix\s+\w+|APPENDIX\s+\w+|PART\s+\w+|Part\s+\w+)(?:\s|$)")
_TABLE_GAP_RE = re.compile(r"\S {3,}\S")
_SPLIT_HYPHEN_RE = re.compile(r"([A-Za-zÀ-ÖØ-öø-ÿ]+)-$")
_REFERENCE_HEADINGS = re.compile(r"^(?:\d+\.?\s*)?(references|bibliography|works cited|literature cited|references to the research|sources to corroborate the impact|recommended reading|further reading)\b", re.I)
_PLACE_PUBLISHER_RE = re.compile(r"^[A-Z][A-Za-z .]{1,30}:\s*[A-Z][\w&.’' ]{1,40}$")      # "London: DfES", "Englewood Cliffs NJ: Prentice Hall"
_MARKDOWN_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_URL_TAIL_RE = re.compile(r"(?:https?://|www\.)\S*[/\-._%=?&]?$")
_URL_PART_RE = re.compile(r"^[\w\-./%=?&~#]+(?:\s|$)")
# the credit line set under a box, figure or table: "[Sources: Adapted from Hardiker, P. … (1991)]", "Source: DfES (2004)"
CREDIT_LINE_RE = re.compile(r"^\W{0,2}(?:sources?\s*:|adapted\s+from\b|reproduced\s+from\b)", re.IGNORECASE)
_ABBREVIATION_END_RE = re.compile(r"(?:\b(?:e\.g|i\.e|et al|cf|etc|vs|p|pp|vol|no|ed|eds|Dr|Mr|Mrs|Ms|Prof|St|Fig)\.)$")


@dataclass
class _Line:
    text: str
    page: int | None
    gap: int
    box_start: bool
    bullet: bool
    edge: bool = False
    styled: bool = False      # set in bold or larger type than the body text: a heading, not a sentence
    marked_heading: int = 0   # a Markdown "## Heading": its level


def clean(raw_lines: list[RawLine], *, slides: bool = False,
          page_labels: dict[int, str] | None = None) -> tuple[list[Block], list[Page], list[str]]:
    """Cleaned blocks with offsets, the page map and the furniture lines that were removed.

    ``slides``: every page is a slide, so no paragraph runs on from one page to the next.
    ``page_labels``: the labels the file itself gives its physical pages (a PDF's /PageLabels);
    a bare number at a page's edge that equals its page's label is that page's number.
    """
    lines = [_prepare(ln) for ln in raw_lines]
    _mark_styled(lines, raw_lines)
    lines = [ln for ln in lines if ln.text]
    for ln, repaired in zip(lines, repair_keys([ln.text for ln in lines])):
        ln.text = repaired
    lines, labels, removed = _drop_furniture(lines, page_labels or {})
    vocabulary = _vocabulary(lines)
    _unglue_note_markers(lines, vocabulary)
    _mark_unmarked_lists(lines, _profile(lines))
    blocks = _reflow(lines, vocabulary, slides)
    blocks = _mark_references(blocks)
    text_blocks, pages = _lay_out(blocks, labels)
    return text_blocks, pages, removed


def _prepare(raw: RawLine) -> _Line:
    atx = _MARKDOWN_HEADING_RE.match(raw.text.strip())
    if atx:
        return _Line(text=normalize_line(atx.group(2)).strip(), page=raw.page, gap=raw.gap_before, box_start=True,
                     bullet=False, edge=raw.edge, marked_heading=len(atx.group(1)))
    text = normalize_line(raw.text)
    is_bullet, body = split_bullet(text)
    if not is_bullet:
        body = re.sub(r"\s+", " ", text).strip()
    else:
        body = re.sub(r"\s+", " ", body)
    text = re.sub(r"^(\s*\d{1,2}(?:\.\d{1,2})*\.?) {2,}(?=\S)", r"\1 ", text)   # "2.3   Title"
    if _TABLE_GAP_RE.search(text.strip()):
        body = re.sub(r" {3,}", "   ", text.strip())   # keep column gaps of table rows visible
    return _Line(text=body, page=raw.page, gap=raw.gap_before, box_start=raw.box_start, bullet=is_bullet, edge=raw.edge)


def _mark_styled(lines: list[_Line], raw_lines: list[RawLine]) -> None:
    """Lines whose type stands out from the body text (bold, or 15% larger) are heading candidates."""
    sizes = sorted(r.size for r in raw_lines if r.size)
    if not sizes:
        return
    body = sizes[len(sizes) // 2]
    bold_share = sum(1 for r in raw_lines if r.bold) / max(1, len(raw_lines))
    for line, raw in zip(lines, raw_lines):
        larger = raw.size is not None and raw.size >= 1.15 * body
        bold = raw.bold and bold_share < 0.3      # when most text is bold, bold says nothing
        line.styled = (larger or bold) and len(line.text.split()) <= 20 and not line.edge


# --- page furniture -------------------------------------------------------------------------------

def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


def _drop_furniture(lines: list[_Line], known_labels: dict[int, str]) -> tuple[list[_Line], dict[int, str], list[str]]:
    """Remove running headers/footers and page-number lines; return printed page labels found.

    A bare number at a page's edge is a page number only when such numbers run in sequence
    across the pages (one offset from the physical page for most of them) or when it is the
    label the file gives that page: a table or list that ends a page keeps its numbers.
    """
    labels: dict[int, str] = {}
    removed: list[str] = []
    pages = sorted({ln.page for ln in lines if ln.page is not None})
    drop: set[int] = set()
    if len(pages) >= 2:
        by_page: dict[int, list[int]] = {}
        for index, ln in enumerate(lines):
            by_page.setdefault(ln.page, []).append(index)
        # the lines a layout put in the header/footer band, or else the first and last lines of a page
        edge_indexes = {
            p: sorted({i for i in idx if lines[i].edge} or set(idx[:3] + idx[-3:]))
            for p, idx in by_page.items()
        }
        contents = _contents_pages(lines, by_page)
        running, key_pages = _running_lines(lines, by_page, edge_indexes, contents)
        outer = {p: _outer_indexes(lines, by_page[p], idxs, running) for p, idxs in edge_indexes.items()}
        # a line with a number at one end ("46 Journal of X", "Short title 47") may carry the page's
        # number when it is in the header/footer band or repeats on other pages; a heading such as
        # "3 Third section" on page 3 (listed only by the contents page) does neither
        numbered = {p: {i for i in idxs if _PAGE_NUMBER_RE.match(lines[i].text) or lines[i].edge
                        or len(key_pages.get(_furniture_key(lines[i].text), ())) >= 2}
                    for p, idxs in outer.items()}
        offset = _page_number_offset(lines, numbered, len(pages))
        # roman numbers usually number the front matter: judged among the pages the arabic run leaves
        arabic_pages = {p for p, idxs in numbered.items()
                        if offset is not None and any(p + offset in _line_numbers(lines[i].text) for i in idxs)}
        roman_offset = _roman_offset(lines, numbered, len(pages) - len(arabic_pages))
        for page, idxs in edge_indexes.items():
            for i in idxs:
                text = lines[i].text
                if lines[i].bullet:
                    continue
                number = _PAGE_NUMBER_RE.match(text)
                printed = _printed_number(text, page, offset) if i in numbered[page] else None
                if number:
                    label = _bare_page_number(number.group(1), page, offset, roman_offset, known_labels.get(page))
                    if label is not None and i in outer[page]:
                        drop.add(i)
                        labels.setdefault(page, label)
                    # any other bare number is content: a table's cell, a list's count
                elif printed and _word_count(text) <= 15:
                    drop.add(i)   # "46 Journal of X, Vol. 3" or "Short title 47": the number gives it away
                    labels.setdefault(page, printed)
                elif i in running:
                    drop.add(i)
    elif len(pages) == 1:
        # one page: no run of numbers to go by; only the file's own label, or a number alone
        # on the outermost line of the layout's header/footer band, is the page number
        idx = [i for i, ln in enumerate(lines) if ln.page is not None]
        for i in {idx[0], idx[-1]}:
            number = _PAGE_NUMBER_RE.match(lines[i].text)
            if not number or lines[i].bullet:
                continue
            known = known_labels.get(pages[0])
            if lines[i].edge or (known is not None and number.group(1).lower() == known.lower()):
                drop.add(i)
                labels.setdefault(pages[0], number.group(1))
    else:
        running = _interrupting_repeats(lines)
        if running and not pages:
            _paginate_at(lines, running)
        drop |= running
        for i, ln in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if _PAGE_NUMBER_RE.match(ln.text) and not ln.bullet and ln.gap >= 1 and (nxt is None or nxt.gap >= 1):
                drop.add(i)
    kept: list[_Line] = []
    carry_gap = 0
    for i, ln in enumerate(lines):
        if i in drop:
            removed.append(ln.text)
            carry_gap = max(carry_gap, ln.gap, 1)
            continue
        if carry_gap:
            ln.gap = max(ln.gap, carry_gap)
            carry_gap = 0
        kept.append(ln)
    return kept, _unique_labels(labels), removed


_CONTENTS_RE = re.compile(r"^(?:table\s+of\s+)?contents:?$", re.I)
_LEADER_RE = re.compile(r"(?:\.\s?){4,}\s*(?:\d{1,4}|[ivxlcdm]{1,7})$|…\s*\d{1,4}$", re.I)


def _contents_pages(lines: list[_Line], by_page: dict[int, list[int]]) -> set[int]:
    """Pages of a table of contents: a "Contents" heading, or three or more entries with dot leaders."""
    out: set[int] = set()
    for page, idxs in by_page.items():
        texts = [lines[i].text for i in idxs]
        if any(_CONTENTS_RE.match(t) for t in texts) or sum(1 for t in texts if _LEADER_RE.search(t)) >= 3:
            out.add(page)
    return out


def _running_lines(lines: list[_Line], by_page: dict[int, list[int]], edge_indexes: dict[int, list[int]],
                   contents: set[int]) -> tuple[set[int], dict[str, set[int]]]:
    """Running headers and footers among the edge lines, and the pages each edge line's key is on.

    A line repeats as a running header when its key (digits folded) is at the edge of at least
    three pages and 30% of them; in a two-page document, when the same text stands at the same
    place on both pages. Contents pages do not count: a contents page lists the headings that
    open the pages after it, and a heading is not a running header.
    """
    key_pages: dict[str, set[int]] = {}
    for page, idxs in edge_indexes.items():
        if page in contents:
            continue
        for i in idxs:
            if len(lines[i].text) <= 120:
                key_pages.setdefault(_furniture_key(lines[i].text), set()).add(page)
    counted = len(by_page) - len(contents)
    running: set[int] = set()
    if counted >= 3:
        threshold = max(3, 0.3 * counted)
        # a key of nothing but a number ("#", "- # -", "iv") is decided by the page-number rules
        repeated = {k for k, ps in key_pages.items()
                    if len(ps) >= threshold and _word_count(k) <= 15 and not _PAGE_NUMBER_RE.match(k)}
        running = {i for idxs in edge_indexes.values() for i in idxs if _furniture_key(lines[i].text) in repeated}
    elif len(by_page) == 2 and not contents:
        places: dict[tuple[str, str, int], list[int]] = {}
        for page, idxs in edge_indexes.items():
            order = by_page[page]
            for i in idxs:
                text = re.sub(r"\s+", " ", lines[i].text.strip().lower())
                if len(text) <= 120 and _word_count(text) <= 15 and not _PAGE_NUMBER_RE.match(text):
                    places.setdefault((text, "top", order.index(i)), []).append(i)
                    places.setdefault((text, "bottom", len(order) - order.index(i)), []).append(i)
        running = {i for found in places.values() if len({lines[j].page for j in found}) == 2 for i in found}
    return running, key_pages


def _outer_indexes(lines: list[_Line], page_lines: list[int], edge: list[int], running: set[int]) -> set[int]:
    """The edge lines where a page number can sit: any line of the layout's header/footer band,
    else the first and the last line of the page and a line that only running headers or
    footers separate from the page's top or bottom."""
    if any(lines[i].edge for i in edge):
        return set(edge)
    out: set[int] = set()
    for run in (page_lines[:3], page_lines[::-1][:3]):
        for i in run:
            out.add(i)
            if i not in running:
                break
    return out


def _end_numbers(text: str) -> list[int]:
    """The numbers a line starts or ends with ("46 Journal …", "… 47", "12"); not a decimal's parts ("10.5")."""
    out = []
    for match in (re.match(r"^(\d{1,4})\b(?![.,:]\d)", text), re.search(r"(?<![\d][.,:])\b(\d{1,4})$", text)):
        if match:
            out.append(int(match.group(1)))
    return out


def _line_numbers(text: str) -> list[int]:
    """The arabic numbers a short line could give as its page's number."""
    bare = _PAGE_NUMBER_RE.match(text)
    if bare:   # "Page 3 of 10", "- 3 -": the page's own number, not the count
        return [int(bare.group(1))] if bare.group(1).isdigit() else []
    return _end_numbers(text) if _word_count(text) <= 15 else []


def _page_number_offset(lines: list[_Line], outer: dict[int, set[int]], page_count: int) -> int | None:
    """Printed minus physical page number, when the numbers at the page edges run in sequence:
    one offset on at least two pages and at least half of them, and no other offset as common."""
    votes: Counter = Counter()
    for page, idxs in outer.items():
        seen: set[int] = set()
        for i in idxs:
            seen.update(number - page for number in _line_numbers(lines[i].text))
        votes.update(seen)
    return _agreed_offset(votes, page_count)


def _roman_offset(lines: list[_Line], outer: dict[int, set[int]], page_count: int) -> int | None:
    """As :func:`_page_number_offset`, for pages numbered alone in roman numerals (i, ii, iii …)."""
    votes: Counter = Counter()
    for page, idxs in outer.items():
        seen: set[int] = set()
        for i in idxs:
            number = _PAGE_NUMBER_RE.match(lines[i].text)
            value = _roman_value(number.group(1)) if number else None
            if value is not None:
                seen.add(value - page)
        votes.update(seen)
    return _agreed_offset(votes, page_count)


def _agreed_offset(votes: Counter, page_count: int) -> int | None:
    ranked = votes.most_common(2)
    if not ranked:
        return None
    offset, count = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == count:
        return None   # two runs as likely as each other: neither is the page numbering
    return offset if count >= 2 and count >= 0.5 * page_count else None


_ROMAN_RE = re.compile(r"^m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$", re.I)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def _roman_value(text: str) -> int | None:
    if not text or text.isdigit() or not _ROMAN_RE.match(text):
        return None
    values = [_ROMAN_VALUES[c] for c in text.lower()]
    return sum(-v if k + 1 < len(values) and v < values[k + 1] else v for k, v in enumerate(values))


def _bare_page_number(token: str, page: int, offset: int | None, roman_offset: int | None,
                      known: str | None) -> str | None:
    """The label a bare number at a page edge gives its page, or None when it is not a page number."""
    if known is not None and token.lower() == known.lower():
        return token
    if token.isdigit():
        return token if offset is not None and int(token) == page + offset else None
    value = _roman_value(token)
    return token if value is not None and roman_offset is not None and value == page + roman_offset else None


def _unique_labels(labels: dict[int, str]) -> dict[int, str]:
    """Labels read off the pages, without any that two pages would share: such a label misleads."""
    counts = Counter(label.lower() for label in labels.values())
    return {page: label for page, label in labels.items() if counts[label.lower()] == 1}


def _printed_number(text: str, page: int, offset: int | None) -> str | None:
    if offset is None:
        return None
    for number in _end_numbers(text):
        if number == page + offset:
            return str(number)
    return None


def _paginate_at(lines: list[_Line], breaks: set[int]) -> None:
    """Running headers found in a file without a page map: each occurrence opens a new page."""
    page = 1
    for i, ln in enumerate(lines):
        if i in breaks:
            page += 1
        ln.page = page


def _interrupting_repeats(lines: list[_Line]) -> set[int]:
    """Running headers in files without a page map: short repeated lines, set apart by blank
    lines, that cut a sentence in two at least once."""
    def standalone(i: int) -> bool:
        ln = lines[i]
        return (
            not ln.bullet and 2 <= len(ln.text.split()) <= 10 and len(ln.text) <= 60
            and "://" not in ln.text and not _ends_sentence(ln.text)
            and ln.gap >= 1 and (i + 1 == len(lines) or lines[i + 1].gap >= 1)
        )

    candidates: dict[str, list[int]] = {}
    for i in range(len(lines)):
        if standalone(i):
            candidates.setdefault(_furniture_key(lines[i].text), []).append(i)
    drop: set[int] = set()
    for idxs in candidates.values():
        if len(idxs) < 2:
            continue
        interrupts = any(
            0 < i < len(lines) - 1
            and not lines[i + 1].bullet
            and not _ends_sentence(lines[i - 1].text)
            and lines[i + 1].text[:1].islower()
            for i in idxs
        )
        if interrupts:
            drop.update(idxs)
    return drop


# --- vocabulary for rejoining split words ---------------------------------------------------------

def _vocabulary(lines: list[_Line]) -> Counter:
    """Word forms the document itself uses inside lines (not at a line break)."""
    counts: Counter = Counter()
    for ln in lines:
        words = _WORD_RE.findall(ln.text)
        if ln.text.endswith("-") and words:
            words = words[:-1]
        for word in words[1:] if len(words) > 1 else words:
            counts[word.lower()] += 1
    return counts


# a footnote's own line: its number, then its first word ("1 Two additional reports complement this one")
_NOTE_BODY_RE = re.compile(r"(\d{1,2}) (?=[A-Z“‘\"(])")
_NOTE_LOOKBACK = 120     # lines: a note's marker stands on its page, above the note


def _unglue_note_markers(lines: list[_Line], vocabulary: Counter) -> None:
    """A footnote's marker that the text glued to its word ("In this report1 we focus"), where the
    note itself follows on its own line ("1 Two additional reports …"), is taken off the word, so the
    word is found and read as itself. Only a word ending in two lower-case letters, that the document
    or English knows without the number and the document never writes with it elsewhere, and the
    nearest such one above the note ("KS2", "h1", "web2" twice stay as written)."""
    numbered = Counter(token.lower() for ln in lines for token in re.findall(r"[A-Za-z]+\d+\b", ln.text))
    for i, ln in enumerate(lines):
        body = _NOTE_BODY_RE.match(ln.text)
        if not body:
            continue
        number = body.group(1)
        glued = re.compile(rf"(?<![\w-])([A-Za-z]*[a-z]{{2}})({number})(?=[\s.,;:!?)’”\"']|$)")
        for j in range(i - 1, max(-1, i - 1 - _NOTE_LOOKBACK), -1):
            hits = [m for m in glued.finditer(lines[j].text)
                    if numbered[(m.group(1) + number).lower()] == 1
                    and (vocabulary[m.group(1).lower()] or _zipf(m.group(1).lower()) >= 3)]
            if hits:
                m = hits[-1]
                lines[j].text = lines[j].text[:m.end(1)] + lines[j].text[m.end(2):]
                break


_COMPOUND_PREFIXES = {"co", "inter", "intra", "multi", "self", "non", "cross", "well", "anti", "semi", "ex", "quasi", "pseudo", "post", "socio", "cost"}


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - wordfreq is a dependency
        return 0.0
    return zipf_frequency(word, "en")


def rejoin(left: str, right: str, vocabulary: Counter) -> str:
    """Join ``left-`` at a line end with ``right``: a split word loses the hyphen, a compound keeps it."""
    head = _WORD_RE.findall(left)[-1] if _WORD_RE.findall(left) else left
    tail_match = _WORD_RE.match(right)
    tail = tail_match.group(0) if tail_match else right
    first_tail = re.split(r"[-'’]", tail)[0]
    last_head = re.split(r"[-'’]", head)[-1]
    joined = (last_head + first_tail).lower()
    hyphened = (last_head + "-" + first_tail).lower()
    keep = _keep_hyphen(last_head, first_tail, joined, hyphened, vocabulary)
    return left + ("-" if keep else "") + right


def _keep_hyphen(head: str, tail: str, joined: str, hyphened: str, vocabulary: Counter) -> bool:
    if not head or not tail or not tail[0].isalpha() or tail[0].isupper() and not head[0].isupper():
        return True
    if head[-1].isdigit() or tail[0].isdigit():
        return True
    seen_joined, seen_hyphened = vocabulary.get(joined, 0), vocabulary.get(hyphened, 0)
    # the document's own spelling decides; whole-word forms like "inter-agency" count by their parts too
    if seen_hyphened != seen_joined:
        return seen_hyphened > seen_joined
    if head.lower() in _COMPOUND_PREFIXES and _zipf(joined) < 4.0:
        return True   # inter-agency, co-configuration, self-efficacy: unless the closed form is everyday English
    if _zipf(joined) >= 2.5:
        return False
    if len(head) >= 2 and _zipf(head.lower()) >= 3.5 and _zipf(tail.lower()) >= 3.0:
        return True
    return False


# --- reflow -----------------------------------------------------------------------------------------

@dataclass
class _Profile:
    wrapped: bool          # lines are wrapped at a width (PDF dumps), not one paragraph per line
    width: int             # typical full line length in characters
    blank_means_break: bool


def _profile(lines: list[_Line]) -> _Profile:
    lengths = sorted(len(ln.text) for ln in lines if not ln.bullet) or [80]
    p75 = lengths[int(0.75 * (len(lengths) - 1))]
    wrapped = p75 <= 130
    width = lengths[int(0.9 * (len(lengths) - 1))] if wrapped else 10_000
    gaps = [ln.gap for ln in lines[1:]]
    blank_share = sum(1 for g in gaps if g > 0) / max(1, len(gaps))
    # a blank line after nearly every line says the text is double-spaced, so a blank line is no
    # break; a note of a few lines says too little for that, and keeps its blank lines as breaks
    double_spaced = blank_share >= 0.6 and len(gaps) >= _DOUBLE_SPACING_EVIDENCE
    return _Profile(wrapped=wrapped, width=max(20, width), blank_means_break=not double_spaced)


_DOUBLE_SPACING_EVIDENCE = 8     # line breaks a text must have before its blank lines can count as spacing


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(CLOSERS + " ")
    return bool(stripped) and stripped.endswith(TERMINAL) and not _ABBREVIATION_END_RE.search(stripped)


def _is_short(text: str, profile: _Profile) -> bool:
    return len(text) < (0.7 * profile.width if profile.wrapped else 100)


# a manuscript's count line ("4144 words", "Word count: 6,250"), not a heading
_COUNT_LINE_RE = re.compile(r"(?:word|page|character) count:?\s*\d[\d,]*|\d[\d,]*\s*(?:words|pages|characters)", re.I)


def _heading_like(text: str) -> bool:
    if not text or len(text) > 120 or text.endswith((",", "-", ";")):
        return False
    if not (text[0].isupper() or text[0].isdigit()) or text.endswith((".", "?", "!")) and not _NUMBERED_HEADING_RE.match(text):
        return False
    if _TABLE_GAP_RE.search(text) or _CAPTION_RE.match(text) or _COUNT_LINE_RE.fullmatch(text):
        return False
    if CREDIT_LINE_RE.match(text):
        return False   # "Source: adapted from the council's guidance (2003)" credits a box, it titles nothing
    words = text.split()
    if len(words) > 2 and words[-1].lower() in _DANGLING:
        return False   # a heading does not end on "the" or "of": this line runs on
    if _TWO_SENTENCES_RE.search(text):
        return False   # "Young people noticed the difference. One young person told us:": sentences, not a title
    if text.endswith(":") and len(words) >= 3 and reports_speech(text):
        return False   # "One father explained his view:" introduces a quotation: it titles nothing
    return 0 < len(words) <= 14


# a sentence ending inside the line and another beginning: a word of three or more small letters (not an
# abbreviation a title may hold: "etc.", "vol.") then a full stop, question or exclamation mark, and a capital
_TWO_SENTENCES_RE = re.compile(r"\b(?!(?:etc|vol|nos|eds|mrs)\.)[a-z]{3,}[.?!]\s+[A-Z‘“\"']")


_DANGLING = {"the", "a", "an", "of", "by", "to", "and", "or", "in", "for", "with", "from", "that", "which", "as", "at", "on", "is", "are", "was", "were", "be"}


def _strong_heading(text: str) -> bool:
    """Headings that announce themselves: CHAPTER ONE, 1.2 Title, APPENDIX 1, an all-capitals line."""
    if not _heading_like(text):
        return False
    return bool(re.match(r"^(CHAPTER|APPENDIX|PART|Chapter|Appendix)\b", text) or re.match(r"^\d{1,2}(\.\d{1,2})+\.?\s+[A-Z]", text)
                or (text.isupper() and len(text) > 3))


def _heading_continuation(text: str) -> bool:
    """The second or third line of a wrapped heading ("Preventing Vulnerability / to Social Exclusion")."""
    return 0 < len(text.split()) <= 10 and len(text) <= 80 and not text.endswith((".", ",", ";", "-", "?", "!"))


def _starts_paragraph(text: str) -> bool:
    first = text[:1]
    return first.isupper() or first.isdigit() or first in "“\"‘'([•"


def _reflow(lines: list[_Line], vocabulary: Counter, slides: bool = False) -> list[Block]:
    profile = _profile(lines)
    blocks: list[Block] = []
    current: list[str] = []
    current_pages: list[int | None] = []   # the page each entry of ``current`` starts on
    current_kind = "paragraph"
    current_page: int | None = None
    deferred: list[Block] = []   # captions met in the middle of a sentence, placed after the paragraph
    in_references = False        # under a References / Bibliography heading

    def flush() -> None:
        nonlocal current, current_pages, current_kind
        if current:
            text = "\n".join(current) if current_kind in ("list", "table") else " ".join(current)
            breaks: list[tuple[int, int]] = []
            offset = 0
            for k, piece in enumerate(current):
                if k and current_pages[k] is not None and current_pages[k] != current_pages[k - 1]:
                    breaks.append((offset, current_pages[k]))
                offset += len(piece) + 1
            blocks.append(Block(kind=current_kind, text=text, page=current_page, breaks=breaks))
        blocks.extend(deferred)
        deferred.clear()
        current = []
        current_pages = []
        current_kind = "paragraph"

    i = 0
    n = len(lines)
    while i < n:
        ln = lines[i]
        text = ln.text
        if not current:
            current_page = ln.page
            current_kind = "bullet" if ln.bullet else "paragraph"
            # in a reference list, an entry or a publisher's line without a full stop is no heading
            # ("Department of Health (1989) The Children Act London, HMSO", "London: DfES")
            entry = in_references and not (_strong_heading(text) or ln.styled or ln.marked_heading) and bool(
                _REFERENCE_ENTRY_RE.match(text) or CITED_YEAR_IN_BRACKETS_RE.search(text) or _PLACE_PUBLISHER_RE.match(text))
            if not ln.bullet and not entry and _heading_candidate(lines, i, profile):
                run = _heading_run(lines, i, profile)
                if run:
                    heading_text = " ".join(lines[j].text for j in range(i, i + run))
                    level = ln.marked_heading or _heading_level(heading_text)
                    blocks.append(Block(kind="heading", text=heading_text, page=ln.page, level=level))
                    if _REFERENCE_HEADINGS.match(heading_text):
                        in_references = True
                    elif _strong_heading(heading_text):
                        in_references = False      # a new chapter or appendix ends the list
                    i += run
                    continue
            if _TABLE_GAP_RE.search(text) and not ln.bullet:
                if i + 1 < n and _TABLE_GAP_RE.search(lines[i + 1].text) and lines[i + 1].gap == 0:
                    current_kind = "table"
                else:
                    text = re.sub(r" {2,}", " ", text)   # one stray gap is layout, not a table
            current.append(text)
            current_pages.append(ln.page)
            i += 1
            continue

        prev = current[-1]
        if _CAPTION_RE.match(text) and not ln.bullet:
            resume = _caption_end(lines, i, prev, vocabulary) if current_kind == "paragraph" else None
            if resume is not None:   # a caption dropped into a word split at a column or page break
                deferred.append(Block(kind="caption", text=" ".join(lines[j].text for j in range(i, resume)), page=ln.page))
                i = resume
                continue
            flush()
            end = _caption_extent(lines, i, profile)
            blocks.append(Block(kind="caption", text=" ".join(lines[j].text for j in range(i, end)), page=ln.page))
            i = end
            continue
        if slides and ln.page != lines[i - 1].page:
            flush()
            continue
        # in a reference list, an entry after a blank line is a new one, though the last ended without a
        # full stop ("… London: DfES" / "Department of Health (1989) …")
        next_entry = (in_references and ln.gap >= 1 and current_kind == "paragraph" and bool(current)
                      and bool(_REFERENCE_ENTRY_RE.match(current[0])) and bool(_REFERENCE_ENTRY_RE.match(text)))
        # a numbered paragraph's next number after a full stop is the next paragraph, though no blank
        # line came between ("18. … at an early stage." / "19. There was …")
        next_entry = next_entry or (current_kind == "paragraph" and _ends_sentence(prev)
                                    and _next_numbered_item(current[0], text))
        if not next_entry and (_continues(prev, ln, current_kind, profile, lines, i, current) or (
                in_references and _publisher_after_place(current, ln, current_kind))):
            if prev.endswith("-") and _SPLIT_HYPHEN_RE.search(prev) and text[:1].isalpha():
                current[-1] = rejoin(prev[:-1], text, vocabulary)
            elif _URL_TAIL_RE.search(prev) and _URL_PART_RE.match(text) and (
                prev[-1] in "/-._%=?&" or re.match(r"^\S*[/.%]", text)
            ):
                current[-1] = prev + text   # a URL wrapped over two lines
            else:
                current.append(text)
                current_pages.append(ln.page)
            i += 1
            continue
        flush()
    flush()
    return _merge_list_runs(blocks)


# "Leont’ev, A.N. (1978)", "Hardiker, P., Exton, K. and …", "National Evaluation of the Children’s Fund (2003)"
_REFERENCE_ENTRY_RE = re.compile(r"^(?:[A-Z][\w'’\-]+(?: [A-Z][\w'’\-]+)*,\s?(?:[A-Z]\.\s?-?)+"
                                 rf"|[A-Z][^.,;:()]{{2,80}}\s\({YEAR_DIGITS}[a-z]?\))")


_ITEM_NUMBER_RE = re.compile(r"^\s*(\d{1,3})\.\s+\S")


def _next_numbered_item(first: str, text: str) -> bool:
    """Whether ``text`` opens the item numbered after the one ``first`` opens ("18. …", "19. …")."""
    this, after = _ITEM_NUMBER_RE.match(first), _ITEM_NUMBER_RE.match(text)
    return bool(this and after) and int(after.group(1)) == int(this.group(1)) + 1


def _publisher_after_place(current: list[str], ln: _Line, kind: str) -> bool:
    """In a reference-list entry (under a references heading), "Englewood Cliffs NJ:" ends a line and the publisher ("Prentice
    Hall") starts the next: the colon of place and publisher, not the end of the paragraph."""
    return (kind == "paragraph" and ln.gap == 0 and not ln.bullet and not ln.marked_heading
            and current[-1].rstrip().endswith(":") and bool(_REFERENCE_ENTRY_RE.match(current[0]))
            and not _REFERENCE_ENTRY_RE.match(ln.text) and not _strong_heading(ln.text))


ENUMERATOR_RE = re.compile(r"^\(?(?:[a-z]|[ivx]{1,4}|\d{1,2})\)\s")     # "(c) he is disabled", "2) …": a list's next item


_LIST_ITEM_MAX_WORDS = 10


def _mark_unmarked_lists(lines: list[_Line], profile: _Profile) -> None:
    """Lines whose bullet glyphs the PDF lost: after a line ending with a colon, a run of two or more
    short lines, one under the other, none ending a sentence ("including:" / "Play schemes" / "Crèche
    facilities"), are a list's items, not headings or one run-on sentence."""
    short = 0.7 * profile.width if profile.wrapped else 80
    i = 1
    while i < len(lines):
        if lines[i - 1].bullet or not lines[i - 1].text.rstrip().endswith(":") or lines[i].gap > 2:
            i += 1
            continue
        end = i
        while (end < len(lines) and (end == i or lines[end].gap == 0) and not lines[end].bullet
               and not lines[end].marked_heading and lines[end].page == lines[i].page
               and len(lines[end].text) < short and len(lines[end].text.split()) <= _LIST_ITEM_MAX_WORDS
               and _starts_paragraph(lines[end].text) and not _ends_sentence(lines[end].text)
               and not lines[end].text.rstrip().endswith(":")):
            end += 1
        if end - i >= 2 and (end == len(lines) or lines[end].gap >= 1):
            for ln in lines[i:end]:
                ln.bullet = True
        i = max(end, i + 1)


# a line that is nothing but a division's name in capitals ("CHAPTER ONE", "APPENDIX 2", "PART III")
_DIVISION_RE = re.compile(r"(?:CHAPTER|APPENDIX|PART|SECTION)\s+(?:[A-Z]+|\d{1,2}|[IVXLC]{1,6})")


def _division_line(text: str) -> bool:
    return bool(_DIVISION_RE.fullmatch(text.strip()))


def _continues(prev: str, ln: _Line, kind: str, profile: _Profile, lines: list[_Line], i: int,
               paragraph: list[str] | None = None) -> bool:
    """Does line ``ln`` continue the paragraph whose last line is ``prev`` (``paragraph``: its lines so far)?"""
    text = ln.text
    if ln.bullet or ln.marked_heading:
        return False
    if _division_line(text):
        return False    # "CHAPTER ONE" right under a footnote's last line, no blank line between
    if kind == "bullet" and ln.gap >= 2 and ln.page == lines[i - 1].page:
        return False    # two blank lines end a list's last item
    if kind == "table":
        return bool(_TABLE_GAP_RE.search(text)) and ln.gap == 0
    if prev.endswith("-") and _SPLIT_HYPHEN_RE.search(prev) and text[:1].islower():
        return True
    if text[:1].islower() or text[:1] in ",;)":
        return True
    if ln.box_start and ln.gap >= 1 and _ends_sentence(prev):
        return False
    if i and ln.page != lines[i - 1].page and _ends_sentence(prev):
        return False   # a sentence that ends with the page ends its paragraph
    if ln.gap >= 1 and _strong_heading(text) and _heading_run(lines, i, profile):
        return False
    if ln.styled and not lines[i - 1].styled and _heading_candidate(lines, i, profile):
        return False
    if _heading_candidate(lines, i, profile) and _ends_sentence(prev) and _heading_run(lines, i, profile):
        return False
    if _ends_sentence(prev):
        if prev.rstrip(CLOSERS).endswith(":") and _starts_paragraph(text):
            return False
        if not profile.wrapped:
            return False
        if _is_short(prev, profile):
            return False
        if profile.blank_means_break:
            return ln.gap == 0
        return not ln.box_start
    # an unfinished sentence
    if ln.gap >= 1 and prev.rstrip().endswith(("]", ")")) and CREDIT_LINE_RE.match(prev):
        return False   # a credit line ends with its bracket, not with a full stop
    if not profile.wrapped:
        return ln.gap == 0
    words = prev.split()
    if (ln.gap >= 2 and ln.page == lines[i - 1].page and _starts_paragraph(text)
            and not (words and words[-1].lower() in _DANGLING)):
        return False    # two blank lines on the page: a block quotation without its full stop ends there
    if kind == "paragraph" and len(words) > 1 and words[-1].lower() in _DANGLING and not ENUMERATOR_RE.match(text):
        return True     # "… an existing partnership, the" / "Children’s Services Plan …": a short line that runs on
    if _is_short(prev, profile) and _starts_paragraph(text):
        # short for the page, but as wide as the narrow column it wraps in (a table's cell): "… and heavy
        # end prevention" / "(level three) for example …" is one sentence
        return ln.gap == 0 and _fills_its_column(prev, paragraph or [], profile)
    return True


def _fills_its_column(prev: str, paragraph: list[str], profile: _Profile) -> bool:
    """Whether ``prev``, the last line of ``paragraph``, is about as long as the lines before it, which
    wrap in a column narrower than the page's text (a table's cell): then its being short says nothing."""
    earlier = paragraph[:-1][-4:]
    if len(earlier) < 2:
        return False        # one line before says nothing of a column: an unbulleted list's items stay apart
    column = max(len(line) for line in earlier)
    return column < 0.85 * profile.width and len(prev) >= 0.85 * column


def _heading_candidate(lines: list[_Line], i: int, profile: _Profile) -> bool:
    ln = lines[i]
    if ln.marked_heading or _division_line(ln.text):
        return True
    if ln.styled and not ln.bullet and len(ln.text) <= 150 and not _ends_sentence(ln.text.rstrip(":")):
        return i == 0 or not lines[i - 1].styled or ln.gap >= 1 or lines[i - 1].page != ln.page
    if ln.bullet or not _heading_like(ln.text):
        return False
    followed_by_gap = i + 1 < len(lines) and lines[i + 1].gap >= 1
    if profile.wrapped and len(ln.text) >= 0.8 * profile.width and not (_strong_heading(ln.text) and followed_by_gap):
        return False
    if i == 0 or ln.gap >= 1:
        return True
    previous = lines[i - 1].text
    if _CAPTION_RE.match(previous) and _strong_heading(ln.text):
        return True     # a table's caption, then the next section ("Table 3.1 …" / "3.2 …")
    return _ends_sentence(previous) or _heading_like(previous)


def _heading_run(lines: list[_Line], i: int, profile: _Profile) -> int:
    """Number of lines (1–3) forming a heading at ``i``; 0 when the lines are not a heading."""
    if lines[i].marked_heading:
        return 1
    if lines[i].styled:   # the layout says so: bold or larger type, as many lines as share the style
        run = 1
        while run < 4 and i + run < len(lines) and lines[i + run].styled and lines[i + run].gap == 0 and not lines[i + run].bullet:
            run += 1
        return run
    run = 1
    while (
        run < 3 and i + run < len(lines)
        and _heading_continuation(lines[i + run].text) and not lines[i + run].bullet
        and lines[i + run].gap <= 1
        and lines[i + run].text[:1].islower()
    ):
        run += 1
    last_words = lines[i + run - 1].text.split()
    if run > 1 and len(last_words) > 1 and last_words[-1].lower() in _DANGLING:
        return 0    # a heading does not end on "the" or "of" (its first line is held to this in _heading_like)
    if run > 1 and sum(len(lines[j].text.split()) for j in range(i, i + run)) > _WRAPPED_HEADING_MAX_WORDS:
        return 0    # a sentence wrapped in a narrow column ("Through these links, the Children’s Fund impacts / directly …")
    nxt = lines[i + run] if i + run < len(lines) else None
    if nxt is None:
        return run
    if (run == 1 and nxt.gap == 0 and not _strong_heading(lines[i].text) and _RUN_ON_WORD_RE.match(nxt.text)
            and len(lines[i].text) >= 0.6 * len(nxt.text)):
        return 0   # a table cell's line runs on into the next ("… within the Delivery" / "Plan, but identified …")
    if _heading_like(nxt.text) and _is_short(nxt.text, profile) and not nxt.bullet and nxt.gap == 0 and not nxt.text[:1].isupper():
        return 0
    if (nxt.text[:1].islower() or nxt.text[:1] in "(,;") and not _ends_sentence(lines[i + run - 1].text):
        return 0   # the "heading" runs on into a sentence: it is the start of a paragraph
    return run


_WRAPPED_HEADING_MAX_WORDS = 14
# a line opening with one capitalised word and a comma: the end of a name the line before began ("Plan, but …")
_RUN_ON_WORD_RE = re.compile(r"^[A-Z][a-z]+,\s+[a-z]")


def _heading_level(text: str) -> int:
    match = re.match(r"^(\d{1,2}(?:\.\d{1,2})*)", text)
    if match:
        return match.group(1).count(".") + 1
    if re.match(r"^(CHAPTER|Chapter|PART|Part|APPENDIX|Appendix)\b", text) or text.isupper():
        return 1
    return 2


def _caption_end(lines: list[_Line], i: int, prev: str, vocabulary: Counter) -> int | None:
    """Index of the line that completes the word split before a figure/table caption, if any."""
    head = _WORD_RE.findall(prev[:-1]) if prev.endswith("-") else []
    if not head:
        return None
    for j in range(i + 1, min(i + 7, len(lines))):
        word = _WORD_RE.match(lines[j].text)
        if word and lines[j].text[:1].islower():
            joined = (head[-1] + word.group(0)).lower()
            if joined in vocabulary or _zipf(joined) >= 2.5:
                return j
    return None


def _caption_extent(lines: list[_Line], i: int, profile: _Profile) -> int:
    """End (exclusive) of a standalone caption: its line and up to two short continuation lines."""
    end = i + 1
    while (
        end < len(lines) and end - i < 3 and not lines[end].bullet
        and not _ends_sentence(lines[end - 1].text) and lines[end].text[:1].islower()
        and lines[end].gap <= 1
    ):
        end += 1
    return end


def _merge_list_runs(blocks: list[Block]) -> list[Block]:
    """Runs of 4+ one-line "headings" are a list or a table column, not headings."""
    out: list[Block] = []
    run: list[Block] = []

    def close() -> None:
        if len(run) >= 4:
            out.append(Block(kind="list", text="\n".join(b.text for b in run), page=run[0].page))
        else:
            out.extend(run)
        run.clear()

    for block in blocks:
        if block.kind == "heading" and not _NUMBERED_HEADING_RE.match(block.text):
            run.append(block)
            continue
        close()
        out.append(block)
    close()
    return out


# what a reference entry holds and prose does not: "(2005)", "2005.", "n.d.", "in press", "Edwards, A."
_ENTRY_LIKE_RE = re.compile(r"\((?:19|20)\d\d[a-z]?\)|\b(?:19|20)\d\d[a-z]?[.;:]|\bn\.d\.|\bin press\b"
                            r"|\b[A-Z][a-z'’-]+,\s+[A-Z]\.", re.I)
_KEYED_ENTRY_RE = re.compile(r"^\s*\[[A-Z]{0,3}\d+\]")       # "[R1] …", "[S3] …", "[C10] …"


def _under_heading(blocks: list[Block], at: int) -> list[Block]:
    """The paragraphs and bullets between the heading at ``at`` and the next heading."""
    out = []
    for block in blocks[at + 1:]:
        if block.kind == "heading":
            break
        if block.kind in ("paragraph", "bullet"):
            out.append(block)
    return out


def _mark_references(blocks: list[Block]) -> list[Block]:
    """Blocks under a references heading (and its unnumbered sub-headings) are reference entries; a
    sub-heading after the list whose blocks none reads as an entry ("Next steps" and a paragraph of
    prose) ends it."""
    in_refs = False
    for at, block in enumerate(blocks):
        if block.kind == "heading":
            if _REFERENCE_HEADINGS.match(block.text):
                in_refs = True
            elif _NUMBERED_HEADING_RE.match(block.text) or block.level == 1:
                in_refs = False
            elif in_refs:
                under = _under_heading(blocks, at)
                if under and not any(_ENTRY_LIKE_RE.search(b.text) or _KEYED_ENTRY_RE.match(b.text) for b in under):
                    in_refs = False
            continue
        if in_refs and block.kind in ("paragraph", "bullet"):
            block.kind = "reference"
    return blocks


def _lay_out(blocks: list[Block], labels: dict[int, str]) -> tuple[list[Block], list[Page]]:
    """Join blocks into one text (blank line between blocks), fill offsets and the page map."""
    parts: list[str] = []
    offset = 0
    for block in blocks:
        if parts:
            parts.append("\n\n")
            offset += 2
        block.start = offset
        parts.append(block.text)
        offset += len(block.text)
        block.end = offset
    pages: list[Page] = []
    for block in blocks:
        starts = ([(block.start, block.page)] if block.page is not None else []) + [(block.start + o, p) for o, p in block.breaks]
        for position, number in starts:
            if pages and pages[-1].number == number:
                continue
            if not pages or number > pages[-1].number:
                pages.append(Page(number=number, label=labels.get(number), start=position, end=position))
    for a, b in zip(pages, pages[1:]):
        a.end = b.start
    if pages:
        pages[-1].end = offset
    return blocks, pages


def _word_count(text: str) -> int:
    return len(text.split())
