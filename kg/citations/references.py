"""Reference lists: where they are in a document's cleaned text and what each entry says.

Entry points: :func:`reference_sections` (spans of the lists in a text), :func:`parse_reference`
(one entry → :class:`Reference`) and :func:`parse_references` (a text → every entry of its lists,
with offsets into that text).

Two list styles are read: author–year lists ("Edwards, A. and Daniels, H. (2004) Title. Place:
Publisher.", corporate authors such as "Department for Education and Skills (2004a)", "in press",
chapters "in X (ed.) Book", reports, URLs) and keyed lists ("[R1] …", "[S1] …", "[C1] …"). Text
out of PDFs breaks entries in two ("Englewood Cliffs NJ:" / "Prentice Hall") and runs two into one
("… London: DfES Department of Health (1989) …"): continuations are joined and run-on entries split.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..years import CITED_YEAR, CITED_YEAR_IN_BRACKETS_RE, YEAR_DIGITS
from .names import CONNECTORS, is_acronym

YEAR = CITED_YEAR
YEAR_PAREN_RE = CITED_YEAR_IN_BRACKETS_RE
YEAR_BARE_RE = re.compile(rf"(?<![\w(])({YEAR})(?=[.,:;]?\s)", re.I)
KEY_RE = re.compile(r"^[\s\-•*–]*\*{0,2}\[\s*([A-Z$]{1,2})\s?(\d{1,3})\s*\]\*{0,2}\s*")
HEADING_RE = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?\s*)?(references?(?:\s+(?:to|of)\s+the\s+\w+)?|bibliography|reference list|works cited|"
    r"literature cited|(?:recommended|further|suggested) reading|sources(?: to corroborate[\w ]*)?|key outputs)\s*:?\s*$",
    re.I)
UPPER = "A-ZÀ-ÖØ-Þ"
INITIALS_RE = re.compile(rf"^(?:[{UPPER}][a-z]?\.?\s?-?\s?){{1,4}}$")
SURNAME_RE = re.compile(rf"^(?:(?:van|von|de|der|du|la|le|da|di)\s)*[{UPPER}][\w’'\-]*(?:\s[{UPPER}][\w’'\-]+)?$")
NAME_INITIALS_RE = re.compile(rf"^([{UPPER}][\w’'\-]+)\s((?:[{UPPER}]\.?){{1,3}})$")   # "Glendinning C"
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"]+")
# pages: two numbers and a dash, not glued to letters or to more numbers ("tcm8-17373.pdf" holds none)
PAGES_RE = re.compile(r"(\bpp?\.?\s*)?(?<![^\W\d_])(?<![\d\-–/])(\d+\s?[-–]\s?\d+)(?![\d\-–/]|[^\W\d_])")
ET_AL_RE = re.compile(r"\s*,?\s*\bet\.?\s*al\b\.?", re.I)
NON_ENTRY_WORDS = re.compile(r"^(appendix|chapter|table|figure|annex|section|part|notes?)\b|\bwords$", re.I)


@dataclass
class Reference:
    raw: str
    start: int = 0
    end: int = 0
    key: str = ""                 # "R1" in a keyed list, else "" (an author–year entry is found by its authors and year)
    authors: list[str] = field(default_factory=list)    # as written: "Edwards, A.", "Department for Education and Skills"
    surnames: list[str] = field(default_factory=list)   # "Edwards", "Department for Education and Skills"
    corporate: bool = False
    et_al: bool = False
    year: str = ""                # "2004", "in press", "1941-1967"; a study's period as written: "2007-8"
    year_suffix: str = ""         # the "a" of 2004a
    title: str = ""
    acronym: str = ""             # "NECF" of "[S1] NECF - National Evaluation of the Children's Fund"
    container: str = ""           # journal or edited book
    editors: list[str] = field(default_factory=list)
    publisher: str = ""
    place: str = ""
    pages: str = ""
    volume: str = ""              # a journal's volume: the 29 of "29(2)" or "vol. 29"
    issue: str = ""               # its issue (number): the 2 of "29(2)"
    url: str = ""
    section: str = ""             # the heading of the list

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        """A short author–year label: "Edwards et al. (2006)", "[R1] Edwards (2006)"."""
        who = self.surnames[0] if self.surnames else (self.title[:40] or self.raw[:40])
        if len(self.surnames) == 2:
            who = f"{self.surnames[0]} and {self.surnames[1]}"
        elif len(self.surnames) > 2 or self.et_al:
            who += " et al."
        year = f" ({self.year}{self.year_suffix})" if self.year else ""
        return (f"[{self.key}] " if self.key else "") + who + year


# --- authors ---------------------------------------------------------------------------------------

_BARE_INITIAL_RE = re.compile(rf"(?<![\w.])([{UPPER}])(?![\w.’'])")


def _dotted(initials: str) -> str:
    """Initials as a reference list prints them: "A" → "A.", "JA" → "J. A." ("Edwards, A" beside
    "Barnes, M." in one list; "Glendinning C"); initials already dotted, and "Ch." or "J.-P.", as written."""
    if re.fullmatch(rf"[{UPPER}]{{2,3}}", initials):
        initials = " ".join(initials)
    return _BARE_INITIAL_RE.sub(r"\1.", initials)


def parse_authors(text: str) -> tuple[list[str], list[str], bool, bool] | None:
    """"Edwards, A., Barnes, M. and Morris, K." → (authors, surnames, corporate, et_al); None when it is not names."""
    text = text.strip().rstrip(",;: ").strip()
    if not text or len(text) > 300:
        return None
    et_al = bool(ET_AL_RE.search(text))
    text = ET_AL_RE.sub("", text).strip().rstrip(",")
    if not text:
        return None
    parts = [p.strip() for p in re.split(r",|\s&\s|\s+and\s+|;", text) if p.strip() and p.strip() not in ("&", "and")]
    if not parts:
        return None
    authors: list[str] = []
    surnames: list[str] = []
    i = 0
    personal = False
    while i < len(parts):
        part = parts[i]
        match = NAME_INITIALS_RE.match(part)
        if match and not is_acronym(part):
            authors.append(f"{match.group(1)}, {_dotted(match.group(2))}")
            surnames.append(match.group(1))
            personal = True
            i += 1
            continue
        if SURNAME_RE.match(part) and i + 1 < len(parts) and INITIALS_RE.match(parts[i + 1]) and (
                not is_acronym(part) or (part.isupper() and len(part) > 3 and parts[i + 1].endswith("."))):   # "SMITH, J."
            authors.append(f"{part}, {_dotted(parts[i + 1])}")
            surnames.append(part)
            personal = True
            i += 2
            continue
        if INITIALS_RE.match(part) and i + 1 < len(parts) and SURNAME_RE.match(parts[i + 1]):   # "A. Edwards"
            authors.append(f"{parts[i + 1]}, {_dotted(part)}")
            surnames.append(parts[i + 1])
            personal = True
            i += 2
            continue
        if personal and SURNAME_RE.match(part) and len(part.split()) == 1:   # a surname without initials in a list
            authors.append(part)
            surnames.append(part)
            i += 1
            continue
        break
    if personal and i == len(parts):
        return authors, surnames, False, et_al
    corporate = corporate_name(text)
    if corporate and not et_al:       # "Home Office, The": the body is "Home Office"
        return [corporate], [re.sub(r",\s*The$", "", corporate)], True, False
    if not personal and len(parts) == 1 and SURNAME_RE.match(parts[0]) and len(parts[0].split()) == 1 and et_al:
        return [parts[0]], [parts[0]], False, True
    return None


def corporate_name(text: str) -> str | None:
    """A body's name: capitalised words joined by of/for/and/the ("Home Office, The", "Children’s Fund")."""
    text = text.strip().rstrip(",.")
    if re.search(r"[\d:;()\[\]]", text) or len(text) > 120 or re.search(r",(?!\s*The$)", text):
        return None
    words = re.findall(r"[^\s,]+", text)
    if not words or words[0][0].islower():
        return None
    capitals = 0
    for word in words:
        bare = word.strip("()")
        if not bare:
            return None
        if bare.lower() in CONNECTORS:
            continue
        if not (bare[0].isupper() or bare[0].isdigit()):
            return None
        capitals += 1
    return text if capitals else None


