"""The knowledge graph: one RDF dataset per build, written as ``graph.nq`` into the release.

Named graphs:

* ``graph/ontology`` — ontology/schema.ttl + concepts.ttl + studies.ttl. Their blank nodes
  (definitions, coinages, evidence quotations) get stable IRIs made from their parent and a hash
  of their content (``…/concept/relational-agency/definition/1a2b3c4d5e``), so a definition can
  be linked to the passage it is quoted from and the dataset holds no blank nodes at all.
* ``graph/source/<source id>`` — one per source, so a source can be replaced alone: its
  bibliographic description, its file (prov:Entity), its passages (ck:Passage, each an
  oa:SpecificResource with an oa:TextPositionSelector and an oa:TextQuoteSelector), its concept
  and study mentions (oa:Annotation), the passages that define a concept (ck:definesConcept),
  and where each curated definition from this source is quoted (prov:wasQuotedFrom, ck:page).
* ``graph/build`` — PROV-O provenance of the build: the activity, the software, the corpus hash.

Entry points: :func:`build_graph` (plain data in, an rdflib Dataset out), :func:`write_graph`
(what ``ckg build`` calls), :func:`load_store` (the pyoxigraph store the web app queries) and
:func:`export`.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCMITYPE, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

from .vocab import (ANNOTATION, BIBO, BUILD, CK, CONCEPT, FABIO, FILE, GRAPH, OA, ORG, PASSAGE, PERSON, PREFIXES, TEXT,
                    SOURCE, VENUE)

GRAPH_FILE = "graph.nq"
STATS_FILE = "graph.json"
ONTOLOGY_GRAPH = GRAPH["ontology"]
BUILD_GRAPH = GRAPH["build"]
ONTOLOGY_FILES = ("schema.ttl", "concepts.ttl", "studies.ttl")
QUOTE_CONTEXT = 32          # characters of prefix and suffix in a TextQuoteSelector

DOCUMENT_TYPES: dict[str, tuple[URIRef, ...]] = {
    "journal article": (FABIO.JournalArticle, BIBO.AcademicArticle),
    "research report": (FABIO.ReportDocument, BIBO.Report),
    "presentation slides": (BIBO.Slideshow,),
    "book chapter": (FABIO.BookChapter, BIBO.Chapter),
    "impact case study": (CK.ImpactCaseStudy, FABIO.ReportDocument, BIBO.Report),
    "book": (FABIO.Book, BIBO.Book),
    "thesis": (FABIO.Thesis, BIBO.Thesis),
    "policy document": (CK.PolicyDocument, FABIO.ReportDocument, BIBO.Report),
}
MEDIA_TYPES = {"txt": "text/plain", "md": "text/markdown", "pdf": "application/pdf"}


def source_graph(source_id: str) -> URIRef:
    return GRAPH[f"source/{source_id}"]


# --- the ontology graph -------------------------------------------------------------------------

def ontology_graph(ontology_dir: str | Path) -> Graph:
    """schema.ttl + concepts.ttl + studies.ttl (those present), skolemised and typed."""
    graph = Graph()
    for name in ONTOLOGY_FILES:
        path = Path(ontology_dir) / name
        if path.exists():
            graph.parse(str(path), format="turtle")
    graph = skolemize(graph)
    for predicate, kind in ((SKOS.definition, CK.SourcedDefinition), (CK.sourcedDescription, CK.SourcedDescription)):
        for node in set(graph.objects(None, predicate)):
            if isinstance(node, URIRef) and graph.value(node, RDF.value) is not None:
                graph.add((node, RDF.type, kind))
    for node in set(graph.objects(None, CK.coinage)):
        graph.add((node, RDF.type, CK.Coinage))
    for node in set(graph.objects(None, CK.evidence)):
        if isinstance(node, URIRef):
            graph.add((node, RDF.type, CK.Quote))
    return graph


def skolemize(graph: Graph) -> Graph:
    """Blank nodes replaced by IRIs made from their parent, the linking property and their content.

    ``ckc:x skos:definition [ rdf:value "…" ]`` becomes ``<…/concept/x/definition/<hash>>``; the
    same content under the same parent gives the same IRI in every build.
    """
    mapping: dict[BNode, URIRef] = {}

    def content(node: BNode, seen: frozenset) -> str:
        parts = []
        for p, o in graph.predicate_objects(node):
            value = content(o, seen | {node}) if isinstance(o, BNode) and o not in seen else o.n3()
            parts.append(f"{p.n3()} {value}")
        return "\n".join(sorted(parts))

    def name(node: BNode, seen: frozenset = frozenset()) -> URIRef:
        if node in mapping:
            return mapping[node]
        parents = sorted((s, p) for s, p in graph.subject_predicates(node))
        digest = hashlib.sha256(content(node, frozenset()).encode("utf-8")).hexdigest()[:10]
        if parents and node not in seen:
            s, p = parents[0]
            base = name(s, seen | {node}) if isinstance(s, BNode) else s
            local = re.split(r"[#/]", str(p))[-1]
            iri = URIRef(f"{str(base).rstrip('/#')}/{local}/{digest}")
        else:
            iri = URIRef(f"https://w3id.org/common-knowledge/.well-known/genid/{digest}")
        mapping[node] = iri
        return iri

    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace)
    for s, p, o in graph:
        out.add((name(s) if isinstance(s, BNode) else s, p, name(o) if isinstance(o, BNode) else o))
    return out


# --- people and organisations -------------------------------------------------------------------

def _fold(text: str) -> str:
    from .index.text import fold

    return re.sub(r"[^\w]+", " ", fold(text).replace("’", "'")).strip()


class Agents:
    """foaf:Person / foaf:Organization of the ontology by name, so a source's creators are the same nodes."""

    def __init__(self, ontology: Graph):
        self.by_name: dict[str, URIRef] = {}
        for kind in (FOAF.Person, FOAF.Organization):
            for node in ontology.subjects(RDF.type, kind):
                for name in ontology.objects(node, FOAF.name):
                    self.by_name.setdefault(_fold(str(name)), node)
                family, given = ontology.value(node, FOAF.familyName), ontology.value(node, FOAF.givenName)
                if family and given:
                    self.by_name.setdefault(_fold(f"{given} {family}"), node)
        # a body cited by its acronym ("DfES 2005") is the body; names come first
        for node in ontology.subjects(RDF.type, FOAF.Organization):
            for acronym in ontology.objects(node, CK.acronym):
                self.by_name.setdefault(_fold(str(acronym)), node)

    def resolve(self, name: str) -> tuple[URIRef, URIRef, str, bool]:
        """(node, class, display name, known) for a "Surname, Given" person or a corporate name."""
        name = " ".join(name.split())
        if "," in name:
            family, given = (part.strip() for part in name.split(",", 1))
            display = f"{given} {family}".strip()
            node = self.by_name.get(_fold(display))
            return (node or PERSON[_slug(display)]), FOAF.Person, display, node is not None
        # "Home Office, The" and "The Home Office" are the Home Office: found and named without "The"
        bare = _without_article(name)
        node = self.by_name.get(_fold(name)) or self.by_name.get(_fold(bare))
        display = f"The {bare}" if bare != name else name
        return (node or ORG[_slug(bare)]), FOAF.Organization, display, node is not None


