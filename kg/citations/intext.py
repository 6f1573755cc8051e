"""In-text citations: where a document's sentences point at a work.

Entry point: :func:`find_citations`. It reads

* parenthetical author–year citations: "(Bynner, 2001; France and Utting, 2005)", several years
  "(Edwards 2005, 2007, in press)", pages "(Leont’ev, 1978, p. 62)", "(CYPU 2001:7)", "et al",
  prefixes "(see Kozulin, 1986 for one account)", "(e.g. Rincon-Gallardo & Fullan, 2016)";
* narrative citations: "Fleer (2006)", "Warmington et al. (2004, p. 7)", "Smith’s (2013)",
  "Powell and Glendinning (2002 p. 3)";
* keyed citations: "[R2][S2]", "[S1-5, 7-10]", "[C2, pp. 2 and 52]".

One :class:`InTextCitation` per cited work (a parenthesis citing three works gives three), each with
its offsets into the text, the sentence it sits in, its passage and page.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from ..sentences import sentence_spans
from ..years import CITED_YEAR, YEAR_DIGITS
from .names import is_acronym

YEAR_TOKEN = CITED_YEAR
# lower case only: a capitalised "Van" is read as a name, so no text can be split two ways (no backtracking blow-up)
PARTICLE = r"(?:(?:van|von|de|der|den|du|la|le|da|di|del|ten|ter)\s+)"
PARTICLES = r"(?:van|von|de|der|den|du|la|le|da|di|del|ten|ter)"
NAME = rf"{PARTICLE}*[A-ZÀ-ÖØ-Þ][\w’'\-]*(?:[’']s)?"
# "Masten and Garmezy", "Howard, Dryden and Johnson", "Daniels et al", "Office for National Statistics"
NAMES = (rf"{NAME}(?:\s+(?:of|for|the|and|&|de|van|von)\s+{NAME}|\s+{NAME})*"
         rf"(?:\s*(?:,|and|&|,\s*and|,\s*&)\s*{NAME}(?:\s+(?:of|for|the|de|van|von)\s+{NAME}|\s+{NAME})*)*"
         r"(?:\s*,?\s*et\.?\s*al\.?(?:[’']s)?)?")
LOCATOR = r"(?:\s*(?:,\s*|:\s*|\s)(?:pp?\.\s*)?\d+(?:\s*[-–]\s*\d+)?(?!\d))"
YEAR_ITEM = rf"(?:{YEAR_TOKEN}|(?<=[a-z],\s)[a-z](?![\w.]))"      # "2001a, b": a further suffix of the same year
GROUP_RE = re.compile(rf"(?P<names>{NAMES})\s*,?\s*(?P<years>(?:{YEAR_TOKEN})(?:\s*,\s*(?:{YEAR_ITEM}))*)(?P<loc>{LOCATOR})?",
                      re.UNICODE)
YEARS_ONLY_RE = re.compile(rf"^\s*(?P<years>(?:{YEAR_TOKEN})(?:\s*[,;]\s*(?:{YEAR_TOKEN}))*)(?P<loc>{LOCATOR})?\s*$")
PAREN_RE = re.compile(r"\(([^()]{2,400})\)")
KEYED_RE = re.compile(r"\[\s*([A-Z$]{1,2})\s?(\d{1,3}(?:\s*[-–]\s*\d{1,3})?(?:\s*,\s*(?:[A-Z]{1,2})?\s?\d{1,3}(?:\s*[-–]\s*\d{1,3})?)*)"
                      r"(?:\s*,\s*(pp?\.\s*[^\]]{1,30}))?\s*\]")
UNCLOSED_RE = re.compile(rf"\((?:{NAMES})\s*,?\s*(?:{YEAR_TOKEN})(?:\s*,\s*(?:{YEAR_TOKEN}))*(?![\w)])")
PREFIX_WORDS = re.compile(r"^(?:see also|see|e\.g\.|eg|cf\.?|for example|i\.e\.|adapted from|quoted in|cited in|as cited in|after|following|also)\s*,?\s*", re.I)
SENTENCE_STARTERS = {"See", "In", "As", "Like", "From", "By", "Following", "While", "For", "And", "But", "Both", "Unlike",
                     "After", "Although", "Since", "Whereas", "Also", "Here", "Then", "Thus", "However", "Yet", "So"}
NOT_NAMES = {"The", "A", "An", "This", "That", "These", "Those", "It", "We", "They", "He", "She", "Our", "Their", "His",
             "Her", "Its", "In", "On", "At", "By", "For", "From", "With", "See", "Figure", "Table", "Chapter", "Appendix",
             "Section", "Page", "Phase", "Part", "Volume", "January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December", "Spring", "Summer", "Autumn", "Winter"}
TITLE_WORDS_BEFORE = {"for", "of", "the", "a", "an"}
# legislation cited by its short title and year: "the Children Act 1989", "(Children Act HMSO 1989)",
# "the 2004 Children Act", "Children and Young Persons Act 1933"
ACT_NAME = r"(?:[A-Z][\w’'-]*\s+(?:(?:and|of|for|on)\s+)?){0,6}?[A-Z][\w’'-]*\s+Act"
ACT_RE = re.compile(rf"\b(?P<name>{ACT_NAME})\s+(?:(?:HMSO|TSO|The Stationery Office)\s*,?\s*)?(?P<year>(?:1[6-9]|20)\d\d)\b"
                    rf"|\b(?P<year2>(?:1[6-9]|20)\d\d)\s+(?P<name2>{ACT_NAME})\b")


@dataclass
class InTextCitation:
    surnames: list[str]
    year: str                      # "2005", "in press"; "" for a keyed citation
    year_suffix: str = ""
    et_al: bool = False
    page: str = ""                 # the page the citation points at ("62", "2 and 52")
    key: str = ""                  # "R2" for a keyed citation
    kind: str = "parenthetical"    # parenthetical | narrative | keyed | legislation | title
    title: str = ""                # what a citation by title names ("Children Act")
    start: int = 0                 # offsets into the text of the citation group ("Leont’ev, 1978, p. 62")
    end: int = 0
    surface: str = ""
    context: str = ""              # the citing sentence
    sentence_start: int = 0        # offsets of the citing sentence in the text
    sentence_end: int = 0
    passage_id: str | None = None
    doc_page: int | None = None    # the page of the document the citation is on
    page_label: str | None = None
    reference: int | None = None   # index of the reference entry in the same document, when resolved
    work_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _split_years(years: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for match in re.finditer(rf"{YEAR_TOKEN}|(?<![\w])[a-z](?![\w.])", years):
        token = re.sub(r"\s+", " ", match.group(0)).lower()
        if len(token) == 1:
            if out and out[-1][1]:
                out.append((out[-1][0], token))      # "2001a, b" → 2001b
            continue
        m = re.match(r"(\d{4}(?:[-–]\d{4})?)([a-z]?)$", token)
        out.append((m.group(1), m.group(2)) if m else (token, ""))
    return out


def _clean_names(names: str) -> tuple[list[str], bool]:
    et_al = bool(re.search(r"\bet\.?\s*al\b", names))
    names = re.sub(r"\s*,?\s*et\.?\s*al\.?(?:[’']s)?", "", names).strip(" ,")
    pieces = re.split(r"(\s*,\s*and\s+|\s*,\s*&\s*|\s*,\s*|\s+and\s+|\s*&\s*)", names)
    parts: list[str] = []
    for n in range(0, len(pieces), 2):
        piece = pieces[n].strip()
        if not piece:
            continue
        # "Department for Education" + "and" + "Skills": the last word of a body's name, not a second author
        if parts and re.search(r"\s(?:of|for|the)\s", parts[-1]) and len(piece.split()) == 1 and pieces[n - 1].strip() == "and":
            parts[-1] = f"{parts[-1]} and {piece}"
        else:
            parts.append(piece)
    parts = [re.sub(r"[’']s$", "", p) for p in parts]
    return parts, et_al


def _core(name: str) -> str:
    """A name without its leading particles: "van der Berg" → "Berg"."""
    return re.sub(rf"^(?:{PARTICLES}\s+)+", "", name, flags=re.I) or name


def _particle_name(name: str) -> bool:
    """A two-word surname led by a short particle: "Ní Bhriain", "Van Dyke", "De Souza", "Mac Giolla"."""
    words = name.split()
    return len(words) == 2 and len(words[0]) <= 3 and words[1][:1].isupper()


def _valid_names(parts: list[str]) -> bool:
    if not parts:
        return False
    for part in parts:
        words = _core(part).split()
        if words[0] in NOT_NAMES or len(words) > 8:
            return False
        if len(words) > 1 and not re.search(r"\s(?:of|for|the)\s", part) and not all(is_acronym(w) for w in words[1:]):
            # "Children Act HMSO", "Every Child Matters": several capitalised words without a connector are a title
            if not all(w[0].isupper() for w in words) or len(words) > 2:
                return False
    return True


def _parenthetical(text: str, a: int, b: int) -> list[InTextCitation]:
    """Citations inside the parenthesis text[a:b] (without the brackets)."""
    out: list[InTextCitation] = []
    inner = text[a:b]
    last_names: list[str] | None = None
    last_et_al = False
    offset = 0
    for chunk in inner.split(";"):
        chunk_start = a + offset
        offset += len(chunk) + 1
        lead = len(chunk) - len(chunk.lstrip())
        body = chunk.strip()
        prefix = PREFIX_WORDS.match(body)
        skip = prefix.end() if prefix else 0
        only_years = YEARS_ONLY_RE.match(body)
        if only_years and last_names:      # "(Jopling & Vincent, 2016; 2019)"
            for year, suffix in _split_years(only_years.group("years")):
                out.append(InTextCitation(list(last_names), year, suffix, last_et_al, _page(only_years.group("loc")),
                                          start=chunk_start + lead, end=chunk_start + lead + len(body), surface=body))
            continue
        match = GROUP_RE.search(body, skip)
        if not match or (match.start() > skip and not body[skip:match.start()].strip() == ""):
            if not match:
                continue
            # text before the names: allowed only as a short lead-in ("adapted from", "see")
            if len(body[:match.start()].split()) > 3:
                continue
        names, et_al = _clean_names(match.group("names"))
        if not _valid_names(names):
            continue
        tail = body[match.end():].strip()
        if tail and not re.match(r"^(?:for\b|and\b|,|\.|who\b|which\b|on\b|in\b)", tail) and len(tail.split()) > 6:
            continue
        last_names, last_et_al = names, et_al
        start = chunk_start + lead + match.start()
        end = chunk_start + lead + match.end()
        for year, suffix in _split_years(match.group("years")):
            out.append(InTextCitation(names, year, suffix, et_al, _page(match.group("loc")), start=start, end=end,
                                      surface=text[start:end]))
    return out


def _page(locator: str | None) -> str:
    if not locator:
        return ""
    match = re.search(r"\d+(?:\s*[-–]\s*\d+)?", locator)
    return re.sub(r"\s+", "", match.group(0)) if match else ""


class _Token:
    def __init__(self, text: str, start: int, end: int):
        self._text, self._start, self._end = text, start, end

    def group(self, _n: int = 0) -> str:
        return self._text

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


def _join_particles(tokens: list, text: str) -> list:
    out: list = []
    for token in tokens:
        if out and re.fullmatch(r"[A-ZÀ-ÖØ-Þ][\w’'\-]*(?:[’']s)?", token.group(0)) and re.fullmatch(PARTICLES, out[-1].group(0), re.I):
            start = out[-1].start()
            while len(out) > 1 and re.fullmatch(PARTICLES, out[-2].group(0), re.I):
                out.pop()
                start = out[-1].start()
            out[-1] = _Token(text[start:token.end()], start, token.end())
        else:
            out.append(token)
    return out


def _narrative(text: str, open_paren: int, close_paren: int, bodies: Iterable[str] = ()) -> list[InTextCitation]:
    """Names right before a parenthesis of years only: "Fleer (2006)", "Warmington et al. (2004, p. 7)"."""
    inner = text[open_paren + 1:close_paren]
    years = YEARS_ONLY_RE.match(inner)
    if not years or re.search(r"\d{4}[-–]\d{1,2}(?!\d)", inner):      # "(2005-06)": a period, not a citation
        return []
    before = text[max(0, open_paren - 160):open_paren]
    squeezed = re.sub(r"\s+", " ", before).rstrip()
    for body in bodies:        # a body the document's list names: "the Dartington Social Research Unit (2004)"
        if squeezed.endswith(" " + body) or squeezed == body:
            start = open_paren - (len(before) - len(before.rstrip())) - len(body)
            return _narrative_citations(text, [body], False, years, start, close_paren)
    by_document = DOCUMENT_OF_BODY_RE.search(squeezed)
    if by_document and is_acronym(by_document.group(1)):
        # "previous NECF reports (2003, 2004a)": a body's own documents, by its acronym
        start = open_paren - len(before) + before.rfind(by_document.group(1))
        return _narrative_citations(text, [by_document.group(1)], False, years, start, close_paren)
    if years.group("loc") and re.search(r"[”\"’]\s*$", before):
        speaker = _quoted_speaker(text, open_paren)
        if speaker:
            # 'Margaret Hodge … said that the Bill introduces "A shift to prevention …" (2004:3)': the
            # citation is the bracket, its name the speaker's (its span is not the whole sentence)
            name, _ = speaker
            return _narrative_citations(text, [name], False, years, open_paren, close_paren)
    tokens = list(re.finditer(rf"[A-Z]\.(?=,|\s)|{NAME}|et\.?|al\.?(?:[’']s)?|and|&|,|\S+", before))
    # "Van der Berg": a particle is part of the name after it
    tokens = _join_particles(tokens, before)
    chosen: list[re.Match] = []
    for token in reversed(tokens):
        word = token.group(0)
        if word in {",", "and", "&", "et", "et.", "al", "al.", "al’s", "al's"} or re.fullmatch(NAME, word) \
                or re.fullmatch(r"[A-Z]\.", word):
            chosen.append(token)
            continue
        break
    # the run must end with a name (or et al.) right before the parenthesis, and start with a name
    while chosen and not re.fullmatch(NAME, chosen[-1].group(0)):
        chosen.pop()
    if not chosen:
        return []
    chosen.reverse()
    words = [t.group(0) for t in chosen]
    while words and words[0] in SENTENCE_STARTERS:
        words.pop(0)
        chosen.pop(0)
    if not words or not re.fullmatch(NAME, words[0]):
        return []
    if not re.fullmatch(rf"{NAME}|al\.?(?:[’']s)?", words[-1]):
        return []
    # a capitalised word run without separators is a title ("Every Child Matters (2003)"), unless an acronym
    run = " ".join(words)
    names, et_al = _clean_names(run)
    if any(re.fullmatch(r"[A-Z]\.?", n) for n in names):      # "Hardiker, P., Exton, K., Barker, M (1991)"
        from .references import parse_authors

        parsed = parse_authors(before[chosen[0].start():])
        if not parsed:
            return []
        names, et_al = parsed[1], parsed[3]
    if not _valid_names(names) or any(len(_core(n).split()) > 1 and not _particle_name(_core(n))
                                       and not all(is_acronym(w) or w in ("of", "for", "the") for w in n.split()[1:])
                                       for n in names):
        return []
    preceding = before[:chosen[0].start()].rstrip()
    previous_word = re.search(r"(\S+)$", preceding)
    if previous_word and previous_word.group(1).lower() in TITLE_WORDS_BEFORE and not _of_a_writer(preceding):
        return []
    if previous_word and re.fullmatch(NAME, previous_word.group(1)) and previous_word.group(1) not in SENTENCE_STARTERS \
            and not preceding.endswith((".", ":", ";", "?", "!")):
        return []          # "The Resourceful Leader (2011)": a longer capitalised title
    start = open_paren - len(before) + chosen[0].start()
    return _narrative_citations(text, names, et_al, years, start, close_paren)


# "the DfES 2005 Common Core": a body's acronym and a year in running text, no brackets
BARE_BODY_YEAR_RE = re.compile(r"\b([A-Z][A-Za-z]{0,6}[A-Z][A-Za-z]{0,6})\s+((?:1[89]|20)\d\d)([a-z]?)\b(?![\d)\]])")


def _bare_body_years(text: str, found: list[InTextCitation], outside) -> list[InTextCitation]:
    """Acronym-and-year citations without brackets, for the bodies the text also cites in brackets
    ("(DfES, 2005)" elsewhere makes "the DfES 2005 Common Core" a citation; "UK 2004" stays text)."""
    cited = {c.surnames[0] for c in found if len(c.surnames) == 1 and sum(ch.isupper() for ch in c.surnames[0]) >= 2}
    taken = [(c.start, c.end) for c in found]
    out = []
    for match in BARE_BODY_YEAR_RE.finditer(text):
        if match.group(1) not in cited or not outside(match.start()):
            continue
        if any(a <= match.start() < b or a < match.end() <= b for a, b in taken):
            continue
        out.append(InTextCitation([match.group(1)], match.group(2), match.group(3), kind="narrative",
                                  start=match.start(), end=match.end(), surface=match.group(0)))
    return out


def _legislation(text: str, found: list[InTextCitation], outside) -> list[InTextCitation]:
    """Acts cited by short title and year ("the Children Act 1989", "(Children Act HMSO 1989)"); one in
    running text is kept by the document's analysis only when its reference list has the Act (a list
    entry with that title and year), as a mention of an Act is not otherwise a citation of a work."""
    for citation in found:      # "(Children Act 1989)" read as the body "Children Act" and a year
        if citation.kind in ("parenthetical", "narrative") and len(citation.surnames) == 1 \
                and re.fullmatch(rf"(?:The\s+)?{ACT_NAME}", citation.surnames[0]):
            citation.kind, citation.title = "legislation", re.sub(r"^The\s+", "", citation.surnames[0])
            citation.surnames = []
    taken = [(c.start, c.end) for c in found]
    out = []
    for match in ACT_RE.finditer(text):
        if not outside(match.start()) or any(a <= match.start() < b or a < match.end() <= b for a, b in taken):
            continue
        name = re.sub(r"^(?:The|A)\s+", "", match.group("name") or match.group("name2"))
        line_start, line_end = text.rfind("\n", 0, match.start()) + 1, text.find("\n", match.end())
        line = text[line_start:line_end if line_end != -1 else len(text)]
        if name == "Act" or re.fullmatch(r"[\d.\s]*", line[:match.start() - line_start]) and not line[match.end() - line_start:].strip():
            continue                    # "The Act 1989" names no Act; a heading "1.1. The Children Act 1989" cites nothing
        out.append(InTextCitation([], match.group("year") or match.group("year2"), kind="legislation", title=name,
                                  start=match.start(), end=match.end(), surface=match.group(0)))
    return out


def _by_title(text: str, found: list[InTextCitation], outside, titles: Iterable[tuple[str, str]]) -> list[InTextCitation]:
    """Works cited by their title and year, as government papers are ("Every Child Matters (2003)",
    "Supporting Families: A consultation document (1998)"): a title of two words or more that the
    document's own reference list gives, followed by the entry's year in brackets, a page perhaps with it
    ("The Children’s Fund Guidance (2001:37)")."""
    taken = [(c.start, c.end) for c in found]
    out: list[InTextCitation] = []
    for title, year in sorted(set(titles), key=lambda t: -len(t[0])):       # the longer title first
        words = re.findall(r"[^\W_]+", title)
        if len(words) < 2 or not re.fullmatch(YEAR_DIGITS, year):
            continue
        pattern = re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, words)) +
                             r"[’”'\"]?,?\s*[–—-]?\s*\((" + year + r")([a-z]?)"
                             r"(?:\s*[:,]\s*(?:pp?\.\s*)?(\d{1,4}(?:\s*[-–]\s*\d{1,4})?))?\)")
        for match in pattern.finditer(text):
            if not outside(match.start()) or any(a < match.end() and match.start() < b for a, b in taken):
                continue
            taken.append((match.start(), match.end()))
            out.append(InTextCitation([], year, match.group(2), page=(match.group(3) or "").replace(" ", ""),
                                      kind="title", title=title, start=match.start(), end=match.end(),
                                      surface=match.group(0)))
    return out


def _of_a_writer(preceding: str) -> bool:
    """Whether the words before a name are a lower-case noun and "of" or "by" ("the work of Edwards
    (2010)", "the study of Smith (2012)", "in the view of Edwards et al. (2009)"), not a title's
    capitalised words ("Evaluation of Children's Services (2004)", "The Review of …")."""
    return bool(re.search(r"(?:^|\s)[a-z][a-z’'-]+\s+(?:of|by)$", preceding))


def _narrative_citations(text: str, names: list[str], et_al: bool, years: re.Match, start: int,
                         close_paren: int) -> list[InTextCitation]:
    """One narrative citation per year of the parenthesis, from the names at ``start`` to its closing bracket."""
    return [InTextCitation(names, year, suffix, et_al, _page(years.group("loc")), kind="narrative", start=start,
                           end=close_paren + 1, surface=text[start:close_paren + 1])
            for year, suffix in _split_years(years.group("years"))]


# "NECF reports", "the DfES guidance": an acronym and the kind of document, right before the years
DOCUMENT_OF_BODY_RE = re.compile(
    r"\b([A-Z][A-Za-z]{1,7})(?:[’']s)?\s+(?:(?:final|annual|interim|first|second|third|earlier|previous|latest|national)\s+)?"
    r"(?:reports?|guidance|reviews?|evaluations?|surveys?|white\s+paper|green\s+paper|consultation|framework|strategy|"
    r"statistics|briefings?|papers?|publications?)$")
REPORTING_VERB = (r"(?:said|says|argued|argues|stated|states|wrote|writes|noted|notes|observed|observes|explained|explains|"
                  r"suggested|suggests|claimed|claims|remarked|remarks|described|describes|put\s+it|insisted|insists|"
                  r"declared|declares|announced|announces|commented|comments)")
SPEAKER_RE = re.compile(rf"^(?:[A-Z][a-z]+\s+)?(?P<surname>{NAME})\s*(?:,[^“\"]{{0,120}}?,)?\s+(?:has\s+|had\s+)?{REPORTING_VERB}\b")


def _quoted_speaker(text: str, open_paren: int) -> tuple[str, int] | None:
    """The person a sentence opens with, when they are reported as saying the quotation the years follow."""
    window_start = max(0, open_paren - 600)
    window = text[window_start:open_paren]
    starts = [m.end() for m in re.finditer(r"(?:[.!?][”’\"]?\s+|\n\s*\n\s*)(?=[A-Z])", window)]
    raw = window[starts[-1] if starts else 0:]
    sentence = re.sub(r"\s+", " ", raw)
    if not re.search(r"[“\"‘]", sentence):
        return None
    match = SPEAKER_RE.match(sentence)
    if not match or match.group("surname") in NOT_NAMES or match.group("surname") in SENTENCE_STARTERS:
        return None
    surname = re.sub(r"[’']s$", "", match.group("surname"))
    return surname, open_paren - len(raw.lstrip())


def _expand_keys(letters: str, body: str) -> list[str]:
    keys = []
    for part in re.split(r"\s*,\s*", body):
        match = re.match(r"([A-Z]{1,2})?\s?(\d{1,3})(?:\s*[-–]\s*(\d{1,3}))?$", part.strip())
        if not match:
            continue
        prefix = match.group(1) or letters
        first = int(match.group(2))
        last = int(match.group(3)) if match.group(3) else first
        if last < first or last - first > 50:
            last = first
        keys.extend(f"{prefix}{n}" for n in range(first, last + 1))
    return keys


def find_citations(text: str, passages: Iterable[dict[str, Any]] = (), pages: Iterable[dict[str, Any]] = (),
                   exclude: Iterable[tuple[int, int]] = (), bodies: Iterable[str] = (),
                   place: bool = True, titles: Iterable[tuple[str, str]] = ()) -> list[InTextCitation]:
    """Every in-text citation of ``text`` outside the ``exclude`` spans (its reference lists).

    ``passages`` (dicts with passage_id, start, end, page, page_label) give each citation its passage
    and page; ``pages`` (dicts with number, label, start, end) its page when no passage does;
    ``bodies`` are corporate authors of the document's list, cited narratively by their full name;
    ``titles`` the (title, year) of its entries, which a text may cite by title ("Every Child Matters (2003)").
    ``place=False`` leaves out the citing sentence, passage and page: the spans only.
    """
    bodies = sorted({re.sub(r",\s*The$", "", b).strip() for b in bodies if b and len(b.split()) > 1}, key=len, reverse=True)
    excluded = sorted(exclude)
    def outside(position: int) -> bool:
        return not any(a <= position < b for a, b in excluded)

    found: list[InTextCitation] = []
    for match in PAREN_RE.finditer(text):
        if not outside(match.start()):
            continue
        inner_a, inner_b = match.start(1), match.end(1)
        citations = _parenthetical(text, inner_a, inner_b)
        if not citations:
            citations = _narrative(text, match.start(), match.end() - 1, bodies)
        found.extend(citations)
    for match in UNCLOSED_RE.finditer(text):
        # "(Crowther & Cohen, 2011 and …": a parenthesis the author never closed
        if not outside(match.start()) or any(c.start <= match.start() + 1 < c.end + 1 for c in found):
            continue
        closing = text.find(")", match.start(), match.start() + 400)
        opening = text.find("(", match.start() + 1, match.start() + 400)
        if closing != -1 and (opening == -1 or closing < opening):
            continue
        found.extend(_parenthetical(text, match.start() + 1, match.end()))
    for match in KEYED_RE.finditer(text):
        if not outside(match.start()):
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        if text[line_start:match.start()].strip(" -•*") == "":
            continue                    # "[R1] Edwards …" at the head of a line defines a key, it does not cite it
        letters = match.group(1).replace("$", "S")
        page = ""
        if match.group(3):
            page = re.sub(r"^pp?\.\s*", "", match.group(3)).strip()
        for key in _expand_keys(letters, match.group(2)):
            found.append(InTextCitation([], "", key=key, page=page, kind="keyed", start=match.start(), end=match.end(),
                                        surface=match.group(0)))
    found.extend(_bare_body_years(text, found, outside))
    found.extend(_legislation(text, found, outside))
    found.extend(_by_title(text, found, outside, titles))
    found.sort(key=lambda c: (c.start, c.end))
    if place:
        _place(text, found, list(passages), list(pages))
    return found


def _place(text: str, citations: list[InTextCitation], passages: list[dict[str, Any]], pages: list[dict[str, Any]]) -> None:
    """The citing sentence, passage and page of each citation."""
    if not citations:
        return
    ordered = sorted(passages, key=lambda p: p["start"])
    starts = [p["start"] for p in ordered]
    page_list = sorted(pages, key=lambda p: p["start"])
    page_starts = [p["start"] for p in page_list]
    cache: dict[int, list[tuple[int, int]]] = {}
    for citation in citations:
        passage = None
        i = bisect.bisect_right(starts, citation.start) - 1
        if i >= 0 and ordered[i]["start"] <= citation.start < ordered[i]["end"]:
            passage = ordered[i]
        if passage is not None:
            citation.passage_id = passage["passage_id"]
            citation.doc_page = passage.get("page")     # the page the passage starts on, unless the page map says more
            citation.page_label = passage.get("page_label")
            base, body = passage["start"], text[passage["start"]:passage["end"]]
        else:
            para_a = text.rfind("\n\n", 0, citation.start)
            para_a = 0 if para_a < 0 else para_a + 2
            para_b = text.find("\n\n", citation.end)
            para_b = len(text) if para_b < 0 else para_b
            base, body = para_a, text[para_a:para_b]
        if page_list:       # the page the citation itself stands on: a passage may run onto the next page
            j = bisect.bisect_right(page_starts, citation.start) - 1
            if j >= 0 and page_list[j].get("start", 0) <= citation.start < page_list[j].get("end", len(text)):
                citation.doc_page = page_list[j].get("number")
                citation.page_label = page_list[j].get("label")
        spans = cache.get(base)
        if spans is None:
            spans = cache[base] = sentence_spans(body)
        local = citation.start - base
        index = next((n for n, (a, b) in enumerate(spans) if a <= local < b), None)
        if index is None:
            sentence = (max(0, local - 200), min(len(body), local + 200))
        else:
            sentence = spans[index]
            # "(Leont’ev, 1978, p. 62)" opening a sentence closes the quotation (or sentence) before
            # it: every citation of that parenthesis belongs there, and the context ends with it
            opening = body.rfind("(", 0, local + 1)
            if citation.kind == "parenthetical" and index > 0 and 0 <= opening - sentence[0] <= 1 \
                    and ")" not in body[opening:local]:
                closing = body.find(")", local)
                sentence = (spans[index - 1][0], closing + 1 if closing != -1 else citation.end - base + 1)
        citation.sentence_start, citation.sentence_end = base + sentence[0], base + sentence[1]
        citation.context = re.sub(r"\s+", " ", body[sentence[0]:sentence[1]]).strip()
        if citation.kind in ("parenthetical", "legislation") and "\n" in text[citation.end:citation.end + 3] \
                and re.search(r"(?:^|\n)\s*\(?\s*$", text[max(0, citation.start - 10):citation.start]):
            # a citation on a line of its own closes the (block) quotation above it ("… (c) he is
            # disabled’ / (Children Act HMSO 1989)" too)
            opening = text.rfind("(", max(0, citation.start - 10), citation.start + 1)
            cut = opening if opening != -1 else citation.start
            above = text[max(0, cut - 800):cut].rstrip()
            last = sentence_spans(above)
            if last:
                a, _ = last[-1]
                n = len(last) - 1     # a list's last item ("(c) he is disabled’"): back to the words leading into it
                while n > 0 and _LIST_ITEM_START_RE.match(above[last[n][0]:]):
                    n -= 1
                a = last[n][0] if n < len(last) - 1 and a - last[n][0] <= 1200 else a
                citation.sentence_start, citation.sentence_end = max(0, cut - 800) + a, citation.end + 1
                citation.context = re.sub(r"\s+", " ", above[a:] + " " + text[cut:citation.end + 1]).strip()


# an item of a lettered or numbered list: "(a) he is …", "b) …", "(iii) …"
_LIST_ITEM_START_RE = re.compile(r"\s*\(?(?:[a-h]|[ivx]{1,4}|\d{1,2})\)\s")


def without_citations(text: str) -> str:
    """``text`` with its in-text citations taken out, as a sentence embedding should read it: a
    citation is noise to the meaning ("findings from the PSE study [S3][R5] on …" → "findings from the
    PSE study on …"). A parenthesis of citations goes whole, "Fleer (2006)" keeps the name, a key
    "[R4]" goes with its bold marks; a parenthesis that says more than whom it cites stays."""
    citations = find_citations(text, place=False)
    if not citations:
        return text
    cuts: list[tuple[int, int]] = []
    in_parens: dict[int, list[InTextCitation]] = {}     # by the offset of the parenthesis they stand in
    for citation in citations:
        if citation.kind == "legislation":
            continue                    # "the Children Act 1989" is what the sentence is about, not a pointer
        if citation.kind == "keyed":
            start, end = citation.start, citation.end
            while start >= 1 and text[start - 1] == "*":
                start -= 1
            while end < len(text) and text[end] == "*":
                end += 1
            cuts.append((start, end))
        elif citation.kind == "narrative":
            opening = text.find("(", citation.start, citation.end)
            if opening != -1:
                cuts.append((opening, citation.end))
        else:
            in_parens.setdefault(text.rfind("(", 0, citation.start), []).append(citation)
    for match in PAREN_RE.finditer(text):
        inside = in_parens.get(match.start())
        if not inside:
            continue
        rest = text[match.start(1):match.end(1)]
        for citation in sorted(inside, key=lambda c: c.start, reverse=True):
            a, b = citation.start - match.start(1), citation.end - match.start(1)
            rest = rest[:a] + " " + rest[b:]
        rest = re.sub(r"(?<!\w)(?:see also|see|e\.g\.|eg|cf\.?|for example|i\.e\.|also|and|&)(?!\w)|[;,.:\s]", "", rest, flags=re.I)
        if not rest:
            cuts.append((match.start(), match.end()))
    if not cuts:
        return text
    pieces, position = [], 0
    for start, end in sorted(set(cuts)):
        if start < position:        # overlapping cuts (a key repeated per expanded citation)
            start = position
        pieces.append(text[position:start])
        position = max(position, end)
    pieces.append(text[position:])
    cleaned = re.sub(r"[ \t]+([,.;:)])", r"\1", "".join(pieces))
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned if cleaned.strip() else text