# --- one entry ---------------------------------------------------------------------------------------

def _find_head(body: str) -> tuple[int, int, str] | None:
    """Where the year of an author–year entry is: (start, end of the year token with its brackets, year)."""
    window = body[:320]
    for match in YEAR_PAREN_RE.finditer(window):
        return match.start(), match.end(), match.group(1)
    match = YEAR_BARE_RE.search(window)
    if match and match.start() > 0 and body[match.start() - 1] in " ,." and match.start() < 200:
        return match.start(), match.end(), match.group(1)
    return None


def parse_reference(raw: str, key: str = "", section: str = "") -> Reference:
    """One reference entry (its key, if keyed, already removed or still in front)."""
    ref = Reference(raw=raw.strip(), key=key, section=section)
    body = ref.raw
    match = KEY_RE.match(body)
    if match and not key:
        ref.key = _key(match.group(1), match.group(2))
        body = body[match.end():]
    body = re.sub(r"\s+", " ", body).strip()
    urls = _url_spans(body)
    if urls:
        ref.url = _url_text(body[urls[0][0]:urls[0][1]])
    head = _find_head(body)
    rest = body
    if head:
        before, year = body[:head[0]].strip(), head[2]
        names = parse_authors(before) if before else None
        bare = not body[head[0]:head[1]].startswith("(")
        if (bare and not names) or (re.search(r"\d[-–/]\d", year) and not (names and not names[2])):
            head = None        # "… ended March 2006", "Director CWDC (2007-2011)": dates, not a publication year
    if head:
        if names:
            ref.authors, ref.surnames, ref.corporate, ref.et_al = names
        elif before:
            ref.title = before.rstrip(" ,.")        # "Series of video-recordings with … (2012)": no author
        year_match = re.match(r"(\d{4}(?:[-–/]\d{2,4})?)([a-z]?)$", year)
        ref.year, ref.year_suffix = (year_match.group(1), year_match.group(2)) if year_match else (year.lower(), "")
        rest = body[head[1]:].lstrip(" .,:;)")
    else:
        rest = body
    if not ref.title:
        ref.title, rest = _title(rest, keyed=bool(ref.key) and not head)
    if ref.key and not head:
        _study_entry(ref, rest)
    _details(ref, rest)
    return ref


