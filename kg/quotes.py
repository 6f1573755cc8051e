"""Quote extraction stage: the verbatim quotations of a source, with speaker and role.

Entry point: :func:`find_quotes`. It finds quotations in quote marks, block quotations set off
after an introduction ("as one practitioner explained:", "…as this extract from a carer
illustrates."), including blocks that PDF reflow ran into the surrounding paragraph, and the
first-person voices a slide deck presents. It tells participants' words from quotations of
published or policy texts (a citation next to them, a cited author or a policy document as the
source), and names the speaker as the document introduces them, with a normalised role.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .years import YEAR_DIGITS

ROLES: list[tuple[str, str]] = [
    # "welfare officer" alone is the same job in schools' usage (not a manager, as "officer" alone is taken)
    ("education welfare officer", r"(?:education |school )?welfare officers?|EWOs?"),
    ("SENCO", r"SENCOs?|special educational needs co-?ordinators?"),
    ("headteacher", r"(?:primary |secondary )?head ?teachers?|heads? of (?:the )?school|school heads?"),
    # "family worker" is the same frontline job in UK children's services (the Children's Fund's own term)
    ("family support worker", r"family (?:support )?workers?"),
    ("care worker", r"(?:residential )?care workers?"),
    ("analyst", r"(?:lead |policy )?analysts?"),
    ("manager or senior officer", r"(?:senior |programme |service |project |operational |strategic |early intervention |team )?managers?|"
                                  r"(?:assistant )?directors?|(?:partnership )?board members?|members of (?:the )?(?:partnership )?boards?|"
                                  r"partnership boards?|steering groups?|(?:strategic|steering) group members?|strategic partners?|"
                                  r"senior (?:officers?|staff|leaders?)|(?:key )?(?:strategic )?stakeholders?|commissioners?|heads? of (?:service|research)|"
                                  r"(?:policy |national )?(?:officers?|leads?)|chairs?"),
    ("carer", r"(?:foster |kinship )?carers?|grand(?:parent|mother|father)s?"),
    # a "service user" may be a parent, a young person or another member of a family using a service:
    # the text does not say which, so the role keeps the document's word
    ("service user", r"service users?|users? of (?:the |our |their )?services?"),
    ("parent", r"parents?|mothers?|fathers?|mums?|dads?"),
    ("child", r"child(?:ren)?|young (?:person|people)|pupils?|kids?|boys?|girls?|teenagers?"),
    # frontline officers and the other frontline jobs, before "officer" alone is taken for a manager
    ("practitioner", r"(?:police|probation|attendance|youth offending|youth justice|family liaison|child protection|participation|"
                     r"inclusion|housing) officers?|teaching assistants?|learning mentors?|(?:educational |clinical |child )?psychologists?|"
                     r"GPs?|doctors?|(?:speech and language |play |family )?therapists?|counsell?ors?|"
                     r"practitioners?|professionals?|(?:social|youth|support|project|key|outreach|school|health|community development) workers?|"
                     r"workers?|teachers?|nurses?|health visitors?|staff|specialists?|service providers?|providers?|coordinators?|co-ordinators?"),
]
# a space between a role's words may be a hyphen too ("head-teacher", "social-worker")
ROLE_RES = [(role, re.compile(r"\b(?:" + pattern.replace(" ", r"[ \-‐‑]") + r")\b", re.I)) for role, pattern in ROLES]
ROLE_NAMES = [role for role, _ in ROLES] + ["other"]
# frontline roles named apart that are practitioners too: asking to hear practitioners includes them
NARROWER_ROLES = {"practitioner": ("education welfare officer", "SENCO", "family support worker", "care worker")}


def with_narrower_roles(roles: list[str]) -> set[str]:
    """The roles a query asking for ``roles`` is answered by: each, and the roles filed under it."""
    return {narrower for role in roles for narrower in (role, *NARROWER_ROLES.get(role, ()))}

# Verbs of speaking, one lexicon for reading texts and queries. Each entry: the verb; the forms by which a
# text reports someone's words ("-" the verb itself, "s", "ed", "ing", or a form written out: "said");
# whether "<speaker> <verb>ing …" opening a query asks for that speaker's words ("practitioner describing …").
# A text's bare "report", "note" or "state" is more often a noun, so only some forms report speech.
_SPEAKING_VERBS: list[tuple[str, str, bool]] = [
    ("explain", "- s ed ing", True), ("say", "- s ing said", True), ("tell", "- s ing told", True),
    ("describe", "- s ed ing", True), ("comment", "- s ed ing", False), ("suggest", "- s ed ing", True),
    ("note", "s ed", True), ("observe", "- s ed ing", False), ("state", "s ed", False), ("remark", "- s ed", False),
    ("report", "s ed", True), ("add", "added", False), ("argue", "- s ed ing", True), ("recall", "- s ed", True),
    ("reflect", "s ed", True), ("admit", "- s admitted", True), ("insist", "- s ed", True),
    ("emphasise", "- s ed ing", True), ("emphasize", "- s ed ing", True), ("stress", "s ed", True),
    ("highlight", "s ed", False), ("write", "writes wrote", False), ("speak", "- s ing spoke spoken", True),
    ("respond", "s ed", False), ("reply", "- s ed", False), ("feel", "felt", False), ("think", "thought", False),
    ("agree", "s ed", True), ("claim", "s ed", True), ("acknowledge", "- s ed ing", True), ("ask", "s ed", False),
    ("outline", "s ed", False), ("attest", "s ed", False), ("indicate", "s ed", False), ("express", "s ed", True),
    ("perceive", "s ed", False), ("encourage", "s ed", False), ("believe", "s ed", False), ("mention", "s ed", False),
    ("complain", "s ed", True), ("warn", "s ed", True),
    # verbs a query credits a speaker with, which texts were not read for
    ("praise", "", True), ("compare", "", True), ("talk", "", True), ("doubt", "", True), ("criticise", "", True),
    ("criticize", "", True), ("welcome", "", True), ("question", "", True), ("recount", "", True), ("voice", "", True),
    ("worry", "", True), ("celebrate", "", True), ("remember", "", True), ("confess", "", True),
    ("disagree", "", True), ("object", "", True), ("lament", "", True), ("regret", "", True), ("thank", "", True),
]
# the "-ing" forms English spells with a doubled consonant, which no rule here derives
_DOUBLED_ING = {"admit": "admitting", "regret": "regretting"}


def verb_form(verb: str, ending: str) -> str:
    """A regular form of a verb: "-" the verb, "s", "ed" or "ing", as English spells it ("argue" →
    argued, arguing; "reply" → replies, replied; "stress" → stresses; "agree" → agreeing)."""
    consonant_y = re.search(r"[^aeiou]y$", verb)
    if ending == "-":
        return verb
    if ending == "s":
        return verb[:-1] + "ies" if consonant_y else verb + ("es" if verb.endswith(("s", "sh", "ch", "x", "z")) else "s")
    if ending == "ed":
        return verb[:-1] + "ied" if consonant_y else verb + ("d" if verb.endswith("e") else "ed")
    if ending == "ing":
        return _DOUBLED_ING.get(verb) or (verb[:-1] if verb.endswith("e") and not verb.endswith("ee") else verb) + "ing"
    raise ValueError(f"unknown verb ending {ending!r}")


def _alternation(forms: list[str]) -> str:
    return "|".join(re.escape(form) for form in sorted(set(forms), key=lambda form: (-len(form), form)))


# verbs that report what somebody said or thought, in any tense, and two phrases that do
_SPEECH = _alternation([verb_form(verb, form) if form in ("-", "s", "ed", "ing") else form
                        for verb, forms, _ in _SPEAKING_VERBS for form in forms.split()]) + r"|put it(?: plainly)?|summ(?:ed|ing) up"
# the "-ing" forms that, after a speaker, open a query for their words
SPEAKING_ING = _alternation([verb_form(verb, "ing") for verb, _, credits in _SPEAKING_VERBS if credits])
_SPEECH_RE = re.compile(r"\b(?:" + _SPEECH + r")\b", re.I)
def reports_speech(text: str) -> bool:
    """Whether ``text`` holds a verb reporting what somebody said or thought ("explained", "told us", "put it")."""
    return bool(_SPEECH_RE.search(text))


# what sets off a block quotation introduced in running text
_INTRO_RE = re.compile(r"\b(?:" + _SPEECH + r")\b|\bextracts? from\b|\b(?:that|as) follows?\b|"
                       r"\b(?:typical|illustrative) (?:response|comment|quotation)\b|\bone such\b", re.I)
_CITATION_RE = re.compile(r"\((?:[A-Z][^()]{0,80}?,?\s*)?(?:1[89]\d\d|20\d\d)[a-z]?(?:[:,]\s*(?:p+\.\s*)?\d+(?:[-–]\d+)?)?\)|\(p+\.\s*\d+\)")
_AUTHOR_YEAR_RE = re.compile(r"\b[A-Z][a-z’'A-Z-]+(?: (?:and|&) [A-Z][a-z’'-]+| et al\.?)?,? \(?(?:1[89]\d\d|20\d\d)[a-z]?"
                             r"(?:(?:[:,]\s*|\s+)(?:p+\.\s*)?\d+(?:[-–]\d+)?)?\)?")
_POLICY_RE = re.compile(r"\b(?:Guidance|Green Paper|White Paper|Act|Bill|report|document|the Government|policy|Minister|"
                        r"definition|defines|Plan|aim(?:s|ed)?|objectives?|framework|legislation|consultation)\b")
# the register of speech: first and second person, contractions, a trailing-off ellipsis
_VOICE_RE = re.compile(r"\b(?:I|I’m|I'm|I’ve|I've|I’d|I'd|I’ll|I'll|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself|[Yy]ou|[Yy]our|[Yy]ourself|[Yy]ou’re|[Yy]ou're)\b|"
                       r"\w(?:n[’']t)\b|\b(?:[Ii]t|[Tt]hat|[Tt]here|[Ww]hat|[Hh]e|[Ss]he|[Tt]hey|[Ww]e|[Ll]et|[Hh]ere)[’'](?:s|re|ll|ve|d)\b|"
                       r"\bOK\b|\b[Rr]eally\b|^\W*(?:…|\.\.\.)", re.M)
_WORK_TALK_RE = re.compile(r"\b(?:my (?:job|work|role|caseload|manager|colleagues)|the team|our team|(?:review|my) cases|caseloads?|"
                           r"meetings|paperwork|targets|families I work with|service users)\b", re.I)
_SINGULAR_RE = re.compile(r"\b(?:I|I’m|I'm|I’ve|I've|I’d|I'd|me|my|myself)\b")
_PLURAL_RE = re.compile(r"\b(?:we|we’re|we're|we’ve|we've|our|us)\b", re.I)
_CONNECTIVE_RE = re.compile(r"(?:However|Nonetheless|Nevertheless|Firstly|Secondly|Thirdly|Finally|Moreover|Furthermore|"
                            r"In (?:those|these|this|summary|addition|contrast|brief)|Thus|Therefore|Consequently|Indeed|"
                            r"While|Whilst|When|Although|Where)\b")
_ANAPHOR_RE = re.compile(r"\b(another|others|she|he|they|one|the other)\b(?:\s+(?:also|then|later|further|again|similarly|too))?\s*$", re.I)
# how a document introduces the words of a text it quotes: "the report finds that:", "calls for"
_QUOTING_RE = re.compile(r"\b(?:finds?|found|calls? for|defin\w*|states?|stated|reads?|puts? it|writes?|wrote|notes?|concludes?)\b")
_PAIRS = {"“": "”", '"': '"', "‘": "’", "'": "'"}
_OPENERS = "“\"‘'"


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
    introduction: str | None = None   # the words that introduce it ("as one practitioner explained:")
    study: str | None = None          # the study the document reports it from, when it makes that clear
    passage_ids: list[str] = field(default_factory=list)    # every passage it runs through, its own first
    cited_page: str | None = None     # the cited work's page, as a block quotation gives it after its words: "(p. 18)."
    # first-person words the source presents without saying whose they are (a deck's "I just think that
    # it's all useless…"): the role is read from the words, and a citation must not say "quoted"
    unattributed: bool = False
    # the quote_id of an earlier quotation of the same source whose words this one repeats, whole or
    # abridged ("To repeat some of what the participation specialist told us ‘it’s …about having a voice…’")
    repeats: str | None = None

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
    """The normalised role a phrase names; its head role noun decides ("one of the Education
    Welfare Officers" → education welfare officer, "a mother of two children" → parent)."""
    matches = _heads(phrase)
    return matches[-1][2] if matches else None


def roles_in(text: str) -> list[str]:
    """Every role a text (a query) names, in order of mention."""
    return list(dict.fromkeys(role for _, _, role in _role_matches(text)))


def _heads(clause: str) -> list[tuple[int, int, str]]:
    """Role nouns that can head a speaker phrase: not a possessor ("children’s participation")
    and not the complement of an earlier role ("a mother of two children"); role nouns joined by
    "and"/"or" are one head with the first one's role ("parents and carers" → parent)."""
    matches = _role_matches(clause)
    out: list[tuple[int, int, str]] = []
    for index, (start, end, role) in enumerate(matches):
        if index and out and out[-1][1] == matches[index - 1][1] and re.fullmatch(r",? (?:and|or|&) | ?/ ?", clause[out[-1][1]:start]):
            out[-1] = (out[-1][0], end, out[-1][2])     # "parents and carers": one group, named by its first role
            continue
        if re.match(r"[’']s?\s+[a-z]", clause[end:end + 4]) and len(matches) > 1:
            continue
        if index and re.search(r"\b(?:of|for|with|to|about)\s+(?:\w+\s+){0,3}$", clause[matches[index - 1][1]:start]) \
                and start - matches[index - 1][1] < 40:
            continue
        out.append((start, end, role))
    return out


def find_quotes(text: str, source_id: str, passages: list[dict[str, Any]] | None = None,
                pages: list[dict[str, Any]] | None = None, slides: bool = False,
                studies: list[str] | None = None, terms: set[str] | None = None) -> list[Quote]:
    """Quotations of one source's cleaned text, in order, with offsets into that text.

    ``slides``: a deck's first-person paragraphs without quote marks ("I just think that it’s all
    useless…") are the voices it presents, and count as quotations too. ``studies``: the studies the
    source reports; a participant quote belongs to the one named last before it (or the only one).
    ``terms``: names of ideas (the concept scheme's labels, case-folded): a name in quote marks
    ("the ‘social situation of development’") is a term, not a quotation."""
    inline = _inline_spans(text)
    masked = _mask(text, inline)
    authors = _cited_authors(text)
    blocks = _block_spans(text, masked)
    voices = _first_person_blocks(text) if slides else []
    spans = _drop_nested(inline + [(s, e) for s, e, _ in blocks] + voices)
    voices_set = set(voices)
    block_kind = {(s, e): how for s, e, how in blocks}
    quotes: list[Quote] = []
    told: Counter = Counter()     # how often each quotation's words came before: the id's occurrence number
    for start, end in spans:
        body = text[start:end]
        inner = body.strip("“”\"‘’' ")
        standalone = _paragraph_start(text, start) == start and _paragraph_end(text, end) <= end + 2
        if len(inner.split()) < 4 and not (standalone and len(inner.split()) >= 3):
            continue   # a term in quote marks, not a quotation
        how = block_kind.get((start, end))
        if how is None and (_title_case(inner) or _named_term(inner, text[max(0, start - 60):start], terms)):
            continue   # a title ("the recent NECF report: ‘Collaboration for the Social Inclusion of …’") or a term
        locator = _TRAILING_LOCATOR_RE.search(body) if how else None
        beyond = end        # where the text goes on after the quotation (and its page reference)
        if locator:     # "… no single definition can be counted on as definitive. (p. 18).": the page, not their words
            end = start + locator.start()
            body = text[start:end]
            inner = body.strip("“”\"‘’' ")
        intro, introduced, previous = _introduction(text, masked, start, inline)
        after = text[beyond:beyond + 160]
        kind, cited, speaker, role = _classify(intro, introduced, previous, after, masked[beyond:beyond + 300], inner, authors,
                                               how, standalone)
        if kind is None:
            continue
        if kind == "literature" and not cited and how is None:
            # a quotation within a sentence, no work named before or right after it: the citation closing
            # its sentence is the sentence's source ("it ‘improves our knowledge base’ for … children [C10].")
            cited = _closing_citation(after)
        cited_page = locator.group("page") if locator and kind == "literature" else None
        cited = _with_page(cited, cited_page) if cited_page else cited
        if kind == "literature" and cited and not re.search(r"\d", cited) and not _is_body(cited):
            # an author named without a year ("As Jack observes, … He observes that"): as the text cited them last;
            # not a body ("the DfES"), which speaks in many documents
            earlier = [m.group(0) for m in _AUTHOR_YEAR_RE.finditer(text, 0, start) if m.group(0).startswith(cited)]
            cited = _balanced(earlier[-1]) if earlier else cited
        # the id is the words and which telling of them this is, not their offset: an edit elsewhere in the
        # document (a typo fixed on page 1, then ckg add --replace) leaves a saved quote's id as it was
        told[body] += 1
        quote_id = "q-" + hashlib.sha1(f"{source_id}\x00{body}\x00{told[body]}".encode("utf-8", "surrogatepass")).hexdigest()[:12]
        passage_id = _containing(passages, start, end)
        page, label = _page(pages, start)
        lead = " ".join(_lead_in(text, start, intro).split())
        study = _study(text, start, studies) if kind == "participant" else None
        quotes.append(Quote(quote_id, source_id, passage_id, start, end, body, kind, speaker, role, cited, page, label,
                            lead[-_INTRODUCTION_REACH:] or None, study,
                            list(dict.fromkeys(([passage_id] if passage_id else []) + _overlapping(passages, start, end))),
                            cited_page, kind == "participant" and (start, end) in voices_set and not how))
    previous: Quote | None = None
    for quote in quotes:
        if quote.kind == "participant":
            earlier = _repeated_from(quote, quotes)
            if earlier is not None:
                quote.repeats = earlier.repeats or earlier.quote_id
            if earlier is not None and earlier.study:
                quote.study = earlier.study     # the same words quoted again come from the same study
            elif quote.study is None and previous is not None and _goes_on(text, previous, quote, studies or []):
                quote.study = previous.study
            previous = quote
    return quotes


# a page reference closing a block quotation: "… counted on as definitive. (p. 18)."
_TRAILING_LOCATOR_RE = re.compile(r"(?<=[.!?…’”\"'])\s*\((?:p+\.\s*)?(?P<page>\d+(?:[-–]\d+)?)\)\.?\s*$")
_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with"}
# how a text names an idea rather than quoting words: "often referred to as ‘…’", "the notion of ‘…’"
_NAMING_RE = re.compile(r"\b(?:referred to as|known as|termed|so-called|the (?:notion|concept|idea|term|phrase|label) of)\s*$", re.I)


def _title_case(inner: str) -> bool:
    """Words in quote marks that are a title ("Collaboration for the Social Inclusion of Children and
    Young People"): three or more words, every one but the small words capitalised, no full stop."""
    words = re.findall(r"[A-Za-z][\w’'-]*", inner)
    if len(words) < 3 or re.search(r"[.!?;]\s", inner) or inner.rstrip().endswith((".", "?", "!")):
        return False
    return words[0][0].isupper() and all(w[0].isupper() for w in words if w.lower() not in _SMALL_WORDS)


def _named_term(inner: str, before: str, terms: set[str] | None) -> bool:
    """Words in quote marks that name an idea: one of the scheme's names, or introduced as a name
    ("often referred to as ‘third generation activity theory’")."""
    folded = " ".join(inner.casefold().split())
    return bool(terms and folded in terms) or (len(folded.split()) <= 6 and bool(_NAMING_RE.search(before)))


def _with_page(cited: str | None, page: str) -> str | None:
    """The citation with the page a block quotation gave after it: "Dartington Social Research Unit
    (2004)" → "Dartington Social Research Unit (2004: 18)"; one naming its page already stays."""
    if not cited or not cited.endswith(")") or re.search(r"(?:[:,]\s*|p+\.\s*)\d+\)$", cited):
        return cited
    return cited[:-1] + f": {page})"


def _goes_on(text: str, previous: Quote, quote: Quote, studies: list[str]) -> bool:
    """Whether ``quote`` is the same speaker going on from ``previous`` ("One of the headteachers …:
    ‘…’" then "She also emphasised that ‘…’"): the same role, in the same or the next paragraph, no
    study named between. Then it comes from the same study."""
    between = text[previous.end:quote.start]
    return (bool(previous.study) and previous.speaker_role is not None and previous.speaker_role == quote.speaker_role
            and between.count("\n\n") <= 1 and not any(_names_study(between, study) for study in studies))


def _quote_words(text: str) -> str:
    return " ".join(re.sub(r"[“”\"‘’']", "'", text).lower().split())


def _repeated_from(quote: Quote, quotes: list[Quote]) -> Quote | None:
    """An earlier participant quotation whose words this one repeats ("To repeat some of what the
    participation specialist told us ‘it’s …about having a voice …’"): every piece between its
    ellipses is in the earlier one, and the pieces hold at least eight words."""
    pieces = [piece.strip(" ,;:.'") for piece in re.split(r"…|\.\.\.|\[[^\]]*\]", _quote_words(quote.text).strip("' "))]
    pieces = [piece for piece in pieces if piece]
    if sum(len(piece.split()) for piece in pieces) < 8:
        return None
    for earlier in quotes:
        if earlier.start >= quote.start:
            break
        words = _quote_words(earlier.text)
        if earlier.kind == "participant" and all(piece in words for piece in pieces):
            return earlier
    return None


def _study(text: str, start: int, studies: list[str] | None) -> str | None:
    """The one study named before a quotation in its paragraph, else in it and the one before (none
    when several are named: the document does not make it clear); else the study the quotation's
    section names as its evidence base ("Here we draw on evidence gathered during NECF", "In the LIW
    study we…"); else the source's only study. A study named in a passing comparison ("children, like
    the practitioners we are working with in LIW, …") is not where the quotation comes from."""
    if not studies:
        return None
    paragraph = _paragraph_start(text, start)
    gap = text.rfind("\n\n", 0, paragraph)
    for window in (text[paragraph:start], text[_paragraph_start(text, gap) if gap > 0 else 0:start]):
        named = [study for study in studies if _names_study(window, study)]
        if len(named) == 1:
            return named[0]
        if named:
            return studies[0] if len(studies) == 1 else None
    section = _section_start(text, start)
    if section is not None:
        opening = text[section:_paragraph_end(text, section)]
        based = [study for study in studies if any(_EVIDENCE_RE.search(opening[a:b]) and _names_study(opening[a:b], study)
                                                   for a, b in _sentences(opening))]
        if len(based) == 1:
            return based[0]
    return studies[0] if len(studies) == 1 else None


# what a section says it reports: "evidence gathered during NECF", "In the LIW study we", "data from…"
_EVIDENCE_RE = re.compile(r"\b(?:evidence|data|findings|fieldwork|interview(?:s|ed)?|surveys?|draw(?:s|n|ing)?\b(?: \w+)? on|"
                          r"stud(?:y|ies)|project|evaluation)\b", re.I)
# a study named in a comparison, not as the source: "like the practitioners we are working with in LIW"
_COMPARISON_RE = re.compile(r"\b(?:(?<!would )(?<!’d )(?<!'d )like|unlike|as with|as in|similar(?:ly)? to|compared (?:with|to)|than)\b[^.;:,()]*$", re.I)


def _names_study(window: str, study: str) -> bool:
    """Does ``window`` name ``study`` other than in a passing comparison?"""
    for match in re.finditer(r"(?<![\w-])" + re.escape(study) + r"(?![\w-])", window):
        if not _COMPARISON_RE.search(window[max(0, match.start() - 120):match.start()]):
            return True
    return False


def _section_start(text: str, offset: int) -> int | None:
    """The start of the first paragraph under the last heading before ``offset``: a heading is a short
    paragraph (at most 12 words) that does not end as a sentence does ("Participation as a Route to Prevention")."""
    cursor = offset
    while True:
        gap = text.rfind("\n\n", 0, cursor)
        if gap < 0:
            return None
        begin = _paragraph_start(text, gap)
        block = text[begin:gap].strip()
        if begin < gap and 0 < len(block.split()) <= 12 and re.match(r"[A-Z0-9]", block) and not re.search(r"[.!?:;,…’”\"')]$", block):
            after = gap + 2
            while after < len(text) and text[after].isspace():
                after += 1
            return after
        cursor = begin if begin < gap else gap
        if cursor <= 0:
            return None


def _lead_in(text: str, start: int, intro: str) -> str:
    """The introducing sentence as written (quotations inside it kept): the masked ``intro`` has the
    same length as the text it was cut from, just before ``start`` or before the paragraph break."""
    if not intro.strip():
        return ""
    end = start if _paragraph_start(text, start) != start else text.rfind("\n\n", 0, start)
    end = len(text[:end].rstrip()) if end >= 0 else 0
    stripped = intro.rstrip()
    return text[max(0, end - len(stripped)):end]


def speaker_roles_in(query: str) -> list[str]:
    """Roles a query asks to hear from, as speakers ("headteacher quote on…", "what a mother said
    about…", "quotes from a weary social worker", "pupils' own words"), not roles it is about
    ("quote that a shy pupil settled in")."""
    return list(dict.fromkeys(role for _, role in speakers_in(query)))


def speakers_in(query: str) -> list[tuple[str, str]]:
    """(words, role) of each speaker a query asks to hear from, as :func:`speaker_roles_in` reads them:
    ("police officers", "practitioner") for "quotes from police officers"."""
    speakers = []
    for start, end, role in _role_matches(query):
        before, after = query[:start], query[end:]
        leading = len(before.split()) <= 2 and not re.search(r"\b(?:about|on|that|of|for|with|to|how|why)\b", before, re.I)
        speaking = re.match(r"[’'s]*\s*(?:own\s+)?(?:quotes?|quotations?|words|voices?|testimonials?|comments?|views?|said|says|saying|"
                            r"told|tells|explain\w*|describ\w*|talk\w*|reflect\w*|on|about|feel\w*|thought|thinks?)\b", after, re.I)
        named = re.search(r"\b(?:quotes?|quotations?|words|testimonials?|comments?|voices?|views?)\s+(?:from|by|of)\s+(?:an?\s+|the\s+|one\s+)?"
                          r"(?:[\w’'-]+\s+){0,3}$|\bwhat\s+(?:an?\s+|the\s+|one\s+)?(?:[\w’'-]+\s+){0,2}$", before, re.I)
        said = re.match(r"\s+(?:say|said|says|think|thought|thinks|feel|felt|feels|tell|told)\b", after, re.I) and re.search(r"\bwhat\b", before, re.I)
        if re.match(r"[’']s?\s+\w", after) and not speaking:
            continue        # a possessor ("what children's services need"), not a speaker ("pupils' own words")
        if (leading and speaking) or named or said:
            speakers.append((query[start:end], role))
    return speakers


def role_words_in(text: str) -> list[tuple[str, str]]:
    """(words, role) of every role a text names, in order of mention."""
    return [(text[start:end], role) for start, end, role in _role_matches(text)]


# Roles that gather many jobs under one name: a query naming one of those jobs ("police officers",
# "GP", "directors") is answered by the role's other speakers, and the finder says so when no
# quote's speaker is that job. The words that name such a role in general need no saying.
_GATHERING_ROLES = {"practitioner", "manager or senior officer", "carer", "parent", "child"}
_GENERAL_SPEAKER_RE = re.compile(
    r"(?:front[ -]?line )?(?:practitioners?|professionals?|workers?|staff|(?:service )?providers?|parents?|"
    r"child(?:ren)?|young (?:people|persons?)|kids?|pupils?|managers?|carers?|families|family members?)", re.I)


def not_quoted_message(missing: list[tuple[str, str]]) -> str:
    """What the finder says of speakers the library never quotes: "The library quotes no “police officers”:
    the quotes shown are from other speakers filed as practitioner."."""
    named = " or ".join(f"“{words}”" for words, _ in missing)
    roles = " or ".join(dict.fromkeys(role for _, role in missing))
    return f"The library quotes no {named}: the quotes shown are from other speakers filed as {roles}."


def speakers_not_quoted(speakers: list[tuple[str, str]], quotes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (words, role) of ``speakers`` naming a job no quote's speaker is (a query's "police
    officers" where the library quotes no police officer); general names of a role never count."""
    def squashed(words: str) -> str:
        return re.sub(r"[^a-z]", "", words.casefold())

    missing = []
    for words, role in speakers:
        if role not in _GATHERING_ROLES or _GENERAL_SPEAKER_RE.fullmatch(words.strip()):
            continue
        wanted = squashed(words)
        wanted = wanted[:-1] if wanted.endswith("s") and len(wanted) > 3 else wanted
        heard = with_narrower_roles([role])
        if not any(wanted in squashed(q.get("speaker") or "") for q in quotes if q.get("speaker_role") in heard):
            missing.append((words, role))
    return missing


def _classify(intro: str, introduced: bool, previous: str, after: str, after_masked: str, inner: str,
              authors: set[str], block: str | None, standalone: bool = False) -> tuple[str | None, str | None, str | None, str | None]:
    """(kind, citation, speaker, role); kind None when the marks hold no one's words (a term, a title)."""
    # an editorial remark in brackets may stand between the quotation and its citation: "… (their emphasis) (Moran and Ghate, 2005)"
    after = re.sub(r"^([’”\"'\s.,;:]*)\([^()\d]{0,30}\b(?:emphasis|italics|sic|original)\b[^()\d]{0,30}\)", r"\1", after)
    described = _DESCRIBED_BY_RE.search(intro)
    if described and not _role_matches(described.group("who")):
        # "described by the DfES as ‘…’. (Edwards et al, 2006)": the words are the DfES's; the citation
        # after the sentence is the author's source for the whole sentence
        return "literature", described.group("who"), None, None
    citation_after = _CITATION_RE.match(after.lstrip(" .,;:’”\"'")) or _CITATION_RE.match(after.lstrip())
    if citation_after:
        return "literature", _with_named_source(citation_after.group(0), intro, authors), None, None
    trailing = re.match(r"[’”\"']?\s*\n\n\s*(\([^()]*(?:1[89]\d\d|20\d\d)[^()]*\))", after)
    if trailing:
        return "literature", _with_named_source(trailing.group(1), intro, authors), None, None
    speaker, role, how = _speaker(intro, previous, after_masked, inner, authors)
    if how == "author":     # the author as the sentence cites them: "Powell and Glendinning (2002 p. 3)", not "Powell"
        cited = next((m.group(0) for m in _AUTHOR_YEAR_RE.finditer(intro) if speaker and m.group(0).startswith(speaker)), speaker)
        return "literature", _balanced(cited), None, None
    voiced = bool(_VOICE_RE.search(inner)) or bool(_PLURAL_RE.search(inner))
    if how not in ("verb", "anaphor", "after", "self") and not _VOICE_RE.search(inner) and _POLICY_RE.search(intro):
        # the document the sentence names as its subject, when it names one: "The Children’s Fund Guidance
        # likens … to a game … in which the role of preventative services is “…”"
        # (a sentence that dates the text, "The Green Paper, Every Child Matters (2003), calls for …:", is
        # left to the citation finder, which credits the work itself)
        sentence = _sentence_of(intro)
        dated = re.search(r"\b(?:1[89]|20)\d\d\b", sentence)
        named = None if dated else _POLICY_SUBJECT_RE.match(sentence)
        if named or dated or not _PLURAL_RE.search(inner):
            return "literature", named.group("title") if named else None, None, None
        # no document named or dated, and the words speak as "we" ("one of the aims of the project has been
        # to integrate these children ‘into the new society… we have different habits’"): someone's voice
    author = _AUTHOR_YEAR_RE.search(intro) or _names_author(intro, authors)
    if author and how not in ("verb", "anaphor", "after", "self") and not _SINGULAR_RE.search(inner):
        return "literature", _balanced(author if isinstance(author, str) else author.group(0)), None, None
    spoken = introduced or block is not None or bool(_SPEECH_RE.search(intro)) or voiced or how in ("verb", "anaphor", "after")
    if not spoken:
        return None, None, None, None
    if not introduced and block is None and not voiced and len(inner.split()) < 7 and not standalone:
        return None, None, None, None   # a short phrase reported in the author's sentence ("asked to ‘punch above its weight’")
    if role is None and _SINGULAR_RE.search(inner) and _WORK_TALK_RE.search(inner):
        role = "practitioner"     # an unintroduced voice telling of its own job, team and caseload
    return "participant", None, speaker, role or "other"


# words a text gives as a named body's or person's own: "described by the DfES as", "defined by Ofsted as"
_DESCRIBED_BY_RE = re.compile(r"\b(?:described|defined|characteri[sz]ed|portrayed|presented|framed|summari[sz]ed|seen|called) "
                              r"by (?:the )?(?P<who>[A-Z][\w’'&.-]*(?:\s+(?:of|for|and|&)?\s*[A-Z][\w’'&.-]*)*) as\b[^.;:!?]*$")


# a policy text by its name, opening its sentence: "The Children’s Fund Guidance", "The Green Paper Every
# Child Matters", "The Children Act 2004"
_POLICY_SUBJECT_RE = re.compile(
    r"\s*(?:The\s+)?(?P<title>(?:[A-Z][\w’'-]*\s+){0,6}?(?:Guidance|Green\s+Paper|White\s+Paper|Act(?:\s+(?:1[89]|20)\d\d)?"
    r"|Bill|Plan|Framework|Strategy))\b(?!\s+[A-Z])")


# a citation closing a sentence: a keyed one ("[C10]", "[R3, 4]") or an author–year one in brackets
_CLOSING_CITATION_RE = re.compile(r"(?P<cited>\[[A-Z]{1,2}\d{1,3}(?:\s*[,;–-]\s*(?:[A-Z]{1,2})?\d{1,3})*\]"
                                  r"|\((?:[A-Z][^()]{0,80}?,?\s*)?(?:1[89]\d\d|20\d\d)[a-z]?[^()]{0,20}\))"
                                  r"[\s*]*[.!?](?:\s|$)")


def _closing_citation(after: str) -> str | None:
    """The citation that ends the sentence a quotation stands in, from the text after the quotation."""
    after = after.split("\n\n", 1)[0]         # not past its paragraph
    if re.match(r"[’”'\"]?\s*[.!?]", after):
        return None                             # the quotation ends its sentence: nothing of it follows
    sentence = re.match(r"(?:[^.!?\[(]|\[[^\]]*\]|\([^()]*\))*[.!?]?", after).group(0)
    found = _CLOSING_CITATION_RE.search(sentence + " ")
    return found.group("cited") if found else None


def _sentence_of(intro: str) -> str:
    """The last sentence of an introduction (the one that leads to the quotation)."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z‘“])", intro.strip())[-1]


def _with_named_source(cited: str, intro: str, authors: set[str]) -> str:
    """A citation of a year and page alone ("(2004:3)") with the person the introducing sentence names
    as its speaker or writer: "Margaret Hodge, Minister for Children, …, said that the Bill introduces
    “…” (2004:3)" → "Margaret Hodge (2004:3)"."""
    if re.search(r"[A-Z]", cited):
        return cited
    name = _named_person(intro, authors)
    if not name:
        return cited
    return f"{name} {cited}" if cited.startswith("(") else f"{name} ({cited})"


_NOT_A_NAME = {"The", "This", "These", "That", "Those", "Its", "Their", "Our", "His", "Her", "A", "An", "In", "On", "At",
               "For", "Next", "Every", "Each", "Some", "Such", "One", "Another", "Both", "All", "Most", "Many", "Government"}


def _named_person(intro: str, authors: set[str]) -> str | None:
    """The person a sentence names as the subject of its speech verb: a personal name (two or three
    capitalised words, or a surname the document cites), an apposition between commas allowed
    ("Margaret Hodge, Minister for Children, Young People and Families, said that …")."""
    clause = re.split(r";\s", intro)[-1]
    for verb in _SPEECH_RE.finditer(clause):
        found = re.match(r"\s*(?:(?:As|And|But|When|While)\s+)?((?:[A-Z][a-z’'-]+ ){1,2}[A-Z][a-z’'-]+|[A-Z][a-z’'-]+)"
                         r"(?:,[^.;:()]{0,100},)?\s+(?:(?:has|had|once|also|then|later|recently)\s+)?$", clause[:verb.start()])
        if not found:
            continue
        name = found.group(1)
        words = name.split()
        if words[0] in _NOT_A_NAME or _role_matches(name) or _POLICY_RE.search(name) or _is_body(name):
            continue
        if len(words) == 1 and name not in authors:
            continue
        return name
    return None


_INTRODUCTION_REACH = 300     # characters between a citation and the quotation it introduces, as the kept lead-in
_SENTENCE_TO_QUOTE = 4        # after the introducing sentence's end: its colon, a paragraph break, an opening mark


def credit_cited_works(quotes: list[Quote], citations: dict[str, list[dict[str, Any]]]) -> int:
    """Give a quotation from the literature that has no citation yet the work its introduction cites,
    as the citation finder read it: "A recent report of the Dartington Social Research Unit (2004), …,
    finds that:", "The Green Paper, Every Child Matters (2003), calls for …:" (a body or a title with
    its year, which the quote finder's author–year reading does not take). ``citations``: source id →
    its in-text citations (dicts with ``start``, ``end``, ``surface``, ``key``, ``sentence_start`` and
    ``sentence_end``, as in citations.json). The quote's introduction must end in a colon, and the
    citation end before the quote, within the introduction's reach, in the sentence that holds the
    quote's start or ends right before it. Returns how many quotes were credited."""
    credited = 0
    for quote in quotes:
        # only a quotation its sentence introduces ("…, finds that:"): a phrase in quote marks inside a
        # sentence that also cites a work ("in the discourse surrounding the Children Act 1989, … ‘at
        # risk of significant harm’") need not be that work's words
        if quote.kind != "literature" or quote.cited or not (quote.introduction or "").rstrip().endswith(":"):
            continue
        leading = [c for c in citations.get(quote.source_id, ())
                   if not c.get("key") and c["end"] <= quote.start and quote.start - c["end"] <= _INTRODUCTION_REACH
                   and c["sentence_start"] <= quote.start <= c["sentence_end"] + _SENTENCE_TO_QUOTE]
        if leading:
            surface = max(leading, key=lambda c: c["end"])["surface"]
            quote.cited = _with_page(surface, quote.cited_page) if quote.cited_page else surface
            credited += 1
    return credited


def _balanced(cited: str | None) -> str | None:
    """A citation with its brackets paired: "France and Utting (2005" → "France and Utting (2005)", "DfES, 2005)" → "DfES, 2005"."""
    if cited and cited.count("(") > cited.count(")"):
        return cited.rstrip(" ,;:") + ")"
    if cited and cited.count(")") > cited.count("(") and cited.endswith(")"):
        return cited[:-1]      # "(DfES, 2005)" seen from inside its bracket
    return cited


def _speaker(intro: str, previous: str, after: str, inner: str, authors: set[str]) -> tuple[str | None, str | None, str | None]:
    """The speaker as the document introduces them, their role, and how they were found: the
    subject (or agent) of a speech verb before the quotation ("verb"), a pronoun resolved to the
    speaker or author before ("anaphor" / "author"), a cited author ("author"), an attribution after
    the quotation ("after"), a speaker who introduces themselves ("self"), a person the introducing
    sentence names ("mention"), or the speaker of the sentences before ("previous")."""
    clause_text = re.split(r";\s", intro)[-1]
    for verb in reversed(list(_SPEECH_RE.finditer(clause_text))):
        before = clause_text[:verb.start()]
        phrase = _role_phrase(before, near_end=True)
        if phrase:
            return phrase, role_of(phrase), "verb"
        anaphor = _ANAPHOR_RE.search(before)
        if anaphor and not _heads(before[anaphor.start():]):
            found = _last_speaker(previous, authors, reach=900,
                                  person=anaphor.group(1).lower() in {"he", "she"})
            if found:
                phrase, role, how = found
                if how == "author":
                    return phrase, None, "author"
                return _resolved_anaphor(anaphor.group(1), phrase, role), role, "anaphor"
        name = _names_author(before, authors)
        if name and not _heads(before):
            return name, None, "author"
        agent = re.match(r"\s*(?:to us\s+|to me\s+)?(?:by|from|with|to)\s+([^.;:]{3,80})", clause_text[verb.end():])
        if agent and _role_phrase(agent.group(1), first=True):
            phrase = _role_phrase(agent.group(1), first=True)
            return phrase, role_of(phrase), "verb"
    name = _names_author(intro, authors)
    if name and not _heads(intro):
        return name, None, "author"
    paren = re.match(r"[\s’”\"'.,]*\(([^()\d]{3,60})\)", after)
    if paren and _heads(paren.group(1)):
        return paren.group(1).strip(), role_of(paren.group(1)), "after"
    post = re.match(r"[\s’”\"'.,]*(?:" + _SPEECH + r")\s+([^.;:\n]{3,80})", after, re.I)
    if post and _role_phrase(post.group(1), first=True):
        phrase = _role_phrase(post.group(1), first=True)
        return phrase, role_of(phrase), "after"
    post = re.match(r"[\s’”\"'.,]*(?:(?:And|Also|Or)\b[\s’”\"'.,]*)?([A-Z][^.;:\n]{0,60}?)\s+(?:" + _SPEECH + r")\b", after)
    introduces_next = post and re.match(r"\s*(?:(?:us|me|them|that)\s*)?(?::|\s{3,})", after[post.end():post.end() + 40])
    if post and not introduces_next and _role_phrase(post.group(1), near_end=True):
        phrase = _role_phrase(post.group(1), near_end=True)
        return phrase, role_of(phrase), "after"
    # a speaker who introduces themselves opens with it ("I am a social worker in a team…"); a role claimed later in
    # the words ("…I feel like I am an effective community development worker.") is part of what they say
    self_named = re.match(r"[\W]*I(?:’m| am|'m) (an? [^.,;]{3,60})", inner)
    if self_named and _role_phrase(self_named.group(1), first=True):
        phrase = _role_phrase(self_named.group(1), first=True)
        return phrase, role_of(phrase), "self"
    if _heads(intro) and _INTRO_RE.search(intro):
        phrase = _role_phrase(intro, first=True)
        return phrase, role_of(phrase), "mention"
    found = _last_speaker(previous, authors)
    if found and found[2] == "verb":
        return found[0], found[1], "previous"
    if _heads(intro) and intro.rstrip().endswith(":"):
        phrase = _role_phrase(intro, first=True)
        return phrase, role_of(phrase), "mention"
    return None, None, None


def _resolved_anaphor(pronoun: str, antecedent: str, role: str | None) -> str:
    """What a reader of a handout needs instead of a bare "She" or "Another": the person the
    pronoun stands for, or for "another"/"the other"/"one" a different person in the same role."""
    word = pronoun.lower()
    if word in {"she", "he", "they"}:
        return antecedent
    if not role:
        return pronoun
    if word == "others":
        return f"{pronoun} ({role})"
    return f"{pronoun} {role}"


def _last_speaker(previous: str, authors: set[str], reach: int = 600,
                  person: bool = False) -> tuple[str, str | None, str] | None:
    """The nearest speaker (subject of a speech verb) or cited author in the ``reach`` characters before.
    ``person``: the pronoun is "he" or "she", which stands for a person named in the sentence, not for a
    body ("DfES") nor for a citation in brackets ("As Jack observes, … introduced by the DfES … (DfES,
    2005). He observes that …": he is Jack)."""
    previous = previous[-reach:]
    best: tuple[int, tuple[str, str | None, str]] | None = None
    for verb in _SPEECH_RE.finditer(previous):
        if re.search(r"\b(?:am|is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?$", previous[:verb.start()], re.I):
            continue        # a passive ("the children are encouraged to play"): its subject says nothing
        sentence_start = max(previous.rfind(". ", 0, verb.start()), previous.rfind(": ", 0, verb.start()), previous.rfind("\n", 0, verb.start()))
        phrase = _role_phrase(previous[sentence_start + 1:verb.start()], near_end=True)
        if phrase:
            best = (verb.start(), (phrase, role_of(phrase), "verb"))
    for match in list(_AUTHOR_YEAR_RE.finditer(previous)) + [m for name in authors for m in re.finditer(r"\b" + re.escape(name) + r"\b", previous)]:
        if person and (_is_body(match.group(0)) or previous[max(0, match.start() - 1):match.start()] == "("):
            continue
        if best is None or match.start() > best[0]:
            best = (match.start(), (match.group(0), None, "author"))
    return best[1] if best else None


def _is_body(cited: str) -> bool:
    """A citation of a body by its acronym ("DfES, 2005", "CYPU 2001"), not of a person."""
    name = cited.split(",")[0].split(" (")[0].split()[0]
    return sum(c.isupper() for c in name) >= 2


def _names_author(text: str, authors: set[str]) -> str | None:
    for name in authors:
        if re.search(r"\b" + re.escape(name) + r"\b", text):
            return name
    return None


def _cited_authors(text: str) -> set[str]:
    """Surnames the document cites with a year in its running text: "Fleer (2006)", "(Jack, 2006)",
    "Warmington et al. (2004"; not the last word of a capitalised name ("Every Child Matters (2003)")."""
    names = set()
    for match in re.finditer(r"(?<![A-Za-z’'] )(?<![A-Z][a-z]’s )\b([A-Z][a-z’'-]{2,})(?: et al\.?| (?:and|&) [A-Z][a-z’'-]+)? \((?:1[89]\d\d|20\d\d)", text):
        if not re.search(r"[A-Z][\w’'-]* $", text[max(0, match.start() - 30):match.start()]):
            names.add(match.group(1))
    for match in re.finditer(r"\(([A-Z][a-z’'-]{2,})(?: et al\.?| (?:and|&) [A-Z][a-z’'-]+)?,? (?:1[89]\d\d|20\d\d)", text):
        names.add(match.group(1))
    return {n for n in names if not _role_matches(n) and not re.search(r"[’']s$", n)
            and n not in {"The", "This", "In", "See", "Since", "Figure", "Table", "Example"}}


def _inline_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char in _PAIRS and _opens(text, i):
            close = _closing(text, i, _PAIRS[char], char)
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


def _closing(text: str, i: int, closer: str, opener: str = "") -> int | None:
    limit = min(len(text), i + 1500)
    j = i + 1
    inner = 0       # quotes opened inside with the same marks: "‘only one makes … the ‘wider social context’ in …’"
    while j < limit:
        if text[j] == opener != closer and _opens(text, j):
            inner += 1
        elif text[j] == closer:
            following = text[j + 1] if j + 1 < len(text) else " "
            if closer in "’'" and following.isalpha():
                j += 1      # an apostrophe inside a word: don’t, children’s
                continue
            if closer in "’'" and text[j - 1] == "s" and following == " " and text[j - 2:j].isalpha() and _apostrophe_plural(text, j):
                j += 1      # the families’ homes
                continue
            if not inner:
                return j
            inner -= 1
        if text.startswith("\n\n\n", j):
            return None
        j += 1
    return None


def _apostrophe_plural(text: str, j: int) -> bool:
    """``s’`` followed by a noun and no closing sense (“partnerships’ strategies”)."""
    rest = text[j + 1:j + 30]
    return bool(re.match(r" [a-z]+", rest)) and not re.match(r" (?:and|but|or|he|she|they|said|says|explained|as|in|of|to|is|was)\b", rest)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with every quotation blanked (same length, line breaks kept): the words around a
    quotation, not inside it, introduce its speaker."""
    chars = list(text)
    for start, end in spans:
        for k in range(start, end):
            if chars[k] != "\n":
                chars[k] = " "
        if end - start > 2 and text[end - 2] in ".!?":
            chars[end - 2] = text[end - 2]     # a full stop inside the marks still ends the sentence
    return "".join(chars)


def _paragraph_start(text: str, offset: int) -> int:
    found = text.rfind("\n\n", 0, offset)
    start = found + 2 if found >= 0 else 0
    while start < offset and text[start].isspace():
        start += 1
    return start


def _paragraph_end(text: str, offset: int) -> int:
    found = text.find("\n\n", offset)
    return found if found >= 0 else len(text.rstrip())


_BOUNDARY_RE = re.compile(r"[.!?…]+[’”\"')\]]*\s+(?=\S)")


def _sentences(text: str, split_runs: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the sentences of a paragraph. ``split_runs`` also splits where a lost full
    stop joined two sentences ("…more independent in yourself The focus on…")."""
    cuts = []
    for match in _BOUNDARY_RE.finditer(text):
        word = re.search(r"(\S+)$", text[:match.start() + 1])
        token = word.group(1).lower().rstrip(".") if word else ""
        if token in {"al", "e.g", "i.e", "p", "pp", "cf", "etc", "vs", "no", "dr", "mr", "mrs", "ms", "prof", "st"} or len(token) == 1:
            continue
        cuts.append(match.end())
    if split_runs:
        cuts += [m.end() for m in re.finditer(r"(?<=[a-z]) (?=(?:The|This|These|Those|There|However|When|While|Where)\b)", text)]
    cuts = sorted(set(c for c in cuts if 0 < c < len(text)))
    bounds = [0] + cuts + [len(text)]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1) if text[bounds[i]:bounds[i + 1]].strip()]