def _without_article(name: str) -> str:
    return re.sub(r"^(.+),\s*The$", r"\1", re.sub(r"^The\s+(?=\S)", "", name)).strip() or name


def _slug(text: str) -> str:
    # apostrophes go before folding: "Children's" and "Children’s" are one word, not "children-s"
    return re.sub(r"[^a-z0-9]+", "-", _fold(re.sub("['’‘`´ʼ]", "", text))).strip("-") or "unnamed"


# --- locating quotations ---------------------------------------------------------------------------

def _squash_map(text: str) -> tuple[str, list[int]]:
    """The text with everything but letters and digits dropped and case folded, and for each kept
    character its offset in the original text."""
    from .index.text import fold

    chars, offsets = [], []
    for i, ch in enumerate(text):
        folded = fold(ch)
        for c in folded:
            if c.isalnum():
                chars.append(c)
                offsets.append(i)
    return "".join(chars), offsets


def locate_quote(quote: str, text: str, squashed: tuple[str, list[int]] | None = None) -> tuple[int, int] | None:
    """(start, end) of a verbatim quotation in a text, ignoring case, punctuation and spacing."""
    target, _ = _squash_map(quote)
    if len(target) < 8:
        return None
    haystack, offsets = squashed or _squash_map(text)
    index = haystack.find(target)
    if index < 0:
        head = target[:120]
        index = haystack.find(head) if len(head) >= 40 else -1
        if index < 0:
            return None
        end = index + len(head)
    else:
        end = index + len(target)
    return offsets[index], offsets[min(end, len(offsets)) - 1] + 1


def page_at(offset: int, pages: list[dict[str, Any]], passage: dict[str, Any] | None) -> tuple[int | None, str | None]:
    for page in pages:
        if page["start"] <= offset < page["end"]:
            return page["number"], page.get("label")
    if passage is not None:
        return passage.get("page"), passage.get("page_label")
    return None, None


# --- the dataset ---------------------------------------------------------------------------------