# A keyed entry naming a funded study or grant rather than a publication ("[S3] PSE - Preventing Social
# Exclusion in Secondary Schools (ESRC) – 2007-8 (Edwards and Lunt) £90k")
# a list of the sources that corroborate a claim (a REF impact case study's section 5), and an entry of it
# that is a letter kept on file ("[C1] Early Intervention Manager, … (letter on file)"), not a publication
CORROBORATING_SECTION_RE = re.compile(r"corroborat|testimon", re.I)
LETTER_RE = re.compile(r"\bletters?\b", re.I)
STUDY_SECTION_RE = re.compile(r"\b(?:stud(?:y|ies)|grants?|projects?|awards?|funding|programmes?)\b", re.I)
STUDY_MARK_RE = re.compile(r"£\s?\d|\baward(?:ed)?\b|\bfunded\b|\bgrant\b", re.I)
ACRONYM_PREFIX_RE = re.compile(r"([A-Z][A-Za-z]{0,2}[A-Z]{1,6})\s*[-–]\s*(?=[A-Z])")
STATED_YEAR_RE = re.compile(r"(?<![\d.£$])((?:19|20)\d{2}(?:\s?[-–/]\s?\d{1,4})?)(?![\d%k])")


def _study_entry(ref: Reference, rest: str) -> None:
    """A study entry's acronym goes beside its name, and the year it states (its end or its period) is its year."""
    prefix = ACRONYM_PREFIX_RE.match(ref.title)
    if prefix and len(ref.title) > prefix.end() + 3:
        ref.acronym, ref.title = prefix.group(1), ref.title[prefix.end():].strip()
    if ref.year or not (STUDY_SECTION_RE.search(ref.section) or STUDY_MARK_RE.search(rest)):
        return
    year = STATED_YEAR_RE.search(rest)
    if year:
        ref.year = re.sub(r"\s", "", year.group(1)).replace("–", "-")


def _key(letters: str, number: str) -> str:
    return letters.replace("$", "S") + number


# ", Journal Name, 14(2)": a comma, a capitalised name, its volume (the volume follows the name directly:
# "(1-15)" after a book's title is its pages, not a volume)
JOURNAL_AFTER_COMMA = r",\s+(?=[A-Z][^,.()]{3,80},?\s*(?:vol\.?\s*)?\d)"
BRACKETED_PAGES = r"\s+\((?:pp?\.?\s*)?\d+\s?[-–]\s?\d+\)"      # "… Families (1-15). London: Routledge"
_LIST_ITEM_RE = re.compile(rf",\s+([{UPPER}][\w’'\-]*(?:\s[{UPPER}][\w’'\-]*)?)\s*$")