def _introduction(text: str, masked: str, start: int, inline: list[tuple[int, int]]) -> tuple[str, bool, str]:
    """(the sentence that introduces a quotation, whether it ends in a colon, the text before it).
    A quotation that opens its paragraph is introduced by the last sentence of the paragraph before,
    skipping paragraphs that are themselves quotations (a list of quoted answers)."""
    para = _paragraph_start(text, start)
    if para == start:
        cursor = start
        while True:
            gap = text.rfind("\n\n", 0, cursor)
            if gap < 0:
                return "", False, ""
            previous_start = _paragraph_start(text, gap)
            if masked[previous_start:gap].strip(" \n.,;:") or previous_start == 0:
                break
            cursor = previous_start
        paragraph = masked[previous_start:gap].rstrip()
        sentences = _sentences(paragraph)
        intro_start = sentences[-1][0] if sentences else 0
        intro = paragraph[intro_start:]
        before = masked[max(0, previous_start + intro_start - 900):previous_start + intro_start]
        return intro, intro.rstrip().endswith(":"), before
    paragraph = masked[para:start]
    sentences = _sentences(paragraph)
    intro_start = sentences[-1][0] if sentences else 0
    intro = paragraph[intro_start:]
    before = masked[max(0, para + intro_start - 900):para + intro_start]
    return intro, text[:start].rstrip().endswith(":"), before


