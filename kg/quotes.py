"""Quote extraction stage: the verbatim quotations of a source, with speaker and role.

Entry point: :func:`find_quotes`. It finds quotations in quote marks and block quotations set
off after an introduction ("as one practitioner explained:"), tells participants' words from
quotations of published or policy texts (a citation next to them, or an author as the speaker),
and names the speaker as the document introduces them, with a normalised role.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

ROLES: list[tuple[str, str]] = [
    ("education welfare officer", r"education welfare officers?|EWOs?"),
    ("SENCO", r"SENCOs?|special educational needs co-?ordinators?"),
    ("headteacher", r"(?:primary |secondary )?head ?teachers?|heads? of (?:the )?school|school heads?"),
    ("family support worker", r"family support workers?"),
    ("care worker", r"(?:residential )?care workers?"),
    ("analyst", r"(?:lead |policy )?analysts?"),
    ("manager or senior officer", r"(?:senior |programme |service |project |operational |strategic |early intervention |team )?managers?|"
                                  r"(?:assistant )?directors?|(?:partnership )?board members?|members of (?:the )?(?:partnership )?boards?|"
                                  r"senior (?:officers?|staff|leaders?)|(?:key )?strategic stakeholders?|commissioners?|heads? of (?:service|research)|"
                                  r"(?:policy |national )?(?:officers?|leads?)|chairs?"),
    ("carer", r"(?:foster |kinship )?carers?|grand(?:parent|mother|father)s?"),
    ("parent", r"parents?|mothers?|fathers?|mums?|dads?"),
    ("child", r"child(?:ren)?|young (?:person|people)|pupils?|kids?|boys?|girls?|teenagers?"),
    ("practitioner", r"practitioners?|professionals?|(?:social|youth|support|project|key|outreach|school|health) workers?|"
                     r"workers?|teachers?|nurses?|health visitors?|staff|specialists?|service providers?|providers?|coordinators?|co-ordinators?"),
]
ROLE_RES = [(role, re.compile(r"\b(?:" + pattern + r")\b", re.I)) for role, pattern in ROLES]
ROLE_NAMES = [role for role, _ in ROLES] + ["other"]

_SPEECH = (r"explained|explains|said|says|told (?:us|me|the \w+)|tells us|commented|comments|described|describes|suggested|"
           r"noted|observed|stated|remarked|reported|added|argued|put it(?: plainly)?|recalled|reflected|admitted|insisted|"
           r"emphasi[sz]ed|summed up|wrote|spoke|responded|replied|felt|thought|agreed|claimed|acknowledged")
_SPEECH_RE = re.compile(r"\b(?:" + _SPEECH + r")\b", re.I)
_CITATION_RE = re.compile(r"\((?:[A-Z][^()]{0,80}?,?\s*)?(?:1[89]\d\d|20\d\d)[a-z]?(?:[:,]\s*(?:p+\.\s*)?\d+(?:[-–]\d+)?)?\)")
_AUTHOR_YEAR_RE = re.compile(r"\b[A-Z][a-z’'A-Z-]+(?: (?:and|&) [A-Z][a-z’'-]+| et al\.?)?,? \(?(?:1[89]\d\d|20\d\d)")
_FIRST_PERSON_RE = re.compile(r"\b(?:I|I’m|I'm|I’ve|I've|we|we’re|we're|we’ve|we've|my|our|us|me|you|your)\b")
_PAIRS = {"“": "”", '"': '"', "‘": "’", "'": "'"}


@dataclass
class Quote:
    quote_id: str
    source_id: str
    passage_id: str | None
    start: int
    end: int
    text: str
    kind: str                  # participant | literature
    speaker: str | None        # as the document introduces them: "one mother", "A Board member in another partnership"
    speaker_role: str | None   # one of ROLE_NAMES for participants
    cited: str | None          # the citation of a literature quote, as written
    page: int | None = None
    page_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _role_matches(text: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of role nouns, the longest where they overlap; names such as
    "Children’s Fund" or "Children Act" are not people."""
    found: list[tuple[int, int, str]] = []
    for role, pattern in ROLE_RES:
        for match in pattern.finditer(text):
            word = match.group(0)
            rest = text[match.end():match.end() + 20]
            if word[0].isupper() and re.match(r"(?:[’']s)? [A-Z]|[’']s [A-Z]|[’']s\b", rest) and role == "child":
                continue
            found.append((match.start(), match.end(), role))
    found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    out: list[tuple[int, int, str]] = []
    for match in found:
        if out and match[0] < out[-1][1]:
            continue
        out.append(match)
    return out


def role_of(phrase: str) -> str | None:
    """The normalised role a phrase names; its last role noun is its head
    ("one of the Education Welfare Officers" → education welfare officer)."""
    matches = _role_matches(phrase)
    return matches[-1][2] if matches else None


def roles_in(text: str) -> list[str]:
    """Every role a text (a query) names, in order of mention."""
    return list(dict.fromkeys(role for _, _, role in _role_matches(text)))


