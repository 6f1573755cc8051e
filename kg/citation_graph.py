"""Citation lineage in the knowledge graph (from a release's citations.json).

Into the named graph of each citing source go:

* ``<source> cito:cites <work>`` for every work it lists or cites;
* each cited work as a ``fabio:Expression`` / ``dcterms:BibliographicResource`` (an Act also a
  ``bibo:Statute``, a ``bibo:Legislation``) with its title,
  publication year, the entry as the source renders it (``dcterms:bibliographicCitation``) and its
  authors (``dcterms:creator``), people (``foaf:Person``) and bodies (``foaf:Organization``) shared
  across works; a work that is itself a corpus source is that source's node;
* each in-text citation as a ``ck:InTextCitation`` (an ``oa:Annotation`` motivated by
  ``oa:linking``) whose body is the work (an ``oa:Choice`` of the works, as ``as:items``, when the
  source's list does not tell which it cites: "NECF (2004)" with 2004a and 2004b listed) and whose target is the citation's span of the source,
  scoped to its passage, with a TextPositionSelector and a TextQuoteSelector, its citing sentence
  (``ck:citingSentence``), the page it points at (``ck:citedPage``) and its key (``ck:citationKey``).

A work is described again in every graph that cites it, so a source graph can be replaced alone.
Entry point: :func:`add_citations`.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from .citations.names import fold, surname_key
from .graph import ONTOLOGY_GRAPH, Agents, _context, _fold, _selectors, _slug, source_graph
from .citations.references import CORROBORATING_SECTION_RE, LETTER_RE
from .citations.works import is_legislation
from .vocab import ANNOTATION, AS, BIBO, CITO, CK, FABIO, OA, ORG, PASSAGE, PERSON, SOURCE, WORK


def work_node(work: dict[str, Any]) -> URIRef:
    if work.get("source_id"):
        return SOURCE[work["source_id"]]
    return WORK[work["id"]]


class _Initials:
    """The ontology's people by family name and first initial ("Edwards, A." → ckp:anne-edwards),
    kept only where that pair names one person; a person the ontology knows by family name alone
    ("Vygotsky") is found by it when no other person of the ontology has that family name."""

    def __init__(self, ontology: Graph):
        seen: dict[tuple[str, str], set[URIRef]] = {}
        families: dict[str, set[URIRef]] = {}
        for node in ontology.subjects(RDF.type, FOAF.Person):
            family = ontology.value(node, FOAF.familyName)
            given = ontology.value(node, FOAF.givenName)
            name = str(ontology.value(node, FOAF.name) or "")
            initial = str(given)[:1] if given else (name.split()[0][:1] if len(name.split()) > 1 else "")
            if family:
                families.setdefault(surname_key(str(family)), set()).add(node)
            if family and initial:
                seen.setdefault((surname_key(str(family)), fold(initial)), set()).add(node)
            elif family:
                seen.setdefault((surname_key(str(family)), ""), set()).add(node)
        self.by_key = {key: next(iter(nodes)) for key, nodes in seen.items()
                       if len(nodes) == 1 and (key[1] or len(families[key[0]]) == 1)}

    def find(self, name: str) -> URIRef | None:
        if "," not in name:
            return None
        family, given = (part.strip() for part in name.split(",", 1))
        initial = re.sub(r"[^A-Za-z]", "", fold(given))[:1]
        if not initial:
            return None
        return self.by_key.get((surname_key(family), initial)) or self.by_key.get((surname_key(family), ""))


def _agent_node(person: dict[str, Any], agents: Agents, initials: _Initials) -> tuple[URIRef, bool]:
    """The node of an author: the ontology's person or body when it knows the name, else our own
    (a body's node is named as graph.py names the bodies that author or publish a source)."""
    node, _, _, known = agents.resolve(person["name"])
    if person["kind"] == "organization":
        return (node if known else ORG[_slug(person["name"])]), known
    if known:
        return node, True
    found = initials.find(person["name"])
    return (found, True) if found is not None else (PERSON[person["id"]], False)


def person_node(person_id: str) -> URIRef:
    """The graph node of a person or body of citations.json: its id is the node's local name
    ("anne-edwards" → ckp:anne-edwards), a body's with "org-" before it ("org-dfes" → cko:dfes)."""
    return ORG[person_id.removeprefix("org-")] if person_id.startswith("org-") else PERSON[person_id]


def _node_id(node: URIRef) -> str:
    text = str(node)
    if text.startswith(str(ORG)):
        return "org-" + text[len(str(ORG)):]
    return text[len(str(PERSON)):] if text.startswith(str(PERSON)) else text.rsplit("/", 1)[-1]


def align_people(data: dict[str, Any], ontology: Graph) -> None:
    """Give each person and body of ``data`` (citations.json) the id of its node in the graph, so
    that the pages, the API and the graph name one person alike: the ontology's person or body when
    it knows them ("Edwards, A." → anne-edwards, "Department for Education and Skills" → org-dfes),
    else the id the citations gave. Records that come to one node are merged; the ids they had are
    kept as ``aliases`` (old links redirect). Mutates ``data``."""
    agents, initials = Agents(ontology), _Initials(ontology)
    renamed: dict[str, str] = {}
    people: dict[str, dict[str, Any]] = {}
    for pid, person in data.get("people", {}).items():
        node, known = _agent_node(person, agents, initials)
        new = _node_id(node)
        renamed[pid] = new
        target = people.get(new)
        if target is None:
            name = str(ontology.value(node, FOAF.name) or person["name"]) if known else person["name"]
            kind = "organization" if str(node).startswith(str(ORG)) else "person"
            target = people[new] = {**person, "id": new, "name": name, "kind": kind, "works": [], "aliases": []}
        target["works"] += [w for w in person["works"] if w not in target["works"]]
        if pid != new and pid not in target["aliases"]:
            target["aliases"].append(pid)
    for work in data.get("works", {}).values():
        authors, seen = [], set()
        for author in work.get("authors") or []:
            new = renamed.get(author["id"], author["id"])
            if new not in seen:
                seen.add(new)
                authors.append({**author, "id": new})
        work["authors"] = authors
    data["people"] = people


def _describe_work(graph: Graph, work: dict[str, Any], people: dict[str, dict[str, Any]], ontology: Graph,
                   renderings: list[str]) -> URIRef:
    node = work_node(work)
    if work.get("source_id"):
        return node            # a corpus source is described in its own graph
    graph.add((node, RDF.type, FABIO.Expression))
    graph.add((node, RDF.type, DCTERMS.BibliographicResource))
    if is_legislation(work):        # an Act of Parliament: a statute, not a book
        graph.add((node, RDF.type, BIBO.Legislation))
        graph.add((node, RDF.type, BIBO.Statute))
    graph.add((node, DCTERMS.identifier, Literal(work["id"])))
    if work.get("title"):
        graph.add((node, DCTERMS.title, Literal(work["title"])))
    if re.fullmatch(r"\d{4}", work.get("year") or ""):
        graph.add((node, FABIO.hasPublicationYear, Literal(work["year"], datatype=XSD.gYear)))
    elif re.fullmatch(r"\d{4}\s?[-–/]\s?\d{1,4}", work.get("year") or ""):     # a period, "2011-12": no xsd:gYear
        graph.add((node, DCTERMS.date, Literal(work["year"])))
    for raw in renderings:
        graph.add((node, DCTERMS.bibliographicCitation, Literal(raw)))
    for author in work.get("authors") or []:
        person = people.get(author["id"]) or {"id": author["id"], "name": author["name"], "kind": "person"}
        agent = person_node(person["id"])       # the id is the node's name (align_people at build time)
        graph.add((node, DCTERMS.creator, agent))
        if (agent, RDF.type, None) not in ontology:     # the ontology describes its own people
            graph.add((agent, RDF.type, FOAF.Organization if person["kind"] == "organization" else FOAF.Person))
            # one name once: the source's own metadata may have given it with another apostrophe
            if not any(_fold(str(name)) == _fold(person["name"]) for name in graph.objects(agent, FOAF.name)):
                graph.add((agent, FOAF.name, Literal(person["name"])))
    return node


def _choice(graph: Graph, node: URIRef, works: list[URIRef]) -> URIRef:
    """An oa:Choice of works (its as:items an RDF list, in the source's list order), its cells named
    after it so the graph needs no blank node."""
    graph.add((node, RDF.type, OA.Choice))
    cells = [URIRef(f"{node}/item/{n}") for n in range(1, len(works) + 1)]
    graph.add((node, AS.items, cells[0]))
    for cell, work, following in zip(cells, works, cells[1:] + [RDF.nil]):
        graph.add((cell, RDF.first, work))
        graph.add((cell, RDF.rest, following))
    return node


def _entry_nature(ref: dict[str, Any], studies: Any) -> tuple[URIRef, URIRef] | None:
    """What a list entry without authors is, when it is no publication: a letter kept on file among the
    sources that corroborate a claim ("[C1] Early Intervention Manager, … (letter on file)") is a
    personal communication; an entry naming a study the ontology describes ("[S1] NECF - National
    Evaluation of the Children's Fund … award") stands for that study. As a (predicate, object) pair."""
    if ref.get("authors"):
        return None
    if CORROBORATING_SECTION_RE.search(ref.get("section") or "") and LETTER_RE.search(ref.get("raw") or ""):
        return RDF.type, FABIO.PersonalCommunication
    title = ref.get("title") or ""
    for name in (ref.get("acronym"), title, title.split(":")[0]):
        study_id = studies.resolve(name) if name else None
        if study_id:
            return CK.standsForStudy, URIRef(studies.studies[study_id].uri)
    return None


def add_citations(dataset: Dataset, data: dict[str, Any], documents: dict[str, dict[str, Any]],
                  passages: dict[str, dict[str, Any]], agent: URIRef | None = None) -> int:
    """Add citation lineage to ``dataset`` (see the module doc); returns the number of triples added."""
    from .studies import StudyMatcher, study_labels

    before = len(dataset)
    ontology = dataset.graph(ONTOLOGY_GRAPH)
    studies = StudyMatcher(study_labels(ontology))
    works, people = data.get("works", {}), data.get("people", {})
    for source_id, doc in data.get("sources", {}).items():
        graph = dataset.graph(source_graph(source_id))
        if not len(graph):
            continue            # a source the graph does not hold
        source = SOURCE[source_id]
        text = (documents.get(source_id) or {}).get("text")
        cited: dict[str, list[str]] = {}
        natures: dict[str, tuple[URIRef, URIRef]] = {}      # work id → what its list entry says it is
        for ref in doc.get("references", []):
            if ref.get("work_id") in works:
                cited.setdefault(ref["work_id"], []).append(ref["raw"])
                nature = _entry_nature(ref, studies)
                if nature:
                    natures[ref["work_id"]] = nature
        for citation in doc.get("citations", []):
            if citation.get("work_id") in works:
                cited.setdefault(citation["work_id"], [])
        for wid, renderings in cited.items():
            node = _describe_work(graph, works[wid], people, ontology, renderings)
            if node != source:
                graph.add((source, CITO.cites, node))
                if wid in natures and not works[wid].get("source_id"):
                    graph.add((node, *natures[wid]))
        for citation in doc.get("citations", []):
            wid = citation.get("work_id")
            candidates = [c for c in citation.get("candidate_work_ids") or [] if c in works]
            passage = passages.get(citation.get("passage_id") or "")
            if (wid not in works and len(candidates) < 2) or passage is None or citation["end"] <= citation["start"]:
                continue
            cited_as = wid if wid in works else "|".join(candidates)
            digest = hashlib.sha1(f"{source_id}\0{citation['start']}\0{citation['end']}\0{cited_as}".encode()).hexdigest()[:12]
            node = ANNOTATION[f"{source_id}/citation/{digest}"]
            target = URIRef(f"{node}/target")
            graph.add((node, RDF.type, OA.Annotation))
            graph.add((node, RDF.type, CK.InTextCitation))
            graph.add((node, OA.motivatedBy, OA.linking))
            if wid in works:
                graph.add((node, OA.hasBody, work_node(works[wid])))
            else:       # "NECF (2004)" with 2004a and 2004b listed: one of them, the list does not say which
                graph.add((node, OA.hasBody, _choice(graph, URIRef(f"{node}/choice"), [work_node(works[c]) for c in candidates])))
            graph.add((node, OA.hasTarget, target))
            if agent is not None:
                graph.add((node, DCTERMS.creator, agent))
            if citation.get("context"):
                graph.add((node, CK.citingSentence, Literal(citation["context"])))
            if citation.get("page"):
                graph.add((node, CK.citedPage, Literal(str(citation["page"]))))
            if citation.get("key"):
                graph.add((node, CK.citationKey, Literal(citation["key"])))
            graph.add((target, RDF.type, OA.SpecificResource))
            graph.add((target, OA.hasSource, source))
            graph.add((target, OA.hasScope, PASSAGE[passage["passage_id"]]))
            start, end = citation["start"], citation["end"]
            exact = text[start:end] if text is not None else citation["surface"]
            prefix, suffix = _context(text, passage["text"], start, end, passage["start"])
            _selectors(graph, target, start, end, exact, prefix, suffix)
    return len(dataset) - before