def build_graph(
    *,
    ontology_dir: str | Path,
    sources: list[dict[str, Any]],
    passages: list[dict[str, Any]],
    links: dict[str, dict[str, Any]],
    documents: dict[str, dict[str, Any]] | None = None,
    files: dict[str, dict[str, str]] | None = None,
    build: dict[str, Any] | None = None,
    quotes: list[dict[str, Any]] | None = None,
) -> Dataset:
    """The dataset of a build from plain data.

    ``sources`` as in sources.json, ``passages`` as in passages.jsonl, ``links`` as in links.json,
    ``documents`` (optional) source id → {"text", "pages"} for quote context and exact pages,
    ``files`` (optional) source id → {"sha256", "path"}, ``build`` (optional) {"id", "started",
    "ended" (optional), "version", "corpus_hash"} for the provenance graph, ``quotes`` (optional) as in quotes.json.
    """
    from .studies import StudyMatcher, link_studies, study_labels

    documents = documents or {}
    files = files or {}
    build = build or {}
    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)

    ontology = ontology_graph(ontology_dir)
    target = dataset.graph(ONTOLOGY_GRAPH)
    for triple in ontology:
        target.add(triple)

    agents = Agents(ontology)
    matcher = StudyMatcher(study_labels(ontology))
    concept_ids = {str(c).rsplit("/", 1)[-1] for c in ontology.subjects(RDF.type, SKOS.Concept)}
    study_mentions = link_studies(passages, matcher)
    activity = BUILD[build["id"]] if build.get("id") else None
    agent = URIRef(f"https://w3id.org/common-knowledge/software/ckg/{build.get('version', 'unknown')}")

    # definitions of the curated scheme by source, to locate them in the passages
    definitions: dict[str, list[tuple[URIRef, str]]] = {}
    for node in [*ontology.subjects(RDF.type, CK.SourcedDefinition), *ontology.subjects(RDF.type, CK.SourcedDescription)]:
        source = ontology.value(node, DCTERMS.source)
        value = ontology.value(node, RDF.value)
        if source is not None and value is not None:
            definitions.setdefault(str(source).rsplit("/", 1)[-1], []).append((node, str(value)))

    by_source: dict[str, list[dict[str, Any]]] = {}
    for passage in passages:
        by_source.setdefault(passage["source_id"], []).append(passage)
    quotes_by_source: dict[str, list[dict[str, Any]]] = {}
    for found in quotes or []:
        quotes_by_source.setdefault(found["source_id"], []).append(found)
    passage_by_id = {p["passage_id"]: p for p in passages}

    for record in sources:
        sid = record["id"]
        graph = dataset.graph(source_graph(sid))
        source = SOURCE[sid]
        document = documents.get(sid) or {}
        text = document.get("text")
        _describe_source(graph, record, agents, matcher, files.get(sid))
        file_node = _file_node(record)
        pages = sorted(document.get("pages") or [], key=lambda p: p["start"])
        for passage in by_source.get(sid, []):
            _add_passage(graph, passage, source, file_node, text, activity)
            link = links.get(passage["passage_id"], {})
            node = PASSAGE[passage["passage_id"]]
            for concept_id in link.get("defines", []):
                if concept_id in concept_ids:
                    graph.add((node, CK.definesConcept, CONCEPT[concept_id]))
            for n, mention in enumerate(link.get("mentions", [])):
                if mention["concept_id"] in concept_ids:
                    _add_mention(graph, ANNOTATION[f"{passage['passage_id']}-c{n}"], CK.ConceptMention,
                                 CONCEPT[mention["concept_id"]], mention, passage, source, text, agent, activity)
            for n, found in enumerate(link.get("found_definitions", [])):
                if found["concept_id"] in concept_ids:
                    _add_found_definition(graph, ANNOTATION[f"{passage['passage_id']}-d{n}"], found, passage, source,
                                          text, pages, agent, activity)
            for found in link.get("found_labels", []):      # an abbreviation the source gives a concept's name
                if found["concept_id"] in concept_ids:
                    graph.add((CONCEPT[found["concept_id"]], SKOS.altLabel, Literal(found["label"], lang="en")))
            for n, mention in enumerate(study_mentions.get(passage["passage_id"], [])):
                study = URIRef(matcher.studies[mention["study_id"]].uri)
                graph.add((node, CK.mentionsStudy, study))
                _add_mention(graph, ANNOTATION[f"{passage['passage_id']}-s{n}"], CK.StudyMention, study,
                             mention, passage, source, text, agent, activity)
        _locate_definitions(graph, definitions.get(sid, []), by_source.get(sid, []), text, pages)
        for found in quotes_by_source.get(sid, []):
            passage = passage_by_id.get(found.get("passage_id"))
            if passage is not None:
                _add_quote(graph, found, passage, source, text, links.get(passage["passage_id"], {}), concept_ids,
                           matcher, agent, activity)

    if build:
        _provenance(dataset.graph(BUILD_GRAPH), build, agent, sources, files)
    return dataset


def _file_node(record: dict[str, Any]) -> URIRef:
    return FILE[quote(record.get("file") or record["id"], safe="/")]


