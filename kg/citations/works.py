"""Resolution: in-text citations → their document's reference entries, and entries across documents
→ canonical works with their people.

Entry points: :func:`resolve_in_document` and :func:`resolve_works`.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from .intext import ACT_NAME, find_citations
from .names import acronym, acronym_letters, fold, is_acronym, key_words, slug, surname_key, title_similarity
from .references import ORGANISATION_WORDS, corporate_name

TITLE_MATCH = 0.6          # Dice overlap of title words above which two renderings are one work


def _corporate_key(name: str) -> str:
    return surname_key(re.sub(r",\s*The$|^The\s+", "", name.strip()))


def _name_matches(cited: str, listed: str, listed_corporate: bool) -> bool:
    """A cited name ("DfES", "Leont'ev", "Home Office") against a listed first author or body."""
    if surname_key(cited) == surname_key(listed) or (listed_corporate and surname_key(cited) == _corporate_key(listed)):
        return True
    if listed_corporate and is_acronym(cited):
        letters, full = acronym_letters(cited), acronym(re.sub(r",\s*The$", "", listed))
        return letters == full or (len(letters) >= 2 and full.startswith(letters))
    return False


def _score(citation: dict[str, Any], ref: dict[str, Any]) -> float:
    """How well an author–year citation fits a reference entry; 0 when it does not."""
    if not ref.get("surnames") or not citation.get("surnames"):
        return 0.0
    if (citation["year"] or "") != (ref.get("year") or ""):
        return 0.0
    if citation.get("year_suffix") and ref.get("year_suffix") and citation["year_suffix"] != ref["year_suffix"]:
        return 0.0
    if not _name_matches(citation["surnames"][0], ref["surnames"][0], ref.get("corporate", False)):
        return 0.0
    score = 1.0
    cited, listed = citation["surnames"], ref["surnames"]
    many = citation.get("et_al") or len(cited) > 2
    if many == (len(listed) > 2 or ref.get("et_al", False)):
        score += 0.5
    if len(cited) == len(listed) and not citation.get("et_al"):
        score += 0.3
    score += 0.2 * sum(1 for a, b in zip(cited[1:], listed[1:]) if surname_key(a) == surname_key(b))
    if citation.get("year_suffix") and citation["year_suffix"] == ref.get("year_suffix"):
        score += 0.5
    return score


def _title_key(title: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", re.sub(r"\s+", " ", fold(title)).strip(" .,"))


def resolve_in_document(citations: list[dict[str, Any]], references: list[dict[str, Any]]) -> None:
    """Set ``reference`` (an index into ``references``) on each citation that its document's list resolves,
    and ``candidates`` (indexes, in list order) on one that fits several entries equally and the list does
    not tell apart: "NECF (2004)" where the list has only "NECF (2004a)" and "(2004b)" is ambiguous
    between the two (``reference`` None, ``candidates`` both); ``candidates`` is empty otherwise."""
    by_key = {ref["key"]: n for n, ref in enumerate(references) if ref.get("key")}
    for citation in citations:
        citation["reference"], citation["candidates"] = None, []
        if citation.get("key"):
            citation["reference"] = by_key.get(citation["key"])
            continue
        if citation.get("title"):       # an Act by its title: "Children Act 1989" is "The Children Act" of 1989
            named = [n for n, ref in enumerate(references)
                     if ref.get("year") == citation["year"] and _title_key(ref.get("title") or "") == _title_key(citation["title"])]
            if len(named) == 1:
                citation["reference"] = named[0]
            elif named:
                citation["candidates"] = named
            continue
        scored = sorted(((_score(citation, ref), n) for n, ref in enumerate(references)), reverse=True)
        scored = [s for s in scored if s[0] > 0]
        if not scored:
            continue
        best = [n for s, n in scored if s == scored[0][0]]
        distinct = {(references[n].get("year_suffix"), fold(references[n].get("title", ""))[:40]) for n in best}
        if len(best) == 1 or len(distinct) == 1:
            citation["reference"] = best[0]
        else:
            citation["candidates"] = sorted(best)


# --- works across documents -----------------------------------------------------------------------

class _Work:
    def __init__(self, record: dict[str, Any]):
        self.records: list[dict[str, Any]] = [record]

    @property
    def best(self) -> dict[str, Any]:
        """The fullest rendering: an entry with a title and the most authors."""
        return max(self.records, key=lambda r: (bool(r.get("title")), len(r.get("authors") or []), len(r.get("raw") or "")))


def _compatible(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["doc"] == b["doc"] and a.get("entry") is not None and b.get("entry") is not None and a["section"] == b["section"]:
        return False          # two entries of one list are two works
    if not a.get("surnames") or not b.get("surnames"):
        return False
    if (a.get("year") or "") != (b.get("year") or ""):
        return False
    if a.get("year_suffix") and b.get("year_suffix") and a["doc"] == b["doc"] and a["year_suffix"] != b["year_suffix"]:
        return False
    if not (_name_matches(a["surnames"][0], b["surnames"][0], b.get("corporate", False))
            or _name_matches(b["surnames"][0], a["surnames"][0], a.get("corporate", False))):
        return False
    if a.get("title") and b.get("title"):
        ta, tb = fold(a["title"]), fold(b["title"])
        sub_a, sub_b = ta.partition(":")[2].strip(), tb.partition(":")[2].strip()
        if sub_a and sub_b and title_similarity(sub_a, sub_b) < 0.5:
            return False      # one series, two works: "Every Child Matters: Next Steps", "…: Change for children"
        return title_similarity(ta, tb) >= TITLE_MATCH or ta.startswith(tb[:30]) or tb.startswith(ta[:30])
    # one side is a bare citation: the number of authors must agree
    many_a = a.get("et_al") or len(a["surnames"]) > 2
    many_b = b.get("et_al") or len(b["surnames"]) > 2
    if many_a != many_b and not (a.get("et_al") or b.get("et_al")):
        return False
    if a.get("et_al") and len(b["surnames"]) == 1 and not b.get("et_al"):
        return False
    if b.get("et_al") and len(a["surnames"]) == 1 and not a.get("et_al"):
        return False
    return True


NAME_IN_KEY = 45          # characters of the first author's or body's name in a work's key, whole words


def _work_id(record: dict[str, Any], taken: set[str]) -> str:
    """"leontev-1978-activity-consciousness", "department-for-education-and-skills-2004b-every-child-matters":
    the first author or body in whole words (at most NAME_IN_KEY characters, not ending on "and", "of" …),
    the year with its letter, the first three title words but for a stop word they end on; a work
    without authors by its title ("[S9] Alliances …"). A key another work has takes "-2", "-3" …"""
    words = [w for w in re.findall(r"[a-z0-9]+", fold(record.get("title") or "")) if w not in ("a", "an", "the")]
    year = slug(record.get("year") or "", 12) if record.get("year") else ""
    if year and re.fullmatch(r"[a-z]", record.get("year_suffix") or ""):
        year += record["year_suffix"]
    if record.get("surnames"):
        name = "-".join(key_words(slug(record["surnames"][0], NAME_IN_KEY).split("-"))) or slug(record["surnames"][0], NAME_IN_KEY)
        base = "-".join([name, year or "nd"] + key_words(words[:3]))
    else:
        base = "-".join(key_words(words[:6]) + ([year] if year else [])) or "work"
    wid, n = base, 2
    while wid in taken:
        wid, n = f"{base}-{n}", n + 1
    taken.add(wid)
    return wid


_ACT_TITLE_RE = re.compile(rf"(?:The\s+)?{ACT_NAME}(?P<year>\s+(?:1[6-9]|20)\d\d)?")
_OFFICIAL_PUBLISHER_RE = re.compile(r"\b(?:HMSO|TSO|(?:The\s+)?Stationery\s+Office|Her\s+Majesty|His\s+Majesty|legislation\.gov\.uk)\b", re.I)


def is_legislation(work: dict[str, Any]) -> bool:
    """Whether a work is an Act of Parliament: an in-text citation by the Act's short title resolves to it
    (``legislation`` set by :func:`resolve_works`), or its title is nothing but an Act's short title
    ("The Children Act", "Children and Young Persons Act 1933") and either holds its year or the work
    is published by the state's printer ("London, HMSO", "The Stationery Office") or legislation.gov.uk
    ("The Balancing Act" from a commercial publisher is a book)."""
    if work.get("legislation"):
        return True
    match = _ACT_TITLE_RE.fullmatch(re.sub(r"\s+", " ", work.get("title") or "").strip(" ."))
    if match is None:
        return False
    return bool(match.group("year")) or any(_OFFICIAL_PUBLISHER_RE.search(work.get(field) or "")
                                            for field in ("publisher", "url", "container"))


def _without_article(name: str) -> str:
    """"Home Office, The" and "The Home Office" → "Home Office": one body, one id."""
    return re.sub(r"^(.+),\s*The$", r"\1", re.sub(r"^The\s+(?=\S)", "", name.strip()))


def _cited_body(name: str, bodies: list[str]) -> str | None:
    """The body an author named in a bare citation is: the one listed body it names or abbreviates
    ("DfES" → "Department for Education and Skills", "Home Office" → "Home Office, The"); an
    acronym no list spells out is a body of that name ("NECF"); None for a person."""
    matches = {_without_article(b) for b in bodies if _name_matches(name, b, True)}
    if len(matches) == 1:
        return next(b for b in bodies if _without_article(b) in matches)
    if is_acronym(name):
        return name
    # a name of several words with a body's word ("Office for National Statistics", "Home Office")
    return name if " " in name.strip() and ORGANISATION_WORDS.search(name) and corporate_name(name) else None


def person_id(surname: str, initials: str = "") -> str:
    first = re.sub(r"[^A-Za-z]", "", fold(initials))[:1]
    return slug(surname, 40) + (f"-{first}" if first else "")


def resolve_works(documents: dict[str, dict[str, Any]], sources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Canonical works and people from every document's references and citations (mutates them:
    each reference and citation gets its ``work_id``).

    ``documents`` maps a source id to {"references": [...], "citations": [...]} (dicts as
    :meth:`Reference.to_dict` / :meth:`InTextCitation.to_dict` give). A reference entry with authors
    and a year, or an author–year citation that no list resolves, is a rendering of a work;
    renderings with the same first author (acronyms of bodies included), year and a similar title (or
    a compatible author count when one side has no title) are one work. Keyed entries without
    authors stay works of their own document.
    """
    records: list[dict[str, Any]] = []
    for doc_id, doc in documents.items():
        for n, ref in enumerate(doc.get("references", [])):
            records.append({**ref, "doc": doc_id, "entry": n, "kind": "reference"})
        for n, citation in enumerate(doc.get("citations", [])):
            if citation.get("reference") is None and not citation.get("candidates") and citation.get("surnames") \
                    and citation.get("year"):
                records.append({**citation, "doc": doc_id, "entry": None, "citation": n, "kind": "citation", "section": "",
                                "title": "", "authors": list(citation["surnames"]), "corporate": False})
    works: list[_Work] = []
    # titled entries first so that bare citations join them
    for record in sorted(records, key=lambda r: (r["kind"] != "reference", not r.get("title"))):
        target = None
        if record.get("surnames") and record.get("year"):
            candidates = [w for w in works if all(_compatible(record, other) for other in w.records[:1])
                          and any(_compatible(record, other) for other in w.records)]
            if record["kind"] == "citation" and len(candidates) > 1:
                ranked = sorted(candidates, key=lambda w: -_score(record, w.best))
                candidates = ranked[:1] if _score(record, ranked[0].best) > _score(record, ranked[1].best) else []
            target = candidates[0] if candidates else None
        if target is None:
            works.append(_Work(record))
        else:
            target.records.append(record)

    taken: set[str] = set()
    out_works: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, Any]] = {}
    surname_people: dict[str, set[str]] = {}
    bare: set[str] = set()
    bodies = sorted({name for r in records if r.get("corporate") for name in r.get("authors") or []})
    for work in works:
        best = work.best
        wid = _work_id(best, taken)
        authors = []
        corporate = bool(best.get("corporate"))
        for n, name in enumerate(best.get("authors") or []):
            body = None if corporate else _cited_body(name, bodies)
            if corporate or body is not None:
                corporate = corporate or len(best.get("authors") or []) == 1
                name = body or name
                pid, kind, display = "org-" + slug(_without_article(name), 50), "organization", re.sub(r"^(.*),\s*The$", r"The \1", name)
            else:
                surname = (best.get("surnames") or [name])[n] if n < len(best.get("surnames") or []) else name
                initials = name[len(surname):].strip(" ,") if name.startswith(surname) else ""
                pid, kind, display = person_id(surname, initials), "person", name
                surname_people.setdefault(slug(surname, 40), set()).add(pid)
                if not initials:
                    bare.add(pid)
            people.setdefault(pid, {"id": pid, "name": display, "kind": kind, "works": []})
            if wid not in people[pid]["works"]:
                people[pid]["works"].append(wid)
            authors.append({"id": pid, "name": display})
        renderings = []
        for record in work.records:
            doc = documents[record["doc"]]
            if record["kind"] == "reference":
                doc["references"][record["entry"]]["work_id"] = wid
                renderings.append({"source_id": record["doc"], "key": record.get("key", ""), "raw": record.get("raw", ""),
                                   # the list it stands in ("References", "Recommended reading"): a work listed twice
                                   "section": doc["references"][record["entry"]].get("section") or ""})
            else:
                doc["citations"][record["citation"]]["work_id"] = wid
        out_works[wid] = {
            "id": wid, "authors": authors, "surnames": list(best.get("surnames") or []), "corporate": corporate,
            "et_al": bool(best.get("et_al")), "year": best.get("year") or "", "year_suffix": best.get("year_suffix") or "",
            "title": best.get("title") or "", "container": best.get("container") or "", "publisher": best.get("publisher") or "",
            "place": best.get("place") or "", "pages": best.get("pages") or "", "volume": best.get("volume") or "",
            "issue": best.get("issue") or "", "url": best.get("url") or "",
            "editors": best.get("editors") or [], "key": best.get("key") or "",
            "renderings": renderings, "source_id": None, "cited_by": [], "cites": [],
        }
        out_works[wid]["legislation"] = is_legislation(out_works[wid])
    # citations resolved through their document's list point at that entry's work; an ambiguous one at
    # the works of its candidate entries
    for doc_id, doc in documents.items():
        for citation in doc.get("citations", []):
            citation["candidate_work_ids"] = list(dict.fromkeys(
                doc["references"][n]["work_id"] for n in citation.get("candidates") or [] if doc["references"][n].get("work_id")))
            if citation.get("reference") is not None:
                citation["work_id"] = doc["references"][citation["reference"]].get("work_id")
                if citation.get("kind") == "legislation" and citation["work_id"] in out_works:
                    out_works[citation["work_id"]]["legislation"] = True     # "the Children Act 1989" cites it
    # a surname-only author (from a bare citation) is the person with that surname when there is one
    # and their works are of one period ("Taylor (1977)" on agency is not the J. Taylor of a 2016 book)
    for pid, person in list(people.items()):
        if pid not in bare:
            continue
        others = [o for o in surname_people.get(pid, set()) if o != pid]
        if len(others) == 1 and _same_period(person["works"], people[others[0]]["works"], out_works):
            target = people[others[0]]
            for wid in person["works"]:
                if wid not in target["works"]:
                    target["works"].append(wid)
                for author in out_works[wid]["authors"]:
                    if author["id"] == pid:
                        author.update(id=target["id"], name=target["name"])
            del people[pid]
    _cited_by(documents, out_works)
    _link_sources(out_works, sources or [], documents)
    return {"works": out_works, "people": people}