def _serial_list_start(text: str, comma: int) -> int:
    """Where a name that is a serial list ("Learning, Culture and Social Interaction") starts when
    the name found after ``comma`` is its last part ("Culture and Social Interaction"): one or two
    capitalised words between commas before a part that joins with "and"/"&" are items of that list."""
    name = re.match(r",\s+([^,]*)", text[comma:])
    if not name or not re.search(r"\s(?:and|&)\s", name.group(1)):
        return comma
    while True:
        item = _LIST_ITEM_RE.search(text[:comma])
        if not item or item.start() < 10:
            return comma
        comma = item.start()


def _title(text: str, keyed: bool) -> tuple[str, str]:
    """The title at the start of ``text`` and what follows it."""
    if keyed:      # "[S1] NECF - National Evaluation … (DfES)- 3.5 year award": up to the first bracket
        cut = re.search(r"\s\(|\.\s|\s£|\s[–-]\s*\d|\s\d{4}(?:[-–]\d{1,4})?\b|$", text)
        return text[:cut.start()].strip(" .,-–:"), text[cut.start():]
    italic = re.match(r"\*([^*]{3,300})\*", text)      # markdown italics mark the title exactly
    if italic:
        return italic.group(1).strip(" .,:"), text[italic.end():]
    end = len(text)
    for pattern in (r"(?<=[a-z]{3})\.(?=[A-Z][a-z])", r",\s+(?=[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s?:\s)", r"(?<!\b[A-Z])(?<!\bvol)(?<!\bno)(?<!\bpp)(?<!\bed)(?<!\beds)\.(?=\s|$)", r"\?(?=\s)", r"[,.?]\s+[Ii]n:?\s+(?=[A-Z])",
                    JOURNAL_AFTER_COMMA, BRACKETED_PAGES):
        match = re.search(pattern, text)
        if match and match.start() < end:
            end = match.start() + (1 if text[match.start()] == "?" else 0)
            if pattern is JOURNAL_AFTER_COMMA:
                end = _serial_list_start(text, end)
    end = _subtitle_end(text, end)
    if not text[end:].strip(" ."):     # only when the entry ends there: "Title London, HMSO"
        tail = _place_comma_publisher(text[:end].rstrip(" .,:"))
        end = tail if tail is not None else end
    else:                               # "…Children's Fund, London, DfES Research Report 734"
        place = re.search(rf",\s*(?:{_PLACE_GROUP})$", text[:end])
        end = place.start() if place and place.start() > 10 else end
    return text[:end].strip(" .,:"), text[end:]


# "Place: Publisher" closing a book entry: the place is one or two capitalised words, maybe ", Country"
PLACE_PUBLISHER_RE = re.compile(rf"\.\s+[{UPPER}][a-z]+(?:\s[{UPPER}][a-z]+)?(?:,\s[{UPPER}][a-z]+)?\s?:\s*[{UPPER}]")


# Places of publication that British reference lists name without a full stop before them
# ("The Children Act London, HMSO", "… in expertise Dordrecht, Springer")
PUBLISHING_PLACES = (
    "London", "Oxford", "Cambridge", "Bristol", "Edinburgh", "Glasgow", "Cardiff", "Belfast", "Dublin", "Manchester",
    "Birmingham", "Leeds", "Norwich", "Nottingham", "Brighton", "Hove", "Abingdon", "Basingstoke", "Maidenhead",
    "Buckingham", "Aldershot", "Milton Keynes", "Slough", "Harlow", "Chichester", "Exeter", "York", "Dordrecht",
    "Amsterdam", "Rotterdam", "Berlin", "Heidelberg", "Paris", "New York", "Boston", "Chicago", "Philadelphia",
    "Thousand Oaks", "San Francisco", "Washington", "Toronto", "Sydney", "Melbourne", "Wellington",
)
_PLACE_GROUP = "|".join(re.escape(place) for place in PUBLISHING_PLACES)
# "… London, HMSO", "… London HMSO" (an acronym), "…, London, DfES Research Report 734"
PLACE_COMMA_PUBLISHER_RE = re.compile(
    rf"(?<=[\w?!)’'])(?:,\s*|\s+)({_PLACE_GROUP})(?:,\s*|\s+(?=[{UPPER}]{{2,}}\b))([{UPPER}][^,.:;()]{{1,60}}?)\s*$")


