"""View data of citation lineage: works, people, a source's references and citations, a concept's
lineage, the citation graph (server-side SVG) and BibTeX/RIS exports. The JSON API and the HTML
pages are rendered from the same dicts."""
from __future__ import annotations

import re
from html import escape
from typing import Any

from kg import bibtex
from kg.citations.references import CORROBORATING_SECTION_RE, LETTER_RE
from kg.citations.works import is_legislation
from kg.library import Library
from kg.years import YEAR_DIGITS

from .conceptdata import LADDER_ID, coined_by   # LADDER_ID re-exported: the lineage routes and the CLI name the ladder by it

MAX_QUERY_CHARS = 200


def _source_title(library: Library, source_id: str) -> str:
    source = library.source(source_id) or {}
    return source.get("title") or source_id


def work_summary(work: dict[str, Any]) -> dict[str, Any]:
    cited_by = []
    for entry in work["cited_by"]:
        if entry["source_id"] not in cited_by:
            cited_by.append(entry["source_id"])
    return {"id": work["id"], "authors": [a["name"] for a in work["authors"]], "et_al": bool(work.get("et_al")),
            "label": _work_label(work), "year": _year(work),
            "title": work["title"], "cited_by": cited_by, "citing_sentences": len(work["cited_by"]),
            "source_id": work.get("source_id")}


def _year(work: dict[str, Any]) -> str:
    """The year as the reference list prints it: "1999a" and "1999b" are two works."""
    return (work.get("year") or "") + (work.get("year_suffix") or "") if work.get("year") else ""


def work_list(library: Library, q: str = "", source: str = "") -> dict[str, Any]:
    """The works matching ``q`` (all when empty); with ``source``, only those that source cites in
    its text or lists in its references. A ``q`` citing several works ("(Edwards 2005, 2007, in press)")
    lists the works it names in its order, and ``citations`` says which work each part of it is
    (an empty list for any other ``q``)."""
    works, cited = library.works_for(q)
    if source:
        works = [w for w in works if any(c["source_id"] == source for c in w["cited_by"])]
    if cited is None:
        works = sorted(works, key=lambda w: (-len({c["source_id"] for c in w["cited_by"]}), -len(w["cited_by"]),
                                             (w["surnames"] or [""])[0].lower(), w["year"]))
    listed = {w["id"] for w in works}
    return {"query": q, "source": source, "source_title": _source_title(library, source) if source else "",
            "total": len(works), "results": [work_summary(w) for w in works],
            "citations": [{"citation": part["citation"], "work_ids": [w["id"] for w in part["works"] if w["id"] in listed]}
                          for part in cited or []]}


def work_detail(library: Library, work_id: str) -> dict[str, Any] | None:
    work = library.work(work_id)
    if work is None:
        return None
    return {
        "id": work["id"], "authors": [a["name"] for a in work["authors"]], "et_al": bool(work.get("et_al")),
        "label": _work_label(work), "people": work["authors"], "year": _year(work), "title": work["title"],
        "container": work["container"], "volume": work.get("volume", ""), "issue": work.get("issue", ""),
        "publisher": work["publisher"], "place": work["place"], "pages": work["pages"],
        "url": work["url"], "source_id": work.get("source_id"),
        "cited_by": citing_sentences(work["cited_by"], library),
        "cites": list(work.get("cites") or []),
        "renderings": work.get("renderings") or [],
        **work_nature(library, work),
    }