def _describe_source(graph: Graph, record: dict[str, Any], agents: Agents, matcher, file_info) -> None:
    source = SOURCE[record["id"]]
    graph.add((source, RDF.type, CK.Source))
    for cls in DOCUMENT_TYPES.get(record.get("type") or "", (FABIO.Expression,)):
        graph.add((source, RDF.type, cls))
    graph.add((source, DCTERMS.identifier, Literal(record["id"])))
    graph.add((source, DCTERMS.title, Literal(record.get("title") or record.get("file") or record["id"])))
    if record.get("title_supplied"):
        graph.add((source, CK.titleSupplied, Literal(True)))
    if record.get("type"):
        graph.add((source, CK.typeName, Literal(record["type"])))
    graph.add((source, DCTERMS.type, DCMITYPE.Text))     # dcterms:type takes a class; the genre is its FaBiO class
    for name in record.get("authors") or []:
        if name and name.strip():
            _agent(graph, agents, name, source, DCTERMS.creator)
    for name in record.get("editors") or []:
        if name and name.strip():
            _agent(graph, agents, name, source, BIBO.editor)
    if record.get("year"):
        year = Literal(str(record["year"]), datatype=XSD.gYear)
        graph.add((source, FABIO.hasPublicationYear, year))
        graph.add((source, DCTERMS.issued, year))
    if record.get("venue"):
        venue = VENUE[_slug(record["venue"])]
        kind = {"book chapter": FABIO.Book, "journal article": FABIO.Journal}.get(record.get("type"), BIBO.Collection)
        graph.add((venue, RDF.type, kind))
        graph.add((venue, DCTERMS.title, Literal(record["venue"])))
        graph.add((source, DCTERMS.isPartOf, venue))
    if record.get("publisher"):
        _agent(graph, agents, record["publisher"].replace(",", " "), source, DCTERMS.publisher)
    if record.get("place"):
        graph.add((source, CK.publicationPlace, Literal(record["place"])))
    if record.get("pages"):
        graph.add((source, BIBO.pages, Literal(record["pages"])))
    url = (record.get("url") or "").strip()
    if re.match(r"https?://[^\s<>\"{}|\\^`]+$", url):
        graph.add((source, FABIO.hasURL, Literal(url, datatype=XSD.anyURI)))
    if record.get("note"):
        graph.add((source, RDFS.comment, Literal(record["note"], lang="en")))
    for label in record.get("studies") or []:
        study_id = matcher.resolve(label)
        if study_id:
            graph.add((source, DCTERMS.references, URIRef(matcher.studies[study_id].uri)))
    file_node = _file_node(record)
    graph.add((source, FABIO.hasManifestation, file_node))
    # the cleaned text the annotations' character positions count into (not the file's own characters)
    text_node = TEXT[quote(record["id"], safe="")]
    graph.add((source, CK.annotatedText, text_node))
    graph.add((text_node, RDF.type, PROV.Entity))
    graph.add((text_node, PROV.wasDerivedFrom, file_node))
    graph.add((text_node, DCTERMS.format, _media_type(graph, "text/plain")))
    graph.add((file_node, RDF.type, PROV.Entity))
    graph.add((file_node, RDF.type, FABIO.DigitalManifestation))
    graph.add((file_node, DCTERMS.title, Literal(record.get("file") or record["id"])))
    fmt = record.get("format") or Path(record.get("file") or "").suffix.lstrip(".").lower()
    if fmt in MEDIA_TYPES:
        graph.add((file_node, DCTERMS.format, _media_type(graph, MEDIA_TYPES[fmt])))
    if file_info and file_info.get("sha256"):
        graph.add((file_node, DCTERMS.identifier, Literal("sha256:" + file_info["sha256"])))
    # no `source prov:wasGeneratedBy build`: the build made this description (its named graph says so
    # in graph/build), not the article, report or slides it describes


def _media_type(graph: Graph, name: str) -> URIRef:
    """dcterms:format's value: a dcterms:MediaType, the IANA registry's IRI for the type ("text/plain"), as
    DCAT does, labelled with its name."""
    node = URIRef("https://www.iana.org/assignments/media-types/" + name)
    graph.add((node, RDF.type, DCTERMS.MediaType))
    graph.add((node, RDFS.label, Literal(name)))
    return node


def _agent(graph: Graph, agents: Agents, name: str, source: URIRef, predicate: URIRef) -> None:
    node, cls, display, known = agents.resolve(name)
    graph.add((source, predicate, node))
    if not known:      # a new person or organisation: described in this source's graph
        graph.add((node, RDF.type, cls))
        graph.add((node, FOAF.name, Literal(display)))


_MAX_QUOTE_CONTEXT = 1024      # characters each side, at most, to tell repeated text apart


def _context(text: str | None, local_text: str, start: int, end: int, local_start: int) -> tuple[str, str]:
    """Prefix and suffix of a span: from the source's text when known, else from the passage. In the
    source's text they are widened until prefix, words and suffix occur there once: a report that
    repeats a paragraph must not let the quote selector anchor on the other copy."""
    if text is not None:
        reach = QUOTE_CONTEXT
        while True:
            prefix, suffix = text[max(0, start - reach):start], text[end:end + reach]
            joined = prefix + text[start:end] + suffix
            first = text.find(joined)
            if (first == -1 or text.find(joined, first + 1) == -1) or reach >= _MAX_QUOTE_CONTEXT:
                return prefix, suffix
            reach *= 2
    a, b = start - local_start, end - local_start
    return local_text[max(0, a - QUOTE_CONTEXT):a], local_text[b:b + QUOTE_CONTEXT]