def _block_spans(text: str, masked: str) -> list[tuple[int, int, str]]:
    """Quotations set off without quote marks: a paragraph after an introduction ending in a colon,
    a paragraph followed by a citation on its own line, or the words that follow an introducing
    sentence ("…as one practitioner explained.") up to where the author's narration resumes."""
    spans: list[tuple[int, int, str]] = []
    paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text)]
    for index, (start, end) in enumerate(paragraphs):
        body = text[start:end]
        closing = _BLOCK_CITATION_END_RE.search(body)
        if len(body.split()) < 6 or re.match(r"\s*(?:[-•*]|\(?[a-z0-9]{1,3}\)|(?:Figure|Fig\.|Table) \d)", body):
            continue   # a list item or a caption, not a quotation
        if body.lstrip()[0] in _OPENERS and not closing:
            continue   # opening with a quotation of its own, found as such (unless the block's citation closes it all)
        previous = masked[paragraphs[index - 1][0]:paragraphs[index - 1][1]].rstrip() if index else ""
        following = text[paragraphs[index + 1][0]:paragraphs[index + 1][1]] if index + 1 < len(paragraphs) else ""
        intro = previous[_sentences(previous)[-1][0]:] if previous.strip() else ""
        opening = " ".join(masked[start + a:start + b] for a, b in _sentences(body)[:2])
        if re.fullmatch(r"\s*\([^()]*(?:1[89]\d\d|20\d\d)[^()]*\)\s*", following) and len(body.split()) <= 250:
            spans.append((start, end, "cited"))
        elif (closing and len(body[:closing.start()].split()) >= 12 and len(body.split()) <= 250
              and (intro.endswith(":") or re.search(r"\b(?:as|the) follow(?:s|ing)\b", intro))):
            # the citation on the quotation's last line, after its full stop, where the text joined it to the
            # paragraph: "… the object of the activity is its true motive. (Leont’ev, 1978, p. 62)"; only
            # after an introduction (a colon, "as follows"): a paragraph of the author's own may end citing
            # its source so ("… in the community. (Edwards 2005)")
            spans.append((start, start + closing.start(), "cited"))
        elif intro.endswith(":") and len(previous.split()) > 3 and (
                _SPEECH_RE.search(intro) or _VOICE_RE.search(opening)
                or ((_POLICY_RE.search(intro) or _AUTHOR_YEAR_RE.search(intro)) and _QUOTING_RE.search(intro))):
            if _list_item(body) and _list_item(following):
                continue   # the first of a list the colon opens ("Smith (2013) emphasised four factors:"), not words quoted
            spans.append((start, _narration_start(text, start, end), "colon"))
        elif intro.endswith(".") and _runs_in(intro, opening):
            spans.append((start, _narration_start(text, start, end), "runin"))
        else:
            # an introducing sentence inside the paragraph, the quotation run on after it
            sentences = _sentences(masked[start:end])
            for i in range(len(sentences) - 1):
                sentence = masked[start + sentences[i][0]:start + sentences[i][1]].strip()
                following_text = " ".join(masked[start + a:start + b] for a, b in sentences[i + 1:i + 3])
                if sentence.endswith(".") and _runs_in(sentence, following_text):
                    begin = start + sentences[i + 1][0]
                    spans.append((begin, _narration_start(text, begin, end), "runin"))
                    break
    return spans