PLACE_PUBLISHER_ONLY_RE = re.compile(
    rf"^[\s,]*({_PLACE_GROUP})(?:,\s*|\s+(?=[{UPPER}]{{2,}}\b))([{UPPER}][^,.:;()]{{1,60}}?)\s*$")
_TITLE_CANNOT_END_RE = re.compile(r"\b(?:and|or|in|of|to|for|from|the|a|an|at|on|with|between|across|by)$", re.I)


def _place_comma_publisher(title: str) -> int | None:
    """Where a trailing "London, HMSO" (a known place, a comma, a publisher) begins in ``title``;
    None when the place reads as part of the title ("Working in Berlin and Paris, Routledge")."""
    match = PLACE_COMMA_PUBLISHER_RE.search(title)
    if not match or match.start() < 3 or _TITLE_CANNOT_END_RE.search(title[:match.start()]):
        return None
    return match.start()


def _subtitle_end(text: str, end: int) -> int:
    """A subtitle after a full stop stays in the title when only "Place: Publisher" follows it."""
    if end >= len(text) or text[end] != ".":
        return end
    match = PLACE_PUBLISHER_RE.search(text, end + 1)
    if not match:
        return end
    between = text[end + 1:match.start()]
    if not between.strip() or len(between) > 150 or re.search(r"\d|\b[Ii]n:?\s|\([Ee]ds?\.?\)|\.\s", between):
        return end
    if _DESCRIBES_THE_WORK_RE.match(between):
        return end      # "A study commissioned by …": what the work is, after its title, not a subtitle
    return match.start()


# a note on the work after its title: "A study commissioned by Victorian Department …", "Report to the DfES"
_DESCRIBES_THE_WORK_RE = re.compile(
    r"\s*(?:(?:A|An)\s+(?:\w+\s+)?(?:study|report|review|paper|evaluation|briefing)\s+(?:commissioned|prepared|funded|written"
    r"|carried\s+out|conducted|undertaken|submitted)\b|(?:Commissioned|Prepared|Funded|Written|Submitted)\s+(?:by|for|to)\b"
    r"|(?:Final\s+|Interim\s+)?Report\s+(?:to|for)\b)")


# A journal after the title: its name (commas only inside a serial list: "Learning, Culture and Social
# Interaction"), its volume ("vol. 13", "29"), maybe its issue ("29(2)", "4, 1, 33-43", "36, 1. 27-45",
# "3 no. 2"), then its pages; a number with neither issue nor pages after it is no volume ("Report 734")
JOURNAL_RE = re.compile(
    r"\s*([A-Z][^.:()]{2,120}?)[,.]?\s*(?:[Vv]ol(?:ume)?\.?\s*)?(\d{1,4})(?![\d\-–])"
    r"(?:\s*\(\s*(\d{1,4}(?:\s?[-–/]\s?\d{1,4})?)\s*\)"
    r"|\s*[,.]\s*(?:[Nn]o\.?\s*)?(\d{1,3})(?=\s*[,.:]\s*(?:pp?\.?\s*)?\d+\s?[-–]\s?\d)"
    r"|\s*,?\s*(?:[Nn]o|[Ii]ssue)\.?\s*(\d{1,3})\b)?")
PAGES_FOLLOW_RE = re.compile(r"\s*[,.:;]?\s*(?:pp?\.?\s*)?\d+\s?[-–]\s?\d+")


def _journal(text: str) -> tuple[str, str, str] | None:
    """(journal, volume, issue) at the start of what follows an article's title, or None."""
    match = JOURNAL_RE.match(text)
    if not match:
        return None
    issue = match.group(3) or match.group(4) or match.group(5) or ""
    if not issue and not PAGES_FOLLOW_RE.match(text, match.end()):
        return None
    name = match.group(1).strip(" ,")
    *items, last = [part.strip() for part in name.split(",")]
    if items and not (re.search(r"\s(?:and|&)\s", last) and all(_LIST_ITEM_RE.match(f", {item}") for item in items)):
        return None      # commas that make no serial list: not one name
    return name, match.group(2), re.sub(r"\s", "", issue).replace("–", "-")