def find_quotes(text: str, source_id: str, passages: list[dict[str, Any]] | None = None,
                pages: list[dict[str, Any]] | None = None, slides: bool = False) -> list[Quote]:
    """Quotations of one source's cleaned text, in order, with offsets into that text.

    ``slides``: a deck's first-person paragraphs without quote marks ("I just think that it’s all
    useless…") are the voices it presents, and count as quotations too."""
    spans = _inline_spans(text) + _block_spans(text) + (_first_person_blocks(text) if slides else [])
    spans = _drop_nested(spans)
    quotes: list[Quote] = []
    for start, end in spans:
        body = text[start:end]
        inner = body.strip("“”\"‘’' ")
        if len(inner.split()) < 4:
            continue   # a term in quote marks, not a quotation
        before = _context_before(text, start)
        after = text[end:end + 120]
        kind, cited = _classify(before, after, inner)
        speaker = role = None
        if kind == "participant":
            earlier = text[max(0, start - 600):start - len(before)] if len(before) < start else ""
            speaker, role = _speaker(before, after, earlier)
            introduced = before.rstrip().endswith(":")
            if speaker is None and not introduced and not _FIRST_PERSON_RE.search(inner) and not _SPEECH_RE.search(before[-160:]):
                continue   # reported phrasing without a voice: not somebody's words
            role = role or "other"
        quote_id = "q-" + hashlib.sha1(f"{source_id}\x00{start}\x00{body}".encode("utf-8")).hexdigest()[:12]
        passage_id = _containing(passages, start, end)
        page, label = _page(pages, start)
        quotes.append(Quote(quote_id, source_id, passage_id, start, end, body, kind, speaker, role, cited, page, label))
    return quotes


def _inline_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char in _PAIRS and _opens(text, i):
            close = _closing(text, i, _PAIRS[char])
            if close is not None:
                spans.append((i, close + 1))
                i = close + 1
                continue
        i += 1
    return spans


def _opens(text: str, i: int) -> bool:
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in "([—–-:/…") and not after.isspace()


def _closing(text: str, i: int, closer: str) -> int | None:
    limit = min(len(text), i + 1500)
    j = i + 1
    while j < limit:
        if text[j] == closer:
            following = text[j + 1] if j + 1 < len(text) else " "
            if closer in "’'" and following.isalpha():
                j += 1      # an apostrophe inside a word: don’t, children’s
                continue
            if closer in "’'" and text[j - 1] == "s" and following == " " and text[j - 2:j].isalpha() and _apostrophe_plural(text, j):
                j += 1      # the families’ homes
                continue
            return j
        if text.startswith("\n\n\n", j):
            return None
        j += 1
    return None


def _apostrophe_plural(text: str, j: int) -> bool:
    """``s’`` followed by a noun and no closing sense (“partnerships’ strategies”)."""
    rest = text[j + 1:j + 30]
    return bool(re.match(r" [a-z]+", rest)) and not re.match(r" (?:and|but|or|he|she|they|said|says|explained|as|in|of|to|is|was)\b", rest)