SAME_PERIOD_YEARS = 15


def _same_period(works_a: list[str], works_b: list[str], works: dict[str, dict[str, Any]]) -> bool:
    """Whether two authors' works are near enough in time to be one career's (their nearest dated works
    at most SAME_PERIOD_YEARS apart; with no dated work on one side, yes)."""
    def years(ids: list[str]) -> list[int]:
        return [int(m.group(0)) for w in ids if (m := re.match(r"\d{4}", works[w].get("year") or ""))]
    a, b = years(works_a), years(works_b)
    if not a or not b:
        return True
    return min(abs(x - y) for x in a for y in b) <= SAME_PERIOD_YEARS


def _cited_by(documents: dict[str, dict[str, Any]], works: dict[str, dict[str, Any]]) -> None:
    for doc_id, doc in documents.items():
        listed = {ref.get("work_id") for ref in doc.get("references", []) if ref.get("work_id")}
        cited = set()
        for citation in doc.get("citations", []):
            wid = citation.get("work_id")
            entry = {"source_id": doc_id, "passage_id": citation.get("passage_id"), "context": citation.get("context", ""),
                     "page": citation.get("doc_page"), "page_label": citation.get("page_label"),
                     "surface": citation.get("surface", "")}
            if wid and wid in works:
                cited.add(wid)
                works[wid]["cited_by"].append(entry)
            candidates = [c for c in citation.get("candidate_work_ids") or [] if c in works]
            for candidate in candidates if not wid else []:     # "NECF (2004)": it may be either work
                cited.add(candidate)
                works[candidate]["cited_by"].append({**entry, "ambiguous": True, "candidates": candidates})
        for wid in listed - cited:          # in the list only: cited without a located sentence
            works[wid]["cited_by"].append({"source_id": doc_id, "passage_id": None, "context": "", "page": None,
                                           "surface": ""})