# "Y. Engeström", "R.-J. Punamäki", "M. Cronin": initials before the surname, as editors are often listed
_INITIALS_FIRST_RE = re.compile(r"((?:[A-Z]\.\s*(?:-\s*[A-Z]\.\s*)?)+)\s*([A-Z][^\W\d_]*(?:[’'-][A-Z][^\W\d_]*)*)")


def _initials_first_names(text: str) -> list[str]:
    """"Y. Engeström, R. Miettinen & R.-J. Punamäki" → ["Engeström, Y.", "Miettinen, R.", "Punamäki, R.-J."];
    [] unless every name of the list is so written."""
    parts = [p.strip() for p in re.split(r",|\s&\s|\s+and\s+", text.strip(" ,")) if p.strip()]
    names = [_INITIALS_FIRST_RE.fullmatch(p) for p in parts]
    if not parts or not all(names):
        return []
    return [m.group(2) + ", " + re.sub(r"\s+", "", m.group(1)) for m in names]


def _details(ref: Reference, rest: str) -> None:
    rest = rest.strip(" .,")
    for a, b in reversed(_url_spans(rest)):
        rest = rest[:a] + rest[b:]
    text = rest.strip(" .,")
    chapter = re.search(r"\b[Ii]n:?\s+(.*?)\((?:eds?|Eds?)\.?\)\s*,?\s*(.*)$", text)
    if chapter:
        from_editors = _initials_first_names(chapter.group(1)) or parse_authors(chapter.group(1))
        if from_editors and isinstance(from_editors, tuple):
            from_editors = from_editors[0]
        ref.editors = from_editors or [chapter.group(1).strip(" ,")]
        container, after = _title(chapter.group(2), keyed=False)
        ref.container = container
        text = after
    else:
        journal = _journal(text)
        if journal:
            ref.container, ref.volume, ref.issue = journal
    # "Place: Publisher" is never inside brackets ("(Director: Edwards)") and names no sum ("£6m")
    unbracketed = _without_brackets(text)
    publisher = re.search(r"([A-Z][A-Za-z .,'’]{1,60}?)\s*:\s*([A-Z][^.:]{1,80})", unbracketed) \
        or PLACE_PUBLISHER_ONLY_RE.search(unbracketed.rstrip(" ."))
    if publisher:
        name = re.sub(r",?\s*\bpp?\b\.?.*$", "", publisher.group(2))
        name = MONEY_RE.split(name)[0].strip(" ,.")
        if name:
            # the place is what stands after the last sentence's end: "… Development. Australia: Charles Sturt …"
            ref.place, ref.publisher = re.split(r"(?<=[a-z]{2})\.\s+", publisher.group(1))[-1].strip(" ,"), name
    pages = [m for m in PAGES_RE.finditer(text) if m.group(1) or not _is_year_range(m.group(2))]
    if pages:
        ref.pages = pages[-1].group(2).replace(" ", "")
    if not (ref.publisher or ref.container or ref.editors or (ref.key and not ref.surnames)):
        ref.publisher = _report_publisher(text)


# a body that publishes a report names itself with one of these words ("HOST Policy Research",
# "Centre for Social Policy", "Charles Sturt University")
ORGANISATION_WORDS = re.compile(
    r"\b(?:Research|Universit(?:y|ies)|Press|Council|Institute|Centre|Center|Foundation|Trust|Office|Department|"
    r"Ministry|Commission|Agency|Associates|Consulting|Ltd|Limited|Inc|Publish(?:ing|ers)|Publications|Society|"
    r"Unit|Group|College|Board|Network|Bureau|Service|Services)\b")


def _report_publisher(text: str) -> str:
    """A report's publisher without a place: the last sentence of the entry when it is a body's name
    ("Report to the ESRC. HOST Policy Research.")."""
    sentences = [part.strip(" ,;") for part in re.split(r"\.\s+", text.strip(" .")) if part.strip(" ,;")]
    if len(sentences) < 2:
        return ""
    last = sentences[-1]
    if last in PUBLISHING_PLACES or not ORGANISATION_WORDS.search(last) or not corporate_name(last):
        return ""
    return last