# a bare author–year citation after a paragraph's last full stop, as a block quotation ends: "… motive.
# (Leont’ev, 1978, p. 62)", "… a probability. (CYPU 2001:37)"; not "(short-listed for the 2009 … prize)"
_BLOCK_CITATION_END_RE = re.compile(
    r"(?<=[.!?…’”\"'])\s+\((?:[A-Z][\w’'&.-]*(?:,?\s+(?:et al\.?|and|&|[A-Z][\w’'&.-]*))*),?\s*(?:1[89]\d\d|20\d\d)[a-z]?"
    r"(?:\s*[:,]\s*(?:p+\.\s*)?\d+(?:[-–]\d+)?)?\)\s*$")


def _list_item(paragraph: str) -> bool:
    """A short line with no end mark of a sentence: an item of a list whose bullets the text lost."""
    words = paragraph.split()
    return 0 < len(words) <= 12 and not re.search(r"[.!?…:;][’”\"')]*\s*$", paragraph)


def _runs_in(intro: str, opening: str) -> bool:
    """Does a sentence ending in a full stop introduce somebody's words (a person as the subject or
    agent of a speech verb, or "this extract from a carer…"), and do the next sentences sound like speech?"""
    if _CITATION_RE.search(intro) or re.search(r"\b[A-Z][a-z’'-]+(?: et al\.?)?,? \((?:1[89]|20)\d\d|\bin press\b", intro):
        return False
    named = re.search(r"\b(?:extracts? from|(?:typical|illustrative) (?:response|comment)|(?:that|as) follows?)\b", intro) and _heads(intro)
    for verb in _SPEECH_RE.finditer(intro):
        agent = re.match(r"\s*(?:to us\s+)?(?:by|from|with)\s+([^.;:]{3,80})", intro[verb.end():])
        if _role_phrase(intro[:verb.start()], near_end=True) or (agent and _heads(agent.group(1))):
            named = True
    if not named:
        return False
    return bool(re.match(r"\W*(?:…|\.\.\.)", opening)) or bool(_VOICE_RE.search(opening))