def _selectors(graph: Graph, node: URIRef, start: int, end: int, exact: str, prefix: str, suffix: str) -> None:
    position, quote_node = URIRef(f"{node}/position"), URIRef(f"{node}/quote")
    graph.add((node, OA.hasSelector, position))
    graph.add((position, RDF.type, OA.TextPositionSelector))
    # the Web Annotation vocabulary's range of oa:start / oa:end (anno.jsonld types them so too)
    graph.add((position, OA.start, Literal(int(start), datatype=XSD.nonNegativeInteger)))
    graph.add((position, OA.end, Literal(int(end), datatype=XSD.nonNegativeInteger)))
    graph.add((node, OA.hasSelector, quote_node))
    graph.add((quote_node, RDF.type, OA.TextQuoteSelector))
    graph.add((quote_node, OA.exact, Literal(exact)))
    if prefix:
        graph.add((quote_node, OA.prefix, Literal(prefix)))
    if suffix:
        graph.add((quote_node, OA.suffix, Literal(suffix)))


def _add_passage(graph: Graph, passage: dict[str, Any], source: URIRef, file_node: URIRef, text: str | None,
                 activity: URIRef | None) -> None:
    node = PASSAGE[passage["passage_id"]]
    graph.add((node, RDF.type, CK.Passage))
    # stated, not left to inference (the endpoint does none): WADM says a specific resource SHOULD carry it
    graph.add((node, RDF.type, OA.SpecificResource))
    graph.add((node, DCTERMS.identifier, Literal(passage["passage_id"])))
    graph.add((node, OA.hasSource, source))
    graph.add((node, RDF.value, Literal(passage["text"])))
    if passage.get("page") is not None:
        graph.add((node, CK.page, Literal(int(passage["page"]))))
    if passage.get("page_label"):
        graph.add((node, CK.pageLabel, Literal(str(passage["page_label"]))))
    if passage.get("heading"):
        graph.add((node, CK.heading, Literal(passage["heading"])))
    graph.add((node, CK.passageKind, Literal(passage.get("kind") or "text")))
    graph.add((node, PROV.wasDerivedFrom, file_node))
    if activity is not None:
        graph.add((node, PROV.wasGeneratedBy, activity))
    exact = text[passage["start"]:passage["end"]] if text is not None else passage["text"]
    prefix, suffix = _context(text, passage["text"], passage["start"], passage["end"], passage["start"])
    _selectors(graph, node, passage["start"], passage["end"], exact, prefix, suffix)


def _add_quote(graph: Graph, found: dict[str, Any], passage: dict[str, Any], source: URIRef, text: str | None,
               link: dict[str, Any], concept_ids: set[str], matcher, agent: URIRef, activity: URIRef | None) -> None:
    """A quotation found by the quote finder: its words, anchors, passage, page, speaker, concepts, study."""
    node = ANNOTATION[found["quote_id"]]
    participant = found.get("kind") == "participant"
    graph.add((node, RDF.type, CK.Quote))
    graph.add((node, RDF.type, CK.ParticipantQuote if participant else CK.LiteratureQuote))
    graph.add((node, RDF.type, OA.SpecificResource))
    graph.add((node, DCTERMS.identifier, Literal(found["quote_id"])))
    start, end = int(found["start"]), int(found["end"])
    _add_quoted_span(graph, node, found["text"], start, end, passage, source, text, agent, activity)
    if found.get("page") is not None:
        graph.add((node, CK.page, Literal(int(found["page"]))))
    if participant:
        if found.get("speaker"):
            graph.add((node, CK.speaker, Literal(found["speaker"])))
        if found.get("speaker_role"):
            graph.add((node, CK.speakerRole, Literal(found["speaker_role"])))
        study_id = matcher.resolve(found["study"]) if found.get("study") else None
        if study_id:
            graph.add((node, CK.fromStudy, URIRef(matcher.studies[study_id].uri)))
    elif found.get("cited"):
        graph.add((node, CK.citedAs, Literal(found["cited"])))
    for mention in link.get("mentions", []):     # the concepts named inside the quotation
        if start <= mention["start"] and mention["end"] <= end and mention["concept_id"] in concept_ids:
            graph.add((node, DCTERMS.subject, CONCEPT[mention["concept_id"]]))