def _link_sources(works: dict[str, dict[str, Any]], sources: list[dict[str, Any]], documents: dict[str, Any]) -> None:
    """A work whose title, year and first author agree with a corpus source is that source."""
    for source in sources:
        title = re.sub(r"^\[|\]$", "", source.get("title") or "")
        if not title or source.get("title_supplied"):
            continue
        authors = [a.split(",")[0] for a in source.get("authors") or []]
        for work in works.values():
            if title_similarity(title, work["title"]) < 0.8:
                continue
            if source.get("year") and work["year"] and str(source["year"]) != work["year"]:
                continue
            if authors and work["surnames"] and surname_key(authors[0]) != surname_key(work["surnames"][0]):
                continue
            work["source_id"] = source["id"]
            cites = []
            for ref in documents.get(source["id"], {}).get("references", []):
                if ref.get("work_id") and ref["work_id"] not in cites and ref["work_id"] != work["id"]:
                    cites.append(ref["work_id"])
            for citation in documents.get(source["id"], {}).get("citations", []):
                if citation.get("work_id") and citation["work_id"] not in cites and citation["work_id"] != work["id"]:
                    cites.append(citation["work_id"])
            work["cites"] = cites


# --- queries over a built citations.json -------------------------------------------------------------

# the words of a citation as a reader pastes it that name no work: "Edwards et al. (2006, p. 62)",
# "France and Utting 2005" (they still count where a title holds them)
_CITATION_WORDS = frozenset("and et al the of in a an on for to by with ed eds p pp".split())