def _narration_start(text: str, start: int, end: int) -> int:
    """Where a block quotation ends: before the first sentence after its first that has none of the
    register of speech and reads as the author's narration (names people, cites, opens with a
    connective, or follows a lost full stop)."""
    body = text[start:end]
    plain = _sentences(body)
    runs = _sentences(body, split_runs=True)
    plain_starts = {a for a, _ in plain}
    keep = runs[0][1] if runs else len(body)
    for a, b in runs[1:]:
        sentence = body[a:b]
        if not _VOICE_RE.search(sentence) and (
                _role_matches(sentence) or _CITATION_RE.search(sentence) or _CONNECTIVE_RE.match(sentence.lstrip())
                or a not in plain_starts):
            break
        keep = b
    return start + len(body[:keep].rstrip())


def _first_person_blocks(text: str) -> list[tuple[int, int]]:
    """A deck's paragraphs in a person's own voice: "I …" twice, or a conversational "Well we …"."""
    spans = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text):
        body = match.group(0)
        if len(body.split()) < 12 or body.lstrip()[0] in _OPENERS:
            continue
        singular = len(_SINGULAR_RE.findall(body))
        plural = len(_PLURAL_RE.findall(body))
        conversational = re.match(r"\W*(?:Well|So|Yeah|Oh|Basically)\b", body) or re.search(r"\breally\b|…|\.\.\.", body)
        if singular >= 2 or (plural >= 2 and conversational):
            offset = match.start() + len(body) - len(body.lstrip(" �ƒ•\uf0b7-–"))
            spans.append((offset, match.end()))
    return spans