FILE_NAME_RE = re.compile(r"(?:\s+[^\s]+){1,8}?\.(?:pdf|html?|docx?|aspx?|php|xlsx?|pptx?|txt|rtf)(?=[\s.,;)]*$)", re.I)


# another address in what follows a broken URL: a scheme, or "www." and a domain with a dot of its
# own ("www.example.org"); a file named "www.pdf" is a file name
_ANOTHER_URL_RE = re.compile(r"https?://|\bwww\.[^\s./]+\.[^\s]")


def _url_spans(text: str) -> list[tuple[int, int]]:
    """Where the URLs of an entry are; a URL broken after a slash by spaces ("http://www.esrc.ac.uk/
    images/TLRP Impact Evaluation tcm8-17373.pdf") runs on to the file name that ends the entry."""
    spans = []
    for match in URL_RE.finditer(text):
        end = match.end()
        if match.group(0).endswith("/"):
            rest = FILE_NAME_RE.match(text, end)
            if rest and not _ANOTHER_URL_RE.search(rest.group(0)):
                end = rest.end()
        spans.append((match.start(), end))
    return spans


def _url_text(span: str) -> str:
    """A URL as printed, its break after a slash joined ("…ac.uk/ images/…" → "…ac.uk/images/…")."""
    return re.sub(r"/\s+", "/", span.strip()).rstrip(".,;)")


MONEY_RE = re.compile(r"\s*[£$€]\s?\d")