def _block_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs set off as quotations: after an introduction ending in a colon with a speech verb,
    or followed by a citation on its own line."""
    spans: list[tuple[int, int]] = []
    paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text)]
    for index, (start, end) in enumerate(paragraphs):
        body = text[start:end]
        words = len(body.split())
        if words < 6 or words > 250 or body[0] in "“\"‘'":
            continue
        previous = text[paragraphs[index - 1][0]:paragraphs[index - 1][1]] if index else ""
        following = text[paragraphs[index + 1][0]:paragraphs[index + 1][1]] if index + 1 < len(paragraphs) else ""
        introduced = previous.rstrip().endswith(":") and _SPEECH_RE.search(previous[-200:]) and len(previous.split()) > 3
        cited = bool(re.fullmatch(r"\s*\([^()]*(?:1[89]\d\d|20\d\d)[^()]*\)\s*", following))
        if introduced or cited:
            spans.append((start, end))
    return spans


def _first_person_blocks(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text):
        body = match.group(0)
        singular = re.findall(r"\b(?:I|I’m|I'm|I’ve|I've|my|me)\b", body)
        if len(body.split()) >= 12 and len(singular) >= 2 and body[0] not in "“\"‘'":
            spans.append((match.start(), match.end()))
    return spans


def _drop_nested(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and span[0] < out[-1][1]:
            continue
        out.append(span)
    return out


def _context_before(text: str, start: int) -> str:
    """The text before a quotation back to the start of its sentence, or the introducing paragraph."""
    window = text[max(0, start - 400):start]
    if window.rstrip().endswith(":") or "\n\n" in window[-3:]:
        return window
    ends = list(re.finditer(r"[.!?][’”\"')]*\s", window))
    return window[ends[-1].end():] if ends else window


def _classify(before: str, after: str, inner: str) -> tuple[str, str | None]:
    citation_after = _CITATION_RE.match(after.lstrip(" .,;:")) or _CITATION_RE.match(after.lstrip())
    if citation_after:
        return "literature", citation_after.group(0)
    trailing = re.match(r"\s*\n\n\s*(\([^()]*(?:1[89]\d\d|20\d\d)[^()]*\))", after)
    if trailing:
        return "literature", trailing.group(1)
    tail = before[-200:]
    author = list(_AUTHOR_YEAR_RE.finditer(tail))
    role = role_of(tail[-120:])
    if author and not (role and tail.rfind(author[-1].group(0)) < len(tail) - 120):
        if not role or _SPEECH_RE.search(tail[tail.rfind(author[-1].group(0)):]):
            return "literature", author[-1].group(0)
    if re.search(r"\b(?:Guidance|Green Paper|Act|Bill|report|document|the Government|policy|Minister)\b", tail[-160:]) and not role:
        return "literature", None
    return "participant", None


_ANAPHOR_RE = re.compile(r"(?:^|\b)(another|she|he|one|the other)\b[^.;:]{0,80}$", re.I)


def _speaker(before: str, after: str, earlier: str = "") -> tuple[str | None, str | None]:
    """The noun phrase that introduces the speaker and its role: the subject of a speech verb
    before the quotation; a pronoun subject ("Another described…", "She told us…") takes the role
    of the person the sentence before introduced; else a role named in the sentence, or after the
    quotation (“…”, said one parent)."""
    tail = before[-220:].rstrip()
    for verb in reversed(list(_SPEECH_RE.finditer(tail))):
        clause = re.split(r"[.;!?]\s|\n", tail[:verb.start()])[-1]
        phrase = _role_phrase(clause)
        if phrase:
            return phrase, role_of(phrase)
        anaphor = _ANAPHOR_RE.search(clause)
        if anaphor and earlier:
            antecedent = _role_phrase(re.split(r"(?<=[.!?])\s", earlier.rstrip())[-1])
            if antecedent:
                return clause[anaphor.start():].strip(" ,") or anaphor.group(1), role_of(antecedent)
    phrase = _role_phrase(re.split(r"[.;!?]\s|\n", tail)[-1])
    if not phrase:
        post = re.match(r"[’”\"']?[,.]?\s*(?:" + _SPEECH + r")\s+([^.;:\n]{3,80})", after.lstrip("’”\"' ,"), re.I)
        phrase = _role_phrase(post.group(1)) if post else None
    return (phrase, role_of(phrase)) if phrase else (None, None)




_DETERMINER_RE = re.compile(r"\b(?:one|two|some|several|many|a|an|another|the|this|that|these|those|each|most|all)\b(?: of (?:the|our|their))?", re.I)


def _role_phrase(clause: str) -> str | None:
    """The last determiner + role noun group in a clause ("one of the Education Welfare Officers interviewed")."""
    matches = _role_matches(clause)
    if not matches:
        return None
    role_start, role_end, _ = matches[-1]
    head = clause[max(0, role_start - 40):role_start]
    determiners = [m for m in _DETERMINER_RE.finditer(head) if not re.search(r"[,;:]", head[m.end():])]
    start = role_start - len(head) + determiners[-1].start() if determiners else role_start
    best_end = role_end
    end = best_end
    trailer = re.match(r"(?: (?:interviewed|we spoke to|in (?:another|one|the) [a-z]+(?: [a-z]+)?|from [A-Z]?[a-z]+(?: [a-z]+)?))", clause[end:])
    if trailer:
        end += trailer.end()
    return clause[start:end].strip(" ,") or None


def _containing(passages: list[dict[str, Any]] | None, start: int, end: int) -> str | None:
    if not passages:
        return None
    for passage in passages:
        if passage["start"] <= start < passage["end"]:
            return passage["passage_id"]
    return None


def _page(pages: list[dict[str, Any]] | None, offset: int) -> tuple[int | None, str | None]:
    for page in pages or []:
        if page["start"] <= offset < page["end"]:
            return page["number"], page.get("label")
    return None, None


# --- citing and verifying ---------------------------------------------------------------------

def author_short(source: dict[str, Any]) -> str:
    """"Jopling and Vincent", "Edwards et al.", a corporate author, or the title when no author is known."""
    names = [a.split(",")[0].strip() if "," in a else a.strip() for a in source.get("authors") or []]
    if not names:
        title = (source.get("title") or source.get("id") or "").strip()
        return title if len(title) <= 80 else title[:77] + "…"
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def harvard_citation(quote: dict[str, Any], source: dict[str, Any]) -> str:
    """A ready in-text citation: "parent, quoted in Jopling and Vincent, 2020, p. 4"."""
    where = f"{author_short(source)}, {source.get('year') or 'n.d.'}"
    page = quote.get("page_label") or quote.get("page")
    if page:
        where += f", p. {page}"
    if quote.get("kind") == "participant":
        return f"{quote.get('speaker_role') or 'participant'}, quoted in {where}"
    if quote.get("cited"):
        return f"{quote['cited'].strip('()')}, quoted in {where}"
    return where


def verify(quote: dict[str, Any], document_text: str) -> bool:
    """Does the source text still hold exactly these characters at this place? Never re-attached elsewhere."""
    start, end = quote.get("start"), quote.get("end")
    return isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(document_text) \
        and document_text[start:end] == quote.get("text")