def _add_found_definition(graph: Graph, node: URIRef, found: dict[str, Any], passage: dict[str, Any], source: URIRef,
                          text: str | None, pages: list[dict[str, Any]], agent: URIRef, activity: URIRef | None) -> None:
    """A sentence found to say what a concept is (not curated): its words, anchors, passage, page, concept."""
    concept = CONCEPT[found["concept_id"]]
    graph.add((concept, CK.foundDefinition, node))
    graph.add((node, RDF.type, CK.FoundDefinition))
    graph.add((node, RDF.type, OA.SpecificResource))
    graph.add((node, DCTERMS.subject, concept))
    start, end = int(found["start"]), int(found["end"])
    _add_quoted_span(graph, node, found["text"], start, end, passage, source, text, agent, activity)
    page, label = page_at(start, pages, passage)
    if page is not None:
        graph.add((node, CK.page, Literal(int(page))))
    if label:
        graph.add((node, CK.pageLabel, Literal(str(label))))


def _add_quoted_span(graph: Graph, node: URIRef, value: str, start: int, end: int, passage: dict[str, Any],
                     source: URIRef, text: str | None, agent: URIRef, activity: URIRef | None) -> None:
    """What every span quoted from a source carries: its words, source, passage, maker and both selectors."""
    graph.add((node, RDF.value, Literal(value)))
    graph.add((node, DCTERMS.source, source))
    graph.add((node, OA.hasSource, source))
    graph.add((node, PROV.wasQuotedFrom, PASSAGE[passage["passage_id"]]))
    graph.add((node, DCTERMS.creator, agent))
    if activity is not None:
        graph.add((node, PROV.wasGeneratedBy, activity))
    exact = text[start:end] if text is not None else value
    prefix, suffix = _context(text, passage["text"], start, end, passage["start"])
    _selectors(graph, node, start, end, exact, prefix, suffix)


def _add_mention(graph: Graph, node: URIRef, cls: URIRef, body: URIRef, mention: dict[str, Any],
                 passage: dict[str, Any], source: URIRef, text: str | None, agent: URIRef,
                 activity: URIRef | None) -> None:
    target = URIRef(f"{node}/target")
    graph.add((node, RDF.type, OA.Annotation))
    graph.add((node, RDF.type, cls))
    graph.add((node, OA.motivatedBy, OA.identifying))
    graph.add((node, OA.hasBody, body))
    graph.add((node, OA.hasTarget, target))
    graph.add((node, DCTERMS.creator, agent))
    if activity is not None:
        graph.add((node, PROV.wasGeneratedBy, activity))
    graph.add((target, RDF.type, OA.SpecificResource))
    graph.add((target, OA.hasSource, source))
    graph.add((target, OA.hasScope, PASSAGE[passage["passage_id"]]))
    start, end = mention["start"], mention["end"]
    exact = text[start:end] if text is not None else mention["surface"]
    prefix, suffix = _context(text, passage["text"], start, end, passage["start"])
    _selectors(graph, target, start, end, exact, prefix, suffix)


def _locate_definitions(graph: Graph, definitions: list[tuple[URIRef, str]], passages: list[dict[str, Any]],
                        text: str | None, pages: list[dict[str, Any]]) -> None:
    """Each curated definition of this source: the passage it is quoted from and its page (``pages``
    sorted by start)."""
    if not definitions or not passages:
        return
    squashed = _squash_map(text) if text is not None else None
    ordered = sorted(passages, key=lambda p: p["start"])
    for node, value in definitions:
        found = None
        if text is not None:
            span = locate_quote(value, text, squashed)
            if span:
                found = (span[0], next((p for p in ordered if p["start"] <= span[0] < p["end"]), None))
        else:
            for passage in ordered:
                span = locate_quote(value, passage["text"])
                if span:
                    found = (passage["start"] + span[0], passage)
                    break
        if not found or found[1] is None:
            continue
        offset, passage = found
        page, label = page_at(offset, pages, passage)
        graph.add((node, PROV.wasQuotedFrom, PASSAGE[passage["passage_id"]]))
        if page is not None:
            graph.add((node, CK.page, Literal(int(page))))
        if label:
            graph.add((node, CK.pageLabel, Literal(str(label))))


def _provenance(graph: Graph, build: dict[str, Any], agent: URIRef, sources: list[dict[str, Any]],
                files: dict[str, dict[str, str]]) -> None:
    activity = BUILD[build["id"]]
    graph.add((activity, RDF.type, PROV.Activity))
    graph.add((activity, RDFS.label, Literal(f"ckg build {build['id']}")))
    graph.add((activity, PROV.startedAtTime, Literal(build["started"], datatype=XSD.dateTime)))
    if build.get("ended"):      # a build still running when its graph is written has no end yet (record_build_end)
        graph.add((activity, PROV.endedAtTime, Literal(build["ended"], datatype=XSD.dateTime)))
    graph.add((activity, PROV.wasAssociatedWith, agent))
    graph.add((activity, CK.corpusHash, Literal(build.get("corpus_hash") or "")))
    graph.add((agent, RDF.type, PROV.SoftwareAgent))
    graph.add((agent, RDFS.label, Literal(f"ckg {build.get('version', 'unknown')}")))
    graph.add((agent, OWL.versionInfo, Literal(str(build.get("version", "unknown")))))
    for record in sources:
        graph.add((activity, PROV.used, _file_node(record)))
        named = source_graph(record["id"])
        graph.add((named, PROV.wasGeneratedBy, activity))
        graph.add((named, DCTERMS.source, SOURCE[record["id"]]))
    graph.add((ONTOLOGY_GRAPH, PROV.wasGeneratedBy, activity))