def work_matches(work: dict[str, Any], q: str) -> bool:
    """Every word of ``q`` is an author surname (or part of a body's name), the year, or a title word;
    the other words of a pasted citation ("et al.", "and", a page number) are passed over, and a
    surname may differ by one letter, as transliterations do ("Leontiev" for "Leont’ev")."""
    words = set()
    surnames = set()
    for name in work.get("surnames") or []:
        words.update(re.findall(r"[a-z0-9]+", fold(name)))
        surnames.add(surname_key(name))
    words |= surnames
    words.update(re.findall(r"[a-z0-9]+", fold(work.get("title") or "")))
    if work.get("year"):
        words.update(re.findall(r"[a-z0-9]+", work["year"].lower()))      # "in press" → in, press
        words.add(work["year"].lower())
        words.add(work["year"].lower() + (work.get("year_suffix") or ""))
    # a body cited by its acronym as the text cites it ("DfES 2004a", "CYPU 2001", "necf")
    # (all its capitals, not a prefix: "DfE" is another department than "DfES")
    if work.get("corporate"):
        # a body cited by acronym alone ("DfES 2005") is found by its name too
        names = list(work.get("surnames") or []) + [a["name"] for a in work.get("authors") or []]
        for name in names:
            words.update(re.findall(r"[a-z0-9]+", fold(name)))
        full = {acronym(_without_article(name)) for name in names}
        words.update(fold(token) for token in re.findall(r"[^\W_]+", q) if is_acronym(token) and acronym_letters(token) in full)
        words.update(fold(letters) for letters in full if len(letters) >= 2)
    terms = [t for t in re.findall(r"[a-z0-9]+", fold(q))
             if t in words or not (t in _CITATION_WORDS or (t.isdigit() and len(t) != 4))]
    return bool(terms) and all(t in words or surname_key(t) in words or _one_letter_from(t, surnames) for t in terms)