def citing_sentences(cited_by: list[dict[str, Any]], library: Library | None = None) -> list[dict[str, Any]]:
    """A work's citations once per citing sentence: a sentence that cites the work twice ("… 'relational
    agency' [R3][S1, 2, 6] … [R4, 6][S1-4, 6]") is one entry, with each of its markers in ``surfaces``
    in the order they stand; an entry without a sentence (the work is in the source's list only) stays
    one per source. ``ambiguous``: every citation of the work in the sentence may be this work or
    another its source lists alike ("NECF (2004)" beside "NECF (2004a)" and "(2004b)"), the works it
    may be in ``candidates`` ({"id", "label"}, this one too; empty when not ambiguous).
    {"source_id", "passage_id", "context", "page", "page_label", "surfaces", "ambiguous", "candidates"} each, in the
    order of ``cited_by``."""
    out: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    for c in cited_by:
        key = (c["source_id"], c.get("passage_id"), " ".join((c.get("context") or "").split()))
        entry = out.get(key)
        if entry is None:
            entry = out[key] = {"source_id": c["source_id"], "passage_id": c.get("passage_id"), "context": c.get("context") or "",
                                "page": c.get("page"), "page_label": c.get("page_label"), "surfaces": [],
                                "ambiguous": bool(c.get("ambiguous")), "candidates": []}
        entry["ambiguous"] = entry["ambiguous"] and bool(c.get("ambiguous"))
        if c.get("surface"):
            entry["surfaces"].append(c["surface"])
        for wid in c.get("candidates") or []:
            if wid not in [x["id"] for x in entry["candidates"]]:
                work = library.work(wid) if library is not None else None
                entry["candidates"].append({"id": wid, "label": _work_label(work) if work else wid})
    for entry in out.values():
        if not entry["ambiguous"]:
            entry["candidates"] = []
    return list(out.values())


def _study_titled(library: Library, title: str | None) -> dict[str, Any] | None:
    """The study whose name a listed title begins with, the list having added to it ("Alliances for
    Inclusion: … in and around schools for EC/NESET", the study's title and its funders)."""
    if not title:
        return None
    folded = title.casefold()
    for study_id in library.studies_named_in(title):
        study = library.study(study_id) or {}
        names = (study.get("name"), study.get("label"), *study.get("alt_labels", []))
        if any(name and folded.startswith(name.casefold()) and not folded[len(name):][:1].isalnum() for name in names):
            return study
    return None


def work_nature(library: Library, work: dict[str, Any]) -> dict[str, Any]:
    """What a listed "work" is, from its entry in the list: a funded study the library describes (an
    impact case study's "[S1] NECF - National Evaluation …"), a source named to corroborate a claim
    ("[C1] Early Intervention Manager, … (letter on file)"), an Act of Parliament ("legislation": "the
    Children Act 1989"), else a publication; ``study_id``: the study it is, or that a publication of
    that name reports. {"kind", "study_id"}."""
    if is_legislation(work):
        return {"kind": "legislation", "study_id": None}
    for rendering in work.get("renderings") or []:
        entry = next((r for r in library.references(rendering["source_id"]) or []
                      if r.get("work_id") == work["id"] and (r.get("key") or "") == (rendering.get("key") or "")), None)
        if entry is None:
            continue
        study = next((found for name in (entry.get("acronym"), entry.get("title"))
                      if name and (found := library.find_study(name))), None) or _study_titled(library, entry.get("title"))
        if study is not None:     # an entry with authors is a report of the study ("Parson and Burkey 2011")
            return {"kind": "publication" if entry.get("authors") else "study", "study_id": study["id"]}
        if CORROBORATING_SECTION_RE.search(entry.get("section") or "") and not entry.get("authors"):
            return {"kind": "corroborating source", "study_id": None}
    return {"kind": "publication", "study_id": None}


def references(library: Library, source_id: str) -> dict[str, Any] | None:
    refs = library.references(source_id)
    if refs is None:
        return None
    return {"source_id": source_id, "results": [
        {"key": r["key"], "authors": r["authors"], "year": r["year"] + r["year_suffix"], "title": r["title"],
         "acronym": r.get("acronym", ""), "raw": r["raw"],
         "work_id": r.get("work_id"), "container": r["container"], "publisher": r["publisher"], "url": r["url"],
         "section": r["section"]} for r in refs]}


def citations(library: Library, source_id: str) -> dict[str, Any] | None:
    found = library.citations(source_id)
    if found is None:
        return None
    return {"source_id": source_id, "results": [
        {"surnames": c["surnames"], "year": c["year"] + c["year_suffix"], "page": c["page"], "key": c["key"],
         "context": c["context"], "work_id": c.get("work_id"), "kind": c["kind"], "title": c.get("title", ""),
         "ambiguous": bool(c.get("candidate_work_ids")) and not c.get("work_id"),
         "candidates": [] if c.get("work_id") else list(c.get("candidate_work_ids") or []),
         "surface": c["surface"],
         "passage_id": c["passage_id"], "doc_page": c["doc_page"], "page_label": c.get("page_label"),
         "start": c["start"], "end": c["end"]} for c in found]}