# --- writing and reading ---------------------------------------------------------------------------

def _timestamp(moment: datetime | str | None) -> str:
    """An xsd:dateTime lexical form (UTC, milliseconds) of ``moment`` (now when None)."""
    if isinstance(moment, str):
        return moment
    return (moment or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="milliseconds")


def write_graph(release: str | Path, *, ontology_dir: str | Path, sources: list[dict[str, Any]],
                passages: list[dict[str, Any]], corpus=None, version: str = "", validate: bool = False,
                build_started: datetime | str | None = None) -> dict[str, Any]:
    """Build the dataset of a release (reads its links.json and documents/) and write graph.nq and graph.json.

    ``build_started`` is when the build began (prov:startedAtTime of the build activity; now when not
    given). The build goes on after its graph is written, so the graph holds no prov:endedAtTime
    until :func:`record_build_end` adds it when the build is over.
    """
    from .corpus import _file_hash

    started = time.monotonic()
    release = Path(release)
    links_path = release / "links.json"
    links = json.loads(links_path.read_text(encoding="utf-8")) if links_path.exists() else {}
    documents = {}
    for record in sources:
        path = release / "documents" / f"{record['id']}.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            documents[record["id"]] = {"text": data.get("text"), "pages": data.get("pages") or []}
    files: dict[str, dict[str, str]] = {}
    if corpus is not None:
        for path, meta in corpus.files:
            files[meta.id] = {"sha256": _file_hash(path)}
    name = release.name.removeprefix(".partial-")
    build = {
        "id": name,
        "started": _timestamp(build_started),
        "version": version,
        "corpus_hash": getattr(corpus, "corpus_hash", ""),
    }
    quotes_path = release / "quotes.json"
    quotes = json.loads(quotes_path.read_text(encoding="utf-8")) if quotes_path.exists() else []
    dataset = build_graph(ontology_dir=ontology_dir, sources=sources, passages=passages, links=links,
                          documents=documents, files=files, build=build, quotes=quotes)
    citations_path = release / "citations.json"
    citations_error = ""
    if citations_path.exists():      # citation lineage (kg/citation_graph.py): cito:cites, works, in-text pointers
        from .citation_graph import add_citations

        try:
            add_citations(dataset, json.loads(citations_path.read_text(encoding="utf-8")), documents,
                          {p["passage_id"]: p for p in passages},
                          URIRef(f"https://w3id.org/common-knowledge/software/ckg/{version or 'unknown'}"))
        except Exception as exc:  # a broken citations.json must not lose the rest of the graph
            citations_error = f"{type(exc).__name__}: {exc}"
    dataset.serialize(destination=str(release / GRAPH_FILE), format="nquads", encoding="utf-8")
    stats: dict[str, Any] = {
        "file": GRAPH_FILE,
        "quads": sum(1 for _ in dataset.quads((None, None, None, None))),     # len() counts distinct triples
        "graphs": sorted(str(g.identifier) for g in dataset.graphs() if len(g)),
        "seconds": 0.0,
    }
    if citations_error:
        stats["citations_error"] = citations_error
    if validate:
        conforms, report = validate_dataset(dataset, ontology_dir)
        stats["shacl"] = {"conforms": conforms, "warnings": report.count("Severity: sh:Warning"),
                          "report": report if not conforms else ""}
    stats["seconds"] = round(time.monotonic() - started, 3)
    (release / STATS_FILE).write_text(json.dumps(stats, indent=1), encoding="utf-8")
    return stats


def record_build_end(release: str | Path, ended: datetime | str | None = None) -> str | None:
    """Add the build's prov:endedAtTime (``ended``, now when None) to the graph.nq of ``release``
    once the build is over, and count it in graph.json; the end time given, or None when the
    release has no graph."""
    release = Path(release)
    path = release / GRAPH_FILE
    if not path.exists():
        return None
    stamp = _timestamp(ended)
    activity = BUILD[release.name.removeprefix(".partial-")]
    quad = (f"<{activity}> <{PROV.endedAtTime}> {Literal(stamp, datatype=XSD.dateTime).n3()} <{BUILD_GRAPH}> .\n")
    with path.open("rb+") as handle:     # N-Quads is a line per quad: appending one is enough
        handle.seek(0, 2)
        if handle.tell():
            handle.seek(-1, 2)
            if handle.read(1) != b"\n":
                quad = "\n" + quad
        handle.write(quad.encode("utf-8"))
    stats_path = release / STATS_FILE
    if stats_path.exists():
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        stats["quads"] = stats.get("quads", 0) + 1
        stats_path.write_text(json.dumps(stats, indent=1), encoding="utf-8")
    return stamp