def works_cited_in(q: str, works: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The works an in-text citation of several works names, as a reader pastes one from a paper
    ("(Edwards 2005, 2007, in press)", "Edwards 2005, 2007", "(Bynner, 2001; France and Utting, 2005)"):
    one entry per work it cites, in its order, {"citation": "Edwards (2007)", "works": [...]} with the
    works that fit that part as a reference list would resolve it (first author or body and year, the
    best fit; "Edwards 2009" is Edwards's own 2009 work, not Edwards et al.'s; a year without its letter
    fits each work of that year), else those :func:`work_matches` finds for it ("Leontiev 1978").
    None when ``q`` is not a citation of two works or more: it is searched as words."""
    found = [c for c in find_citations(q, place=False) if c.kind != "keyed"]
    if len(found) < 2 and "(" not in q:
        # without brackets "Edwards 2005, 2007" reads as the parenthesis it was cut from
        found = [c for c in find_citations(f"({q})", place=False) if c.kind != "keyed"]
    if len(found) < 2:
        return None
    parts = []
    for citation in found:
        record = {"surnames": citation.surnames, "et_al": citation.et_al, "year": citation.year,
                  "year_suffix": citation.year_suffix, "title": citation.title}
        if citation.title:        # an Act by its short title: "Children Act 2004" is "The Children Act" of 2004
            fitting = [w for w in works if (w.get("year") or "") == citation.year
                       and _title_key(w.get("title") or "") == _title_key(citation.title)]
        else:
            scored = [(_score(record, w), w) for w in works]
            best = max((s for s, _ in scored), default=0.0)
            fitting = [w for s, w in scored if s > 0 and s == best]
        if not fitting:
            words = f"{citation.title or ' '.join(citation.surnames)} {citation.year}{citation.year_suffix}"
            fitting = [w for w in works if work_matches(w, words)]
        parts.append({"citation": _label(record), "works": fitting})
    return parts


def _one_letter_from(term: str, surnames: set[str]) -> bool:
    """Whether a word of six letters or more is one of these surnames but for one letter added,
    dropped or changed."""
    if len(term) < 6 or not term.isalpha():
        return False
    for name in surnames:
        if abs(len(name) - len(term)) > 1 or len(name) < 5:
            continue
        shorter, longer = sorted((term, name), key=len)
        i = next((i for i, (a, b) in enumerate(zip(shorter, longer)) if a != b), len(shorter))
        if shorter[i + (len(shorter) == len(longer)):] == longer[i + 1:]:
            return True
    return False


def year_order(year: str) -> tuple[int, str]:
    """Sort key of a year: numbers first in order, then "in press" and "forthcoming", then none."""
    match = re.match(r"\d{4}", year or "")
    if match:
        return int(match.group(0)), year
    return (9998, year) if year else (9999, "")


def lineage(concept_id: str, data: dict[str, Any], links: dict[str, Any], passages: dict[str, dict[str, Any]],
            narrower: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One row per work cited in a passage that mentions or defines the concept (see Library.concept_lineage):
    the works cited for it (``attached``) first, then the others, each group earliest first.

    ``in_sentence``: the citing sentence names the concept; ``attached``: the citation stands by that
    name — is the name itself (an Act cited by its title: "The Children Act 1989 brought …"), or
    the first group of citations after it in the sentence ("'relational agency' [R3][S1]"),
    and the group before it when none follows or when it names its authors in the running text just
    before ("Luthar (1993) … suggested that resilience …"); a sentence listing several concepts with
    their own citations gives each only its own."""
    rows: dict[str, dict[str, Any]] = {}
    for source_id, doc in data.get("sources", {}).items():
        attached = _attached_citations(concept_id, doc.get("citations", []), links, passages, narrower)
        for n, citation in enumerate(doc.get("citations", [])):
            wid, pid = citation.get("work_id"), citation.get("passage_id")
            if not wid or not pid:
                continue
            link = links.get(pid) or {}
            mentions = [m for m in link.get("mentions", []) if m.get("concept_id") == concept_id]
            defines = concept_id in (link.get("defines") or [])
            if not mentions and not defines:
                continue
            a, b = _sentence_bounds(citation)
            in_sentence = any(a <= m["start"] < b for m in mentions)
            distance = min((abs(m["start"] - citation["start"]) for m in mentions), default=10**6)
            # the concept brought in as a term by the sentence ("identified the new concepts of 'relational
            # agency' [R3]") says more of where it came from than a later sentence using it
            passage = passages.get(pid) or {}
            as_term = bool(passage.get("text")) and any(
                a <= m["start"] < b and _brought_in_as_a_term(m, passage["text"], passage.get("start", 0)) for m in mentions)
            work = data["works"].get(wid, {})
            row = {"work_id": wid, "year": work.get("year", ""), "title": work.get("title", ""),
                   "authors": [x["name"] for x in work.get("authors", [])], "label": _label(work),
                   "sentence": citation.get("context", ""), "source_id": source_id, "passage_id": pid,
                   "page": citation.get("doc_page"), "page_label": citation.get("page_label"),
                   "defines": defines, "in_sentence": in_sentence,
                   "attached": n in attached, "_distance": distance, "_as_term": as_term}
            best = rows.get(wid)
            # the sentence where the concept stands closest to the citation says most about the lineage
            if best is None or _evidence(row) > _evidence(best):
                if best is not None:
                    row["sources"] = sorted(set(best.get("sources", [best["source_id"]])) | {source_id})
                rows[wid] = row
            else:
                best["sources"] = sorted(set(best.get("sources", [best["source_id"]])) | {source_id})
    for row in rows.values():
        row.setdefault("sources", [row["source_id"]])
        row.pop("_distance", None)
        row.pop("_as_term", None)
    return sorted(rows.values(), key=lineage_order)


def lineage_order(row: dict[str, Any]) -> tuple:
    """A lineage row's place: the works cited for the concept first, then those cited where it is
    discussed; each earliest first."""
    return (not row["attached"], year_order(row["year"]), row["label"])


def crediting_passages(concept_id: str, data: dict[str, Any], links: dict[str, Any],
                       passages: dict[str, dict[str, Any]], narrower: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """The passages where a citation stands by a name of the concept (``attached`` in :func:`lineage`):
    where a source credits the concept to a work ("the idea of ‘relational agency’ (Edwards 2005)").
    Each passage id maps to ``place`` (0 for the passages crediting the earliest work, 1 for the next
    year, …) and the ``works`` it credits, earliest first; the passages come in that order."""
    credited: dict[str, dict[str, tuple[int, str]]] = {}
    for doc in data.get("sources", {}).values():
        citations = doc.get("citations", [])
        for n in _attached_citations(concept_id, citations, links, passages, narrower):
            wid = citations[n].get("work_id") or ""
            work = data.get("works", {}).get(wid, {})
            label = _label(work) if work else citations[n].get("surface", "")
            credited.setdefault(citations[n]["passage_id"], {})[label] = year_order(work.get("year", ""))
    earliest = {pid: min(works.values()) for pid, works in credited.items()}
    place = {year: n for n, year in enumerate(sorted(set(earliest.values())))}
    return {pid: {"place": place[earliest[pid]],
                  "works": sorted(credited[pid], key=lambda label: (credited[pid][label], label))}
            for pid in sorted(credited, key=lambda pid: (earliest[pid], pid))}


def _evidence(row: dict[str, Any]) -> tuple:
    return row["attached"], row["in_sentence"], row["_as_term"], -row["_distance"], row["defines"]


def _sentence_bounds(citation: dict[str, Any]) -> tuple[int, int]:
    start = citation.get("sentence_start", citation["start"])
    end = citation.get("sentence_end") or start + len(citation.get("context") or "")   # builds before sentence_end
    return start, max(end, citation.get("end", start))


def _attached_citations(concept_id: str, citations: list[dict[str, Any]], links: dict[str, Any],
                        passages: dict[str, dict[str, Any]], narrower: Iterable[str] = ()) -> set[int]:
    """Indexes of the citations that stand by a name of the concept in their sentence. A citation
    right after another concept's name within the sentence is that concept's, unless it is one of
    ``narrower`` (a version of this one: "third generation activity theory (Daniels, 2002)")."""
    narrower = set(narrower)
    by_sentence: dict[tuple[str, int, int], list[int]] = {}
    for n, citation in enumerate(citations):
        if citation.get("passage_id"):
            by_sentence.setdefault((citation["passage_id"], *_sentence_bounds(citation)), []).append(n)
    attached: set[int] = set()
    for (pid, a, b), members in by_sentence.items():
        passage = passages.get(pid) or {}
        if not passage.get("text"):
            continue
        text, offset = passage["text"], passage.get("start", 0)
        groups = _citation_groups(members, citations, text, offset)
        # "… a raft of research on the resilience of vulnerable children … The research and its
        # implementation have tended to … (Garmezy, 1991; …)": the sentence goes on about the research
        # on the concept the sentence before names, and its closing citation is that research's
        if (_ends_sentence(citations[groups[-1][-1]]["end"] - offset, b - offset, text)
                and _resumes_research_on(concept_id, passage, links.get(pid) or {}, a)):
            attached.update(groups[-1])
        in_sentence = [m for m in (links.get(pid) or {}).get("mentions", []) if a <= m["start"] < b]
        # a name inside a longer title ("the ESRC-funded Preventing Social Exclusion in Secondary Schools
        # (PSE) [R5][S3]"): the citation is the study's or the work's, not the concept's
        mentions = [m for m in in_sentence if m.get("concept_id") == concept_id and not _inside_a_title(m, text, offset)]
        others = [m for m in in_sentence if m.get("concept_id") != concept_id and m.get("concept_id") not in narrower]
        if not mentions:
            continue
        for mention in mentions:
            # a citation that the name is part of is the name cited: an Act by its title ("The Children
            # Act 1989 brought …" cites the Act it names); a narrative citation running from its authors
            # over the name to its year, when the authors stand close before the name ("Margaret Hodge …
            # said that the Bill introduces “A shift to prevention …” (2004:3)"), as with one before it
            attached.update(n for g in groups for n in g
                            if citations[n]["start"] < mention["end"] and citations[n]["end"] > mention["start"]
                            and (citations[n].get("kind") != "narrative" or mention["start"] - citations[n]["start"] <= 120))
            after = [g for g in groups if citations[g[0]]["start"] >= mention["end"]]
            before = [g for g in groups if citations[g[-1]]["end"] <= mention["start"]]
            # a group ending the sentence stands for all of it, unless it follows a name the sentence
            # brings in as a term ("… relevant to prevention is the idea of ‘relational agency’ (Edwards
            # 2005)"); one within the sentence may be another name's own
            if after:
                owner = _owned_by_another(mention, citations[after[0][0]]["start"] - offset, others, text, offset)
                if not owner or (_ends_sentence(citations[after[0][-1]]["end"] - offset, b - offset, text)
                                 and not _brought_in_as_a_term(owner, text, offset)):
                    attached.update(after[0])
            # the group before: one naming its authors in the running text close before the name ("Okafor
            # (2015) argued that relational agency …"), or, when nothing follows, any naming its authors
            # (the sentence's claimant: "Smith (2013) emphasised four factors: … mutual trust") or a
            # bracketed one close before ("studies (Smith 2000) show that resilience …"), not one a clause away
            if before:
                distance = mention["start"] - citations[before[-1][-1]]["end"]
                narrative = all(citations[n].get("kind") == "narrative" for n in before[-1])
                # not a name the claim only likens their work to ("Jack (2006) comes at the problem from
                # … an angle … compatible with a CHAT analysis"): that cites them for their own view
                likened = _LIKENED_RE.search(text[max(0, mention["start"] - offset - 40):mention["start"] - offset])
                if ((not after and (narrative or distance <= _BEFORE_REACH)) or (narrative and distance <= 120)) and not likened:
                    attached.update(before[-1])
    return attached


_BEFORE_REACH = 100       # characters from a citation group to a name it may stand for, when it comes first
# a name the sentence likens its claimant's work to, not one it credits them with
_LIKENED_RE = re.compile(r"\b(?:compatible|consistent|in line|in keeping|similar|akin|comparable|analogous)\s+(?:with|to)\s+"
                         r"(?:(?:a|an|the|their|its)\s+)?[‘“'\"]?$", re.I)

# a sentence opening on the body of work the sentence before spoke of: "The research …", "This work …"
_RESUMING_RE = re.compile(r"(?:The|This|These|Such|That|Their|Its)\s+(research|work|studies|study|literature|evidence|findings|tradition)\b")


# a title going on past a capitalised name: "… in Secondary Schools", "… of the Children's Fund"
# (not after "and": "Sure Start and the Children’s Fund", "Levels Two and Three" are two names)
_TITLE_GOES_ON_RE = re.compile(r"[ \t]+(?:(?:in|of|for|the|to|on)[ \t]+)*(?:[A-Z][\w’'-]+)(?:[ \t]+[A-Z][\w’'-]+)*")


def _inside_a_title(mention: dict[str, Any], text: str, offset: int) -> bool:
    """Whether a mention written with capitals ("Preventing Social Exclusion") is the start of a longer
    title that goes on in capitalised words after it ("… in Secondary Schools")."""
    surface = text[mention["start"] - offset:mention["end"] - offset]
    words = re.findall(r"[^\W\d_]+", surface)
    if len(words) < 2 or not all(w[:1].isupper() for w in words if len(w) > 3):
        return False
    return bool(_TITLE_GOES_ON_RE.match(text, mention["end"] - offset))


def _citation_groups(members: list[int], citations: list[dict[str, Any]], text: str, offset: int) -> list[list[int]]:
    """A sentence's citations in runs, in text order: those with only brackets, commas or semicolons
    between them ("(Garmezy, 1991; Masten and Garmezy, 1985)", "[R3][S1, 2, 6]") are one group."""
    groups: list[list[int]] = []
    for n in sorted(members, key=lambda i: citations[i]["start"]):
        if groups:
            gap = text[max(0, citations[groups[-1][-1]]["end"] - offset):max(0, citations[n]["start"] - offset)]
            if not re.search(r"[^\W\d_]{2,}", gap):
                groups[-1].append(n)
                continue
        groups.append([n])
    return groups


def _resumes_research_on(concept_id: str, passage: dict[str, Any], link: dict[str, Any], sentence_start: int) -> bool:
    """Whether the sentence at ``sentence_start`` opens on the body of work ("The research") that the
    sentence before it names as about the concept ("research on the resilience of …"), and names no
    work of its own first."""
    text, offset = passage.get("text") or "", passage.get("start", 0)
    start = max(0, sentence_start - offset)
    start += len(text[start:]) - len(text[start:].lstrip())
    opening = _RESUMING_RE.match(text, start)
    if not opening:
        return False
    before = text[:start].rstrip()
    previous_start = max(before.rfind(". "), before.rfind("? "), before.rfind("! "), before.rfind("\n\n")) + 1
    previous = before[previous_start:]
    noun = opening.group(1).rstrip("s") if opening.group(1) != "studies" else "stud"
    for found in re.finditer(rf"\b{noun}\w*\s+(?:on|of|into|about|in)\s+(?:the\s+)?", previous, re.I):
        at = offset + previous_start + found.end()
        if any(m.get("concept_id") == concept_id and at <= m["start"] <= at + 2 for m in link.get("mentions", [])):
            return True
    return False
# what joins the names of a list that one citation may stand for ("relational agency and relational expertise [R2]")
_LIST_JOIN_RE = re.compile(r"[\s,;’'”\"‘“]*(?:(?:and|or|&)[\s,;’'”\"‘“]*)*")


def _ends_sentence(group_end: int, sentence_end: int, text: str) -> bool:
    """Whether nothing of the sentence's own words follows a citation group."""
    return not re.search(r"[^\W\d_]{2,}", text[group_end:max(group_end, sentence_end)])


# what brings a name in as a term: "the idea of ‘relational agency’", "what Edwards calls relational expertise"
_TERM_INTRO_RE = re.compile(r"(?:\b(?:idea|concept|notion|term|construct|theory|model|framework|approach)s?\s+of"
                            r"|\b(?:calls?|called|termed|terms|dubbed|so-called|known\s+as|labelled|labeled|named))"
                            r"\s*[‘“'\"]?\s*$", re.I)


def _brought_in_as_a_term(other: dict[str, Any], text: str, offset: int) -> bool:
    """Whether another concept's name stands in quote marks or after "the idea of", "what … calls": the
    sentence names it as the term its citation is for."""
    start, end = other["start"] - offset, other["end"] - offset
    before, after = text[max(0, start - 40):start], text[end:end + 2]
    return bool(re.search(r"[‘“'\"]\s*$", before) and re.match(r"\s*[’”'\"]", after)) or bool(_TERM_INTRO_RE.search(before))


def _owned_by_another(mention: dict[str, Any], group_start: int, others: list[dict[str, Any]], text: str,
                      offset: int) -> dict[str, Any] | None:
    """The other concept's mention whose own the citation group after ``mention`` is: that concept's name
    stands right before the group, after text of the sentence's own (not a list joining the two names):
    "emphasis on co-production and close partnership …, the “co-configuration” (Warmington et al. 2004: 4)".
    None when the group is not another's."""
    for other in others:
        if not (mention["end"] <= other["start"] and other["end"] - offset <= group_start):
            continue
        right_before = not re.search(r"[^\W\d_]{2,}", text[other["end"] - offset:group_start])
        between = text[mention["end"] - offset:other["start"] - offset]
        for named in sorted(others, key=lambda m: -m["start"]):       # the other names of a list in between
            if mention["end"] <= named["start"] and named["end"] <= other["start"]:
                cut = slice(named["start"] - mention["end"], named["end"] - mention["end"])
                between = between[:cut.start] + " " + between[cut.stop:]
        if right_before and not _LIST_JOIN_RE.fullmatch(between):
            return other
    return None


def _shortened(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut between words, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0] if " " in text[:limit - 1] else text[:limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def _label(work: dict[str, Any]) -> str:
    names = work.get("surnames") or []
    who = names[0] if names else _shortened(work.get("title") or work.get("id", ""), 40)
    if len(names) == 2 and not work.get("et_al"):
        who = f"{names[0]} and {names[1]}"
    elif len(names) > 2 or work.get("et_al"):
        who += " et al."
    return f"{who} ({work['year']}{work.get('year_suffix', '')})" if work.get("year") else who