def _drop_nested(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and span[0] < out[-1][1]:
            continue
        out.append(span)
    return out


_DETERMINER_RE = re.compile(r"\b(?:one|two|some|several|many|a|an|another|the|this|that|these|those|each|most|all)\b(?: of (?:the|our|their))?", re.I)


def _role_phrase(clause: str, first: bool = False, near_end: bool = False) -> str | None:
    """The determiner + role noun group that heads a clause's speaker ("one of the Education Welfare
    Officers interviewed"): the last head, or the ``first``; with ``near_end``, only a head within
    eight words of the clause's end (the subject of the verb that follows)."""
    matches = _heads(clause)
    if not matches:
        return None
    role_start, role_end, _ = matches[0] if first else matches[-1]
    if near_end and len(clause[role_end:].split()) > 8:
        return None
    head = clause[max(0, role_start - 40):role_start]
    determiners = [m for m in _DETERMINER_RE.finditer(head) if not re.search(r"[,;:]", head[m.end():])]
    start = role_start - len(head) + determiners[-1].start() if determiners else role_start
    end = role_end
    trailer = re.match(r"(?: (?:interviewed|we spoke to|in (?:another|one|the) [a-z]+(?: [a-z]+)?|(?:in|from|at) (?:the )?[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*))", clause[end:])
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


def _overlapping(passages: list[dict[str, Any]] | None, start: int, end: int) -> list[str]:
    """The passages a span runs through, in order (a quote a passage break cuts belongs to both)."""
    return [p["passage_id"] for p in passages or [] if p["start"] < end and start < p["end"]]


def _page(pages: list[dict[str, Any]] | None, offset: int) -> tuple[int | None, str | None]:
    for page in pages or []:
        if page["start"] <= offset < page["end"]:
            return page["number"], page.get("label")
    return None, None


# --- citing and verifying ---------------------------------------------------------------------

def author_short(source: dict[str, Any]) -> str:
    """"Jopling and Vincent", "Edwards et al.", a corporate author, or the title when no author is known."""
    names = [a.split(",")[0].strip() if "," in a else a.strip() for a in source.get("authors") or [] if a.strip()]
    if not names:
        return short_title((source.get("title") or source.get("id") or "").strip())
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


_PAIRED_MARKS = {"‘": "’", "“": "”", '"': '"', "'": "'"}


def words_inside_marks(text: str) -> str:
    """A quote's words without its own outer pair of quotation marks, the marks inside kept
    ("‘It’s “what do you think we should do?”’" → "It’s “what do you think we should do?”")."""
    text = text.strip()
    if len(text) >= 2 and _PAIRED_MARKS.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def copy_with_citation(quote: dict[str, Any]) -> str:
    """What "Copy with citation" puts on the clipboard: the words in double quotation marks, a quotation
    inside them in single ones (British style: “It’s ‘what do you think?’”), then the citation in
    brackets without brackets inside ("(Jack 2006, quoted in …)", not "(Jack (2006), quoted in …)")."""
    words = words_inside_marks(quote["text"]).replace("“", "‘").replace("”", "’")
    citation = re.sub(r"\(([^()]*)\)", r"\1", quote.get("citation") or "")
    return f"“{words}” ({citation})" if citation else f"“{words}”"


def short_title(title: str, limit: int = 80) -> str:
    """A title to cite a work by when it has no author: cut between words, with an ellipsis, when longer
    than ``limit``; a title the cataloguer supplied keeps its square brackets ("[A CHAT view of … vulnerable…]")."""
    supplied = title.startswith("[") and title.endswith("]")
    inner = title[1:-1] if supplied else title
    if len(title) > limit:
        room = limit - 1 - 2 * supplied
        cut = inner[:room + 1]
        inner = (cut.rsplit(" ", 1)[0] if " " in cut else cut[:room]).rstrip(" ,;:.-–—") + "…"
    return f"[{inner}]" if supplied else inner


def locator(page: int | None, label: str | None, source: dict[str, Any] | None = None,
            end_page: int | None = None, end_label: str | None = None) -> str | None:
    """Where in a source: "p. iii" (the printed label when there is one), "p. 3", "slide 6" in a slide
    deck; words running over a page break to ``end_page`` (``end_label``), "pp. 4–5", "slides 6–7";
    None without a page."""
    where = label or (str(page) if page is not None else None)
    if where is None:
        return None
    deck = bool(source) and (source.get("layout") == "slides" or source.get("type") == "presentation slides")
    until = end_label or (str(end_page) if end_page is not None else None)
    if until and until != where:
        return f"slides {where}–{until}" if deck else f"pp. {where}–{until}"
    return f"slide {where}" if deck else f"p. {where}"


def section_locator(heading: str | None) -> str | None:
    """Where in a source without page numbers: the section a passage stands under, "section 3.4" when its
    heading is numbered, else the heading itself ("section ‘Trust’"); None without a usable heading."""
    heading = " ".join((heading or "").split()).strip(" –—-:;,.")
    numbered = re.match(r"(\d+(?:\.\d+)*)\.?\s+\S", heading)
    if numbered:
        return f"section {numbered.group(1)}"
    if not heading or len(heading) > 80 or heading.casefold() in {"references", "bibliography", "contents"}:
        return None
    return f"section ‘{heading}’"


def quote_locator(quote: dict[str, Any], source: dict[str, Any] | None = None) -> str | None:
    """The page ("p. 4", "slide 6") a quote stands on, or where the source has none, its section."""
    return locator(quote.get("page"), quote.get("page_label"), source) or section_locator(quote.get("section"))


def harvard_reference(source: dict[str, Any]) -> str:
    """A Harvard-style reference from the metadata; empty parts are left out, "[n.d.]" without a year.

    ``Jopling, M. and Vincent, S. (2020) Title. In: Venue. Publisher.``
    """
    authors = _join_names([harvard_name(a) for a in source.get("authors") or [] if a and a.strip()])
    year = f"({source['year']})" if source.get("year") else "[n.d.]"
    title = _reference_sentence(source.get("title") or source.get("file") or source.get("id") or "")
    parts = [f"{authors} {year} {title}" if authors else f"{title.rstrip('.')} {year}."]
    venue = (source.get("venue") or "").strip()
    editors = _join_names([harvard_name(e) for e in source.get("editors") or [] if e and e.strip()])
    if (source.get("type") or "") == "book chapter":
        if editors or venue:
            eds = f"{editors} ({'eds.' if len(source.get('editors') or []) > 1 else 'ed.'})" if editors else ""
            parts.append("In: " + _reference_sentence(" ".join(p for p in (eds, venue) if p)))
    elif venue:
        parts.append(_reference_sentence(venue))
    if (source.get("pages") or "").strip():
        pages = source["pages"].strip()
        parts.append(_reference_sentence(("pp. " if re.search(r"\d\s*[-–]\s*\d", pages) else "p. ") + pages))
    place = (source.get("place") or "").strip()
    publisher = (source.get("publisher") or "").strip()
    if publisher or place:
        parts.append(_reference_sentence(": ".join(p for p in (place, publisher) if p)))
    return " ".join(parts)


def harvard_name(name: str) -> str:
    """ "Surname, Given Names" → "Surname, G.N."; a corporate name (no comma) stays as it is."""
    name = " ".join(name.split())
    if "," not in name:
        return name
    surname, given = (part.strip() for part in name.split(",", 1))
    initials = []
    for word in given.split():
        pieces = [p for p in re.split(r"[-‐]", word) if p.strip(".")]
        if pieces:
            initials.append("-".join(p.strip(".")[0].upper() + "." for p in pieces))
    return f"{surname}, {''.join(initials)}" if initials else surname


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _reference_sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".?!" else text + "."


def cited_speaker(quote: dict[str, Any]) -> str:
    """Who a participant's ready citation names: the job the text gives its speaker when the role gathers
    many ("One social worker" → "social worker", "Another mother" → "mother", "the strategic stakeholders"
    → "strategic stakeholders"), not the role ("practitioner", "parent"); else the role, or "participant"."""
    role, speaker = quote.get("speaker_role"), quote.get("speaker") or ""
    heads = _heads(speaker) if role in _GATHERING_ROLES and speaker else []
    if heads:
        start, end, _ = heads[-1]
        return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in speaker[start:end].split())
    return role if role and role != "other" else "participant"