def union_graph(dataset: Dataset) -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def validate_dataset(dataset: Dataset, ontology_dir: str | Path) -> tuple[bool, str]:
    """SHACL validation (ontology/shapes.ttl) of the union of all graphs: (conforms, report text)."""
    import pyshacl

    # absolute: rdflib reads a relative path that does not exist against the current folder's parent
    shapes = Graph().parse(str(Path(ontology_dir).absolute() / "shapes.ttl"), format="turtle")
    conforms, _, text = pyshacl.validate(union_graph(dataset), shacl_graph=shapes, inference="none",
                                         advanced=True, allow_warnings=True)
    return bool(conforms), str(text)


def read_dataset(path: str | Path) -> Dataset:
    dataset = Dataset()
    dataset.parse(str(path), format="nquads")
    return dataset


def load_store(path: str | Path, *, merge_default: bool = True):
    """A pyoxigraph in-memory store holding the dataset of ``path`` (graph.nq).

    With ``merge_default`` the store's default graph also holds the RDF merge of all named graphs:
    each triple once, however many graphs state it. oxigraph's own union default graph
    (``use_default_graph_as_union``) is a bag, one match per graph, which doubled rows and counts
    for triples two sources share. ``GRAPH ?g`` still ranges over the named graphs only.
    """
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)
    if merge_default:
        default = pyoxigraph.DefaultGraph()
        # a set: adding a triple the default graph already holds is a no-op
        store.extend([pyoxigraph.Quad(q.subject, q.predicate, q.object, default)
                      for q in store.quads_for_pattern(None, None, None)])
    return store


# --- export ---------------------------------------------------------------------------------------

EXPORT_FORMATS = {
    # name: (media type, file extension, whole dataset?)
    "nquads": ("application/n-quads", "nq", True),
    "trig": ("application/trig", "trig", True),
    "turtle": ("text/turtle", "ttl", False),
    "json-ld": ("application/ld+json", "jsonld", False),
}


def jsonld(triples: list | Graph) -> bytes:
    """pyoxigraph triples (or an rdflib graph) as JSON-LD compacted with the project's prefixes as its
    ``@context``.

    pyoxigraph writes expanded JSON-LD only (every key a full IRI, no context); a reader of JSON-LD
    expects ``"skos:prefLabel"``, not ``"http://www.w3.org/2004/02/skos/core#prefLabel"``.
    """
    graph = triples if isinstance(triples, Graph) else Graph()
    if triples and not isinstance(triples, Graph):
        import pyoxigraph

        graph.parse(data=pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES), format="nt")
    return graph.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True, encoding="utf-8")


def graph_name(name: str | None) -> URIRef | None:
    """``ontology``, ``build``, a source id, or a full graph IRI → the named graph IRI."""
    if not name:
        return None
    if name.startswith(("http://", "https://")):
        return URIRef(name)
    if name in ("ontology", "build"):
        return GRAPH[name]
    return source_graph(name)


def export(path: str | Path, fmt: str, graph: str | None = None) -> bytes:
    """The dataset of ``path`` in ``fmt``.

    N-Quads and TriG hold every named graph. Turtle and JSON-LD hold one graph: the union of all
    named graphs (each triple once), or with ``graph`` only that named graph (``ontology``,
    ``build`` or a source id). With ``graph``, N-Quads and TriG hold that named graph alone.
    """
    import pyoxigraph

    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")
    from .library import READ_ERRORS, LibraryError, damaged

    # read the file itself, not a store: a store normalises some literals (derived integer types)
    try:
        quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS))
    except READ_ERRORS as exc:      # a damaged graph.nq: named, with "rebuild with `ckg build`"
        raise damaged(Path(path), exc) from None
    if not quads:                   # a build's graph holds at least the ontology: an empty file was cut short
        raise LibraryError(f"{path} is damaged or unreadable (it holds no statements); rebuild with `ckg build`")
    selected = graph_name(graph)
    if selected is not None:
        name = pyoxigraph.NamedNode(str(selected))
        quads = [q for q in quads if q.graph_name == name]
        if not quads:
            raise KeyError(f"the dataset has no graph {graph!r}")
    prefixes = dict(PREFIXES)
    if EXPORT_FORMATS[fmt][2]:
        rdf_format = pyoxigraph.RdfFormat.N_QUADS if fmt == "nquads" else pyoxigraph.RdfFormat.TRIG
        return pyoxigraph.serialize(sorted(quads, key=str), format=rdf_format,
                                    **({} if fmt == "nquads" else {"prefixes": prefixes}))
    triples = sorted({q.triple for q in quads}, key=str)
    if fmt == "json-ld":
        return jsonld(triples)
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE, prefixes=prefixes)