_STUDY_ROLES = (("leads", "lead"), ("co_leads", "co-lead"), ("team", "team member"))


def person_detail(library: Library, person_id: str) -> dict[str, Any] | None:
    person = library.person(person_id) or _graph_person(library, person_id)
    if person is None:
        return None
    works = [library.work(w) for w in person["works"]]
    works = sorted((w for w in works if w), key=lambda w: w["year"])
    cited_in = [{"work_id": w["id"], **c} for w in works for c in citing_sentences(w["cited_by"], library) if c["context"]]
    from kg.citation_graph import person_node

    return {"id": person["id"], "name": person["name"], "kind": person["kind"], "uri": str(person_node(person["id"])),
            "aliases": list(person.get("aliases") or []), "works": [work_summary(w) for w in works], "cited_in": cited_in,
            "concepts_credited": concepts_credited(library, person["id"]), "studies": studies_of(library, person["id"])}


def _graph_person(library: Library, person_id: str) -> dict[str, Any] | None:
    """A person or body the graph holds though no cited work is theirs (a study's co-lead, a funder):
    its name and kind, no works."""
    from kg.citation_graph import person_node

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", person_id):
        return None
    rows = library.sparql("PREFIX foaf: <http://xmlns.com/foaf/0.1/> SELECT ?name ?type WHERE { "
                          f"<{person_node(person_id)}> foaf:name ?name ; a ?type }}").dicts()
    kinds = {row["type"].rsplit("/", 1)[-1] for row in rows}
    if not rows or not kinds & {"Person", "Organization"}:
        return None
    return {"id": person_id, "name": rows[0]["name"], "kind": "organization" if "Organization" in kinds else "person",
            "aliases": [], "works": []}


def studies_of(library: Library, person_id: str) -> list[dict[str, str]]:
    """The studies the person led, co-led or worked on, or the body funded, each with the role."""
    out = []
    for study in library.studies().values():
        roles = [role for key, role in _STUDY_ROLES if any(p.get("id") == person_id for p in study.get(key) or [])]
        if person_id in (study.get("funder") or []):     # a body's id, "org-esrc", as /api/people has it
            roles.append("funder")
        if roles:
            out.append({"id": study["id"], "name": study.get("name") or study.get("label") or study["id"],
                        "role": ", ".join(roles)})
    return out


def concepts_credited(library: Library, person_id: str) -> list[dict[str, Any]]:
    """The concepts the curated scheme says this person coined or this body introduced, with the
    citation the source gives ("Edwards 2009 [R3]")."""
    from .conceptdata import earliest_year

    out = []
    for concept in sorted(library.concepts().values(), key=lambda c: c["pref_label"].casefold()):
        theirs: list[tuple[dict[str, Any], bool]] = []       # (coinage, coined rather than introduced)
        for coinage in concept.get("coinage") or []:
            coined = person_id in (coinage.get("by") or [])
            if coined or any(person_id in (local, "org-" + local) for local in coinage.get("introduced_by") or []):
                theirs.append((coinage, coined))
        if theirs:
            # every citation the sources give for it, the earliest first ("Edwards 2005, 2007; Edwards 2009 [R3]"),
            # as the concept page gives them: not the first the scheme happens to list
            theirs.sort(key=lambda pair: earliest_year(pair[0].get("citation")))
            citations = [c.get("citation") for c, _ in theirs if c.get("citation")]
            out.append({"id": concept["id"], "pref_label": concept["pref_label"],
                        "how": "coined" if any(coined for _, coined in theirs) else "introduced",
                        "citation": "; ".join(dict.fromkeys(citations)) or None})
    return out