def harvard_citation(quote: dict[str, Any], source: dict[str, Any]) -> str:
    """A ready in-text citation: "parent, quoted in Jopling and Vincent, 2020, p. 4" ("slide 6" in a deck;
    "section 3.4" or "section ‘Trust’" where the source as held has no page numbers)."""
    where = f"{author_short(source)}, {source.get('year') or 'n.d.'}"
    page = quote_locator(quote, source)
    if page:
        where += f", {page}"
    if quote.get("kind") == "participant":
        role = quote.get("speaker_role")
        if quote.get("unattributed"):
            who = cited_speaker(quote) if role and role != "other" else "first-person text"
            return f"{who}, not attributed by the source, in {where}"
        return f"{cited_speaker(quote)}, quoted in {where}"
    if quote.get("cited"):
        return f"{parenthetical_form(quote['cited'])}, quoted in {where}"
    # a quoted text the source does not credit (a proverb, a consultation's finding): someone else's
    # words all the same, never the source's own
    return f"quoted in {where}"


_NARRATIVE_CITED_RE = re.compile(r"^(?P<names>[^()]+?)\s*\((?P<inner>[^()]*\d[^()]*)\)$")


def parenthetical_form(cited: str) -> str:
    """A citation as it stands inside brackets, for a citation to go in: "(Smith, 2013)" → "Smith,
    2013", "France and Utting (2005)" → "France and Utting, 2005", "Powell and Glendinning (2002 p. 3)"
    → "Powell and Glendinning, 2002, p. 3"; a remark in brackets without a date is left out."""
    cited = " ".join(cited.split())
    if cited.startswith("(") and cited.endswith(")") and "(" not in cited[1:-1]:
        cited = cited[1:-1]
    cited = re.sub(r"\s*\([^()\d]*\)", "", cited).strip()
    narrative = _NARRATIVE_CITED_RE.match(cited)
    if narrative:
        inner = re.sub(rf"^({YEAR_DIGITS}[a-z]?)\s+(?=p)", r"\1, ", narrative.group("inner").strip())
        cited = f"{narrative.group('names').rstrip(' ,')}, {inner}"
    return cited


def verify(quote: dict[str, Any], document_text: str) -> bool:
    """Does the source text still hold exactly these characters at this place? Never re-attached elsewhere."""
    start, end = quote.get("start"), quote.get("end")
    return isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(document_text) \
        and document_text[start:end] == quote.get("text")