def _without_brackets(text: str) -> str:
    """``text`` with every bracketed part (nested ones too, and one left open at the end) blanked out."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", lambda m: " " * len(m.group(0)), text)
    return re.sub(r"\([^()]*$", lambda m: " " * len(m.group(0)), text)


def _is_year_range(span: str) -> bool:
    """"2007-8", "2010-11", "2011-13", "2007-2011": a period of years, not pages (unless "pp." says so)."""
    first, _, second = re.split(r"\s?([-–])\s?", span)
    if len(first) != 4 or not re.fullmatch(YEAR_DIGITS, first):
        return False
    if len(second) <= 2:
        return True
    return len(second) == 4 and 0 < int(second) - int(first) <= 50


# --- lists in a document --------------------------------------------------------------------------------

def _paragraphs(text: str) -> list[tuple[int, int]]:
    out = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def _is_entry_start(paragraph: str) -> bool:
    """Authors then a year at the head of the paragraph, or a key ([R1])."""
    if KEY_RE.match(paragraph):
        return True
    head = _find_head(re.sub(r"\s+", " ", paragraph))
    if not head or head[0] == 0:
        return False
    return parse_authors(re.sub(r"\s+", " ", paragraph)[:head[0]]) is not None


def _is_continuation(previous: str, paragraph: str) -> bool:
    """A piece of the entry before it that extraction put on its own line."""
    if NON_ENTRY_WORDS.search(paragraph.strip()) or len(paragraph) > 160:
        return False
    stripped = paragraph.strip().lstrip("-•* ")
    if URL_RE.fullmatch(stripped):
        return True
    if stripped[:1].islower() or previous.rstrip().endswith((":", ",", "&", "-", "–", " and", " in")):
        return True
    return bool(re.fullmatch(r"[A-Z][\w .,'’]{1,40}:\s*[A-Z][\w .,&'’]{1,60}\.?", stripped))   # "London: DfES"


def _split_run_on(text: str, start: int, end: int) -> list[int]:
    """Offsets where a second entry starts inside one paragraph ("… London: DfES Department of Health (1989) …")."""
    body = text[start:end]
    first = _find_head(body)
    if not first:
        return []
    cuts = []
    if KEY_RE.match(body):
        return []          # in a keyed list every entry starts with its key
    for match in re.finditer(r"\((\d{4}[a-z]?)\)", body[:len(body)]):
        if match.start() < first[1] + 15:
            continue
        words = list(re.finditer(r"\S+", body[:match.start()]))
        best = None
        # from the year leftwards: the longest run of words that reads as authors, stopping at the
        # end of the entry before ("… Policy Press.", "… London: TSO", "… HMSO")
        for n in range(len(words) - 1, max(-1, len(words) - 13), -1):
            word = words[n].group(0)
            if words[n].start() <= first[1] + 10:
                break
            if n < len(words) - 1 and (is_acronym(word.strip(",.")) or re.search(r"[:;]$", word)
                                       or (word.endswith(".") and not INITIALS_RE.match(word))):
                break
            if parse_authors(body[words[n].start():match.start()].strip()):
                best = n
        if best is not None and not body[:words[best].start()].rstrip().endswith(("In", "in", "in:", "In:")):
            cuts.append(start + words[best].start())
    return cuts


def _split_keyed(text: str, start: int, end: int) -> list[int]:
    """Offsets of further keyed entries run into one paragraph ("… 12-30. [R2] Halden, J. (2009) …")."""
    body = text[start:end]
    first = KEY_RE.match(body)
    if not first:
        return []
    letters = first.group(1).replace("$", "S")
    cuts = []
    for match in re.finditer(r"(?<=[.)\]]\s)\[\s*([A-Z$]{1,2})\s?(\d{1,3})\s*\]\s", body):
        after = body[match.end():]
        if match.group(1).replace("$", "S") == letters and (_is_entry_start(after) or re.match(r"[A-Z]", after)):
            cuts.append(start + match.start())
    return cuts


def reference_sections(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading) of each reference list of a cleaned text.

    A list starts after a heading such as "References" or "Recommended reading", or is a run of
    keyed entries ([R1] …), or a run of at least three author–year entries; it ends at the first
    paragraph that is neither an entry nor a piece of the one before.
    """
    paragraphs = _paragraphs(text)
    sections: list[tuple[int, int, str]] = []
    i = 0
    while i < len(paragraphs):
        a, b = paragraphs[i]
        para = text[a:b]
        heading = ""
        if HEADING_RE.match(para.strip()) and len(para) < 80:
            heading = para.strip()
            i += 1
            while i < len(paragraphs) and HEADING_RE.match(text[paragraphs[i][0]:paragraphs[i][1]].strip()):
                heading = text[paragraphs[i][0]:paragraphs[i][1]].strip()      # "3. References to the research" / "Key outputs"
                i += 1
        elif not (KEY_RE.match(para) or (_is_entry_start(para) and _run_of_entries(text, paragraphs, i) >= 3)):
            i += 1
            continue
        first = i
        last = None
        while i < len(paragraphs):
            pa, pb = paragraphs[i]
            para = text[pa:pb]
            if _is_entry_start(para):
                last = i
                i += 1
                continue
            if last is not None and last == i - 1 and _is_continuation(text[paragraphs[last][0]:paragraphs[last][1]], para):
                last = i
                i += 1
                continue
            if KEY_RE.match(para) is None and last is not None and i + 1 < len(paragraphs) and KEY_RE.match(
                    text[paragraphs[i + 1][0]:paragraphs[i + 1][1]]) and len(para) < 100:
                sections.append((paragraphs[first][0], paragraphs[last][1], heading))   # a sub-heading inside a keyed list
                heading = para.strip()
                i += 1
                first, last = i, None
                continue
            break
        if last is not None and last >= first:
            sections.append((paragraphs[first][0], paragraphs[last][1], heading))
        if i == first:
            i += 1
    return sections


def _run_of_entries(text: str, paragraphs: list[tuple[int, int]], i: int) -> int:
    n = 0
    while i + n < len(paragraphs) and _is_entry_start(text[paragraphs[i + n][0]:paragraphs[i + n][1]]):
        n += 1
    return n


def parse_references(text: str) -> list[Reference]:
    """Every entry of every reference list in ``text``, with offsets into ``text``.

    A text with no list heading and no run of entries (a bare list pasted alone counts as a run) gives [].
    """
    out: list[Reference] = []
    for start, end, heading in reference_sections(text):
        entries: list[tuple[int, int]] = []
        for a, b in _paragraphs(text[start:end]):
            a, b = a + start, b + start
            para = text[a:b]
            if entries and not _is_entry_start(para):
                entries[-1] = (entries[-1][0], b)          # a continuation
                continue
            cuts = [a] + _split_keyed(text, a, b) + _split_run_on(text, a, b) + [b]
            cuts = sorted(set(cuts))
            for x, y in zip(cuts, cuts[1:]):
                entries.append((x, y))
        for a, b in entries:
            raw = text[a:b].rstrip()
            ref = parse_reference(raw, section=heading)
            ref.start, ref.end = a, a + len(raw)
            out.append(ref)
    return out