def cited_in_by_sentence(person: dict[str, Any]) -> list[dict[str, Any]]:
    """A person's citing sentences once each, with the works of theirs each one cites ("A conceptual
    strand, in which Edwards identified …" cites three of Edwards's works: one line, three works)."""
    labels = {w["id"]: " ".join(x for x in (w["year"] and f"({w['year']})", w["title"]) if x) or w["id"]
              for w in person["works"]}
    grouped: dict[tuple, dict[str, Any]] = {}
    for c in person["cited_in"]:
        key = (c["source_id"], c.get("passage_id"), " ".join(c["context"].split()))
        entry = grouped.setdefault(key, {**c, "works": []})
        if c["work_id"] not in [w["id"] for w in entry["works"]]:
            entry["works"].append({"id": c["work_id"], "label": labels.get(c["work_id"], c["work_id"])})
    return list(grouped.values())


def concept_lineage(library: Library, concept_id: str) -> dict[str, Any] | None:
    """A concept's lineage (see Library.concept_lineage), or the four levels of prevention's: the works
    cited for any of its levels, as one framework ("levels of prevention": Hardiker et al. 1991, then
    the Children's Fund Guidance)."""
    if concept_id == LADDER_ID and library.concept(concept_id) is None:
        return _ladder_lineage(library)
    rows = library.concept_lineage(concept_id)
    if rows is None:
        return None
    rows = _with_definition_credits(library, concept_id, rows)
    concept = library.concept(concept_id) or {}
    # who the sources say coined or introduced it, earliest first: where the lineage starts, though
    # no work may be cited for it ("We need to start with Vygotsky who was working in Russia in the 1920s")
    return {"concept_id": concept_id, "label": concept.get("pref_label", concept_id),
            "origins": coined_by(library, concept) if concept else [],
            "results": _as_shown(library, rows), "sources": _users(library, {concept_id})}


def _as_shown(library: Library, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with what each work is (a study, an Act…); several works cited in one sentence: the page
    quotes it once and points the others to it."""
    rows = [dict(row, **work_nature(library, library.work(row["work_id"]) or {"id": row["work_id"]})) for row in rows]
    first_with: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:        # in the page's order: cited for it first
        earlier = first_with.setdefault((row["passage_id"], row["sentence"]), row)
        row["same_sentence_as"] = None if earlier is row else earlier["work_id"]
    return rows


def _users(library: Library, concept_ids: set[str]) -> list[dict[str, Any]]:
    """The sources that mention or define the concepts, those defining them first, then by mentions."""
    users: dict[str, dict[str, Any]] = {}
    for passage in library.passages():
        link = library.links(passage["passage_id"])
        mentions = sum(1 for m in link["mentions"] if m["concept_id"] in concept_ids)
        defines = bool(concept_ids & set(link.get("defines") or []))
        if mentions or defines:
            entry = users.setdefault(passage["source_id"], {"source_id": passage["source_id"], "title": _source_title(library, passage["source_id"]),
                                                           "mentions": 0, "defines": False})
            entry["mentions"] += mentions
            entry["defines"] = entry["defines"] or defines
    return sorted(users.values(), key=lambda u: (not u["defines"], -u["mentions"]))


def _ladder_lineage(library: Library) -> dict[str, Any] | None:
    """The works cited for the levels of prevention, one row per work: the row of the level whose
    sentence says most (cited for it, naming it)."""
    from kg.citations.works import lineage_order

    from .conceptdata import index

    ix = index(library)
    levels = ix.ladder_levels
    if not levels:
        return None
    # a citation in a sentence naming the framework itself ("The Children’s Fund Guidance (2001:37)
    # represents four levels of prevention"), which the concept of prevention holds as a hidden label
    names = [re.compile(r"\b" + re.escape(label).replace(r"\ ", r"\s+") + r"\b", re.I)
             for label in sorted(set(ix.ladder_scheme.get("labels") or []), key=len, reverse=True)]
    candidates: list[tuple[dict[str, Any], bool]] = []
    for level in levels:
        candidates += [(row, False) for row in _with_definition_credits(library, level["id"], library.concept_lineage(level["id"]) or [])]
    for concept_id in {b for c in levels for b in c.get("broader") or []}:
        candidates += [(dict(row, attached=True, in_sentence=True), True) for row in library.concept_lineage(concept_id) or []
                       if any(name.search(row["sentence"] or "") for name in names)]
    best: dict[str, dict[str, Any]] = {}
    for row, names_it in candidates:
        # the sentence that says most: cited for it, naming the framework, a sentence citing the work
        # ("[Sources: Adapted from Hardiker …(1991)]") rather than a level's definition credited to it
        cites_it = any(c.get("context") == row["sentence"] for c in (library.work(row["work_id"]) or {}).get("cited_by") or [])
        strength = (row["attached"], names_it, cites_it, row["in_sentence"])
        held = best.get(row["work_id"])
        if held is None or strength > held["_strength"]:
            best[row["work_id"]] = dict(row, _strength=strength,
                                        sources=sorted(set(row.get("sources") or []) | set((held or {}).get("sources") or [])))
    for row in best.values():
        row.pop("_strength")
    rows = sorted(best.values(), key=lineage_order)
    return {"concept_id": LADDER_ID, "label": ix.ladder_scheme.get("title") or "The four levels of prevention",
            "scheme": True, "levels": [{"id": c["id"], "pref_label": c["pref_label"]} for c in levels],
            "origins": coined_by(library, {"coinage": ix.ladder_coinage}),
            "results": _as_shown(library, rows), "sources": _users(library, {c["id"] for c in levels})}


_ATTRIBUTION_JOINS_RE = re.compile(r",?\s+(?:adapted from|after|cited in|quoted in|following|based on)\s+", re.I)


def _credited_works(library: Library, attribution: str) -> list[dict[str, Any]]:
    """The works a definition's attribution cites ("CYPU 2001: 37, adapted from Hardiker, Exton and
    Barker 1991"), each part resolved to one work of the library or left out."""
    attribution = re.sub(r"\s*\([^()\d]*\)", "", attribution)      # "(the Government department’s definition …)"
    parts = [p.strip(" ;,()") for p in re.split(r";", _ATTRIBUTION_JOINS_RE.sub("; ", attribution)) if p.strip(" ;,()")]
    found: list[dict[str, Any]] = []
    for part in parts:
        if not re.search(rf"\b{YEAR_DIGITS}", part):
            continue
        part = re.sub(rf"({YEAR_DIGITS}[a-z]?)\s*[:,]\s*(?:pp?\.\s*)?\d+(?:[-–]\d+)?", r"\1", part)   # "2001: 37": the page
        several = library.works_cited_in(f"({part})")
        works = [w for entry in several for w in entry["works"]] if several else library.works(part)
        if len(works) == 1 and works[0] not in found:
            found.append(works[0])
    return found


def _with_definition_credits(library: Library, concept_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lineage with the works the concept's quoted definitions are credited to ("adapted from
    Hardiker, Exton and Barker 1991"): cited for it, with the definition as the citing sentence, so the
    lineage and the concept page agree (``credited_by_definition``)."""
    from kg.citations.works import lineage_order

    concept = library.concept(concept_id) or {}
    by_work = {row["work_id"]: row for row in rows}
    for row in rows:
        row.setdefault("credited_by_definition", False)
    for definition in concept.get("definitions") or []:
        attribution = definition.get("citation") or ""
        for work in _credited_works(library, attribution) if attribution else []:
            row = by_work.get(work["id"])
            if row is None:
                source_id = definition.get("source_id") or ""
                holder = next((p for p in library.passages(source_id) if definition["text"][:60] in p["text"]), None)
                row = by_work[work["id"]] = {
                    "work_id": work["id"], "year": work.get("year", ""), "title": work.get("title", ""),
                    "authors": [a["name"] for a in work.get("authors", [])], "label": _work_label(work),
                    "sentence": definition["text"], "source_id": source_id, "sources": [source_id],
                    "passage_id": holder["passage_id"] if holder else None, "page": holder.get("page") if holder else None,
                    "page_label": holder.get("page_label") if holder else None, "defines": True, "in_sentence": True}
                rows.append(row)
            row["attached"] = True
            row["credited_by_definition"] = True
    return sorted(rows, key=lineage_order)


# --- the citation graph as SVG -------------------------------------------------------------------------

def citation_graph(library: Library, q: str = "", source: str = "") -> dict[str, Any]:
    """Nodes (sources on the left, works on the right) and edges (a source cites a work)."""
    works, cited = library.works_for(q)
    if source:
        works = [w for w in works if any(c["source_id"] == source for c in w["cited_by"])]
    if cited is None:      # a pasted citation's works stay in its order
        works = sorted(works, key=lambda w: (-len({c["source_id"] for c in w["cited_by"]}), w["year"]))
    works = works[:200]
    source_ids = []
    for work in works:
        for c in work["cited_by"]:
            if c["source_id"] not in source_ids:
                source_ids.append(c["source_id"])
    edges = sorted({(c["source_id"], w["id"]) for w in works for c in w["cited_by"]})
    label = {w["id"]: _work_label(w) for w in works}
    return {"sources": [{"id": s, "title": _source_title(library, s)} for s in source_ids],
            "works": [{"id": w["id"], "label": label[w["id"]], "cited_by": len({c["source_id"] for c in w["cited_by"]})} for w in works],
            "edges": [{"source_id": s, "work_id": w} for s, w in edges]}


def _work_label(work: dict[str, Any]) -> str:
    from kg.citations.works import _label

    return _label(work)


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def graph_svg(graph: dict[str, Any], link_base: str = "") -> str:
    """A bipartite drawing: one row per work, sources spread along the left; edges as curves."""
    row, top, width = 22, 30, 980
    left_x, right_x = 250, 560
    n_works = max(1, len(graph["works"]))
    height = top + row * n_works + 20
    ys = {w["id"]: top + row * i for i, w in enumerate(graph["works"])}
    step = (height - 2 * top) / max(1, len(graph["sources"]))
    sy = {s["id"]: top + step * (i + 0.5) for i, s in enumerate(graph["sources"])}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="citation-graph" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" aria-label="Citation graph: {_many(len(graph["sources"]), "source")} cite{"s" if len(graph["sources"]) == 1 else ""} {_many(len(graph["works"]), "work")}">',
             "<title>Citation graph: which corpus sources cite which works</title>",
             # presentation attributes, not a <style> element: the pages' CSP allows no inline styles
             '<g font-family="sans-serif" font-size="12" fill="#1b1b1b">']
    for edge in graph["edges"]:
        y1, y2 = sy[edge["source_id"]], ys[edge["work_id"]]
        parts.append(f'<path class="edge" fill="none" stroke="#7a8ca3" stroke-opacity="0.55" data-source="{escape(edge["source_id"])}" data-work="{escape(edge["work_id"])}" '
                     f'd="M{left_x},{y1:.1f} C{(left_x + right_x) / 2},{y1:.1f} {(left_x + right_x) / 2},{y2:.1f} {right_x},{y2:.1f}"/>')
    for s in graph["sources"]:
        y = sy[s["id"]]
        title = s["title"] if len(s["title"]) <= 38 else s["title"][:37] + "…"
        parts.append(f'<a href="{link_base}/sources/{escape(s["id"])}"><circle class="src" fill="#1f4e79" cx="{left_x}" cy="{y:.1f}" r="6"/>'
                     f'<text x="{left_x - 10}" y="{y + 4:.1f}" text-anchor="end">{escape(title)}</text></a>')
    for w in graph["works"]:
        y = ys[w["id"]]
        radius = 4 + min(4, w["cited_by"])
        parts.append(f'<a href="{link_base}/works/{escape(w["id"])}"><circle class="wrk" fill="#b35c00" cx="{right_x}" cy="{y}" r="{radius}"/>'
                     f'<text x="{right_x + 12}" y="{y + 4}">{escape(w["label"])}</text></a>')
    parts.append("</g></svg>")
    return "\n".join(parts)


# --- exports ---------------------------------------------------------------------------------------------

LEGISLATION_NOTE = "Act of Parliament"


def _entry_type(work: dict[str, Any]) -> tuple[str, str]:
    """The BibTeX entry type and the RIS type of a work. An Act is @misc (plain BibTeX has no type for
    legislation; biblatex's @legislation is not one its styles support either) saying it is an Act in
    ``howpublished``, and RIS's STAT ("Statute" in the RIS specification, which Zotero imports as
    its Statute type)."""
    if is_legislation(work):
        return "misc", "STAT"
    if work.get("editors") or (work.get("container") and work.get("publisher")):
        return "incollection", "CHAP"
    if work.get("container") and not work.get("publisher"):
        return "article", "JOUR"
    if work.get("publisher"):
        return "book", "BOOK"
    return "misc", "GEN"


def export_notes(library: Library, works: list[dict[str, Any]]) -> dict[str, str]:
    """What an export says of a listed "work" that is no publication (``work_nature``): a letter kept on
    file among the sources corroborating a claim, a study or grant the list names. Work id → note."""
    notes = {}
    for work in works:
        kind = work_nature(library, work)["kind"]
        if kind == "corroborating source":
            letter = any(LETTER_RE.search(r.get("raw") or "") for r in work.get("renderings") or [])
            notes[work["id"]] = "Letter on file, cited as corroborating evidence" if letter else "Cited as corroborating evidence"
        elif kind == "study":
            notes[work["id"]] = "A research study or grant, not a publication"
    return notes


def export_bibtex(works: list[dict[str, Any]], notes: dict[str, str] | None = None) -> str:
    """``notes`` (``export_notes``): work id → what a work that is no publication is, as its howpublished."""
    out = []
    notes = notes or {}
    for work in works:
        kind, _ = _entry_type(work)
        author = bibtex.name_list([a["name"] for a in work["authors"]], corporate=bool(work["corporate"]))
        if author and work.get("et_al") and not work["corporate"]:
            author += " and others"          # BibTeX's "et al."
        editor = bibtex.name_list(work.get("editors") or []) if kind == "incollection" else ""
        fields = [("title", work["title"]), ("year", work["year"]),
                  ("journal" if kind == "article" else "booktitle", work["container"] if kind in ("article", "incollection") else ""),
                  ("volume", work.get("volume", "")), ("number", work.get("issue", "")),
                  ("publisher", work["publisher"]), ("address", work["place"]), ("pages", bibtex.page_range(work["pages"])), ("url", work["url"]),
                  ("howpublished", LEGISLATION_NOTE if is_legislation(work) else notes.get(work["id"], ""))]
        body = ",\n".join(([f"  author = {{{author}}}"] if author else []) + ([f"  editor = {{{editor}}}"] if editor else [])
                          + [bibtex.field(name, value) for name, value in fields if value])
        out.append(f"@{kind}{{{work['id']},\n{body}\n}}\n")
    return "\n".join(out)


def export_ris(works: list[dict[str, Any]], notes: dict[str, str] | None = None) -> str:
    """``notes`` as for ``export_bibtex``: a letter on file is RIS's PCOMM (personal communication), and each
    note is the entry's N1."""
    lines = []
    notes = notes or {}
    for work in works:
        _, ty = _entry_type(work)
        if notes.get(work["id"], "").startswith("Letter"):
            ty = "PCOMM"
        lines.append(f"TY  - {ty}")
        lines.append(f"ID  - {work['id']}")
        for author in work["authors"]:
            lines.append(f"AU  - {author['name']}")
        if work["title"]:
            lines.append(f"TI  - {work['title']}")
        for editor in work.get("editors") or []:     # RIS: the editors of the book a chapter is in
            lines.append(f"A2  - {editor}")
        if re.match(r"\d{4}", work["year"] or ""):
            lines.append(f"PY  - {work['year'][:4]}")
        if work["container"]:
            lines.append(f"{'JO' if ty == 'JOUR' else 'T2'}  - {work['container']}")
        if work.get("volume"):
            lines.append(f"VL  - {work['volume']}")
        if work.get("issue"):
            lines.append(f"IS  - {work['issue']}")
        if work["publisher"]:
            lines.append(f"PB  - {work['publisher']}")
        if work["place"]:
            lines.append(f"CY  - {work['place']}")
        if work["url"]:
            lines.append(f"UR  - {work['url']}")
        if notes.get(work["id"]):
            lines.append(f"N1  - {notes[work['id']]}")
        lines.append("ER  - ")
        lines.append("")
    return "\n".join(lines)
