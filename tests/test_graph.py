"""The knowledge graph: vocabulary, SHACL, named graphs, passages and annotations, located
definitions, study links, provenance, export round trips, and the concept/study JSON API.

Most tests read the build of tests/data/graph (conftest.graph_build), whose texts quote curated
definitions on known pages; SHACL is also checked on the tiny corpus's build.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.graph import GRAPH_FILE, build_graph, export, read_dataset, source_graph, union_graph, validate_dataset
from kg.vocab import BIBO, CK, CONCEPT, FABIO, OA, ORG, PASSAGE, PERSON, SOURCE, STUDY, ck_terms

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
CKG = [sys.executable, "-m", "kg.cli"]


@pytest.fixture(scope="module")
def dataset(graph_build) -> Dataset:
    return read_dataset(graph_build / "current" / GRAPH_FILE)


@pytest.fixture(scope="module")
def union(dataset) -> Graph:
    return union_graph(dataset)


@pytest.fixture(scope="module")
def glib(graph_build):
    from kg.library import Library

    return Library(graph_build)


# --- vocabulary and schema -------------------------------------------------------------------------

def test_defined_namespace_and_schema_declare_the_same_terms():
    schema = Graph().parse(str(ONTOLOGY / "schema.ttl"))
    declared = {str(s) for s in schema.subjects(RDF.type, None) if str(s).startswith(str(CK._NS))}
    assert declared == ck_terms()
    for term in declared:        # each with a label and a comment
        assert schema.value(URIRef(term), RDFS.label) is not None, term
        assert schema.value(URIRef(term), RDFS.comment) is not None, term


def test_project_terms_name_their_standard_near_equivalents():
    """A ck: term that narrows a standard one says so, so that a reasoner or a reader knows the funder is
    FRAPO's, the membership W3C ORG's (SPARQL audit, suggestion 20)."""
    schema = Graph().parse(str(ONTOLOGY / "schema.ttl"))
    assert (CK.funder, RDFS.subPropertyOf, URIRef("http://purl.org/cerif/frapo/isFundedBy")) in schema
    assert (CK.memberOf, RDFS.subPropertyOf, URIRef("http://www.w3.org/ns/org#memberOf")) in schema
    assert (CK.affiliation, RDFS.subPropertyOf, URIRef("https://schema.org/affiliation")) in schema
    assert (CK.InTextCitation, RDFS.seeAlso, URIRef("http://purl.org/spar/c4o/InTextReferencePointer")) in schema


def test_a_misspelt_term_raises():
    with pytest.raises(AttributeError):
        CK.definesConcpet  # noqa: B018
    with pytest.raises(AttributeError):
        OA.hasTraget  # noqa: B018


def test_every_ck_term_the_curated_files_and_the_graph_use_is_declared(union):
    used = {str(t) for triple in union for t in triple if isinstance(t, URIRef) and str(t).startswith(str(CK._NS))}
    assert used <= ck_terms(), used - ck_terms()


# --- SHACL -----------------------------------------------------------------------------------------

def test_built_graph_conforms_to_the_shapes(dataset, graph_build):
    conforms, report = validate_dataset(dataset, ONTOLOGY)
    assert conforms, report
    stats = json.loads((graph_build / "current" / "graph.json").read_text())
    # quads, not distinct triples (len() of a dataset): a triple stated in two source graphs counts twice
    quads = sum(1 for _ in dataset.quads((None, None, None, None)))
    assert stats["shacl"]["conforms"] is True and stats["quads"] == quads
    # the curated definitions quoting the three seed sources this corpus leaves out: warned of, not failed
    assert stats["shacl"]["warnings"] > 0


def test_a_quote_selector_is_unique_in_its_source_even_where_the_text_repeats_itself():
    # the NECF report repeats paragraphs: a 32-character prefix and suffix matched another copy, so a
    # client anchoring by the quote selector landed on the wrong one
    from kg.graph import _context

    repeated = "The Children’s Fund was set up to move forward interagency co-operation and child and family-led services."
    text = f"Introduction. {repeated} Then other things happened.\n\nSummary. {repeated} Then other things happened."
    second = text.rindex("interagency co-operation")
    prefix, suffix = _context(text, "", second, second + len("interagency co-operation"), 0)
    joined = prefix + "interagency co-operation" + suffix
    assert text.count(joined) == 1 and text.index(joined) + len(prefix) == second
    once = text.index("Summary")
    assert _context(text, "", once, once + 7, 0) == (text[max(0, once - 32):once], text[once + 7:once + 39])


def test_annotation_positions_count_into_the_text_the_graph_names_and_the_app_serves(union, gclient):
    # Web Annotation: a TextPositionSelector counts into the text of its source. The offsets are in the
    # cleaned text, not the file's: the graph names that text (ck:annotatedText, derived from the file)
    # and /sources/<id>/text serves it, where every selector's positions give its exact words
    from rdflib.namespace import PROV, RDF

    from kg.vocab import CK, OA, SOURCE

    # every passage is a specific resource of its source, stated (the endpoint infers nothing)
    assert set(union.subjects(RDF.type, CK.Passage)) <= set(union.subjects(RDF.type, OA.SpecificResource))
    checked = 0
    for source in set(union.subjects(RDF.type, CK.Source)):
        (text_node,) = list(union.objects(source, CK.annotatedText))
        assert (text_node, RDF.type, PROV.Entity) in union
        assert set(union.objects(text_node, PROV.wasDerivedFrom)) == set(union.objects(source, FABIO.hasManifestation))
        served = gclient.get(f"/sources/{str(source)[len(str(SOURCE)):]}/text")
        assert served.status_code == 200 and served.mimetype == "text/plain"
        text = served.get_data(as_text=True)
        for target in list(union.subjects(OA.hasSource, source))[:40]:
            for selector in union.objects(target, OA.hasSelector):
                start, end = union.value(selector, OA.start), union.value(selector, OA.end)
                if start is None:
                    continue
                exact = next(union.objects(target, OA.hasSelector / OA.exact), None)
                if exact is not None:
                    assert text[int(start):int(end)] == str(exact)
                    checked += 1
    assert checked > 20
    missing = gclient.get("/sources/no-such-source/text")       # a data endpoint: its error is JSON
    assert missing.status_code == 404 and "no-such-source" in missing.get_json()["error"]["message"]


def test_tiny_corpus_graph_conforms_too(tiny_build):
    conforms, report = validate_dataset(read_dataset(tiny_build / "current" / GRAPH_FILE), ONTOLOGY)
    assert conforms, report


def test_shapes_catch_a_broken_graph(dataset):
    broken = Dataset()
    for quad in dataset.quads((None, None, None, None)):
        broken.add(quad)
    graph = broken.graph(source_graph("chat-resilience-article"))
    passage = next(graph.subjects(RDF.type, CK.Passage))
    graph.remove((passage, RDF.value, None))                                      # a passage without text
    concept = CONCEPT["relational-agency"]
    broken.graph(URIRef("https://w3id.org/common-knowledge/graph/ontology")).add(
        (concept, SKOS.prefLabel, Literal("second preferred label", lang="en")))  # two prefLabels
    oa = "http://www.w3.org/ns/oa#"
    selector = next(s for s in graph.objects(passage, URIRef(oa + "hasSelector"))
                    if (s, RDF.type, URIRef(oa + "TextQuoteSelector")) in graph)
    graph.remove((selector, URIRef(oa + "exact"), None))                            # a quote selector without its text
    conforms, report = validate_dataset(broken, ONTOLOGY)
    assert not conforms
    assert "A passage has its text" in report and "exactly one English preferred label" in report
    assert f"<{selector}>->oa:exact" in report


def test_shapes_catch_what_breaks_the_meaning(dataset, graph_build):
    """Corruptions that keep the graph's structure but make it say something false (audit 21, finding 9)."""
    from datetime import timedelta

    broken = Dataset()
    for quad in dataset.quads((None, None, None, None)):
        broken.add(quad)
    ontology = broken.graph(URIRef("https://w3id.org/common-knowledge/graph/ontology"))
    source = broken.graph(source_graph("chat-resilience-article"))
    union = union_graph(broken)
    agency, relational = CONCEPT["agency"], CONCEPT["relational-agency"]
    assert (relational, SKOS.broader, agency) in union
    ontology.add((relational, SKOS.altLabel, Literal("relational agency", lang="en")))      # = its prefLabel (S13)
    ontology.add((relational, SKOS.related, agency))                                          # related to its broader (S27)
    ontology.add((agency, SKOS.broader, relational))                                          # a broader cycle
    # a located curated definition said to come from a source the graph does not have
    definition = next(d for d in union.subjects(PROV.wasQuotedFrom, None) if (d, RDF.type, CK.SourcedDefinition) in union)
    ontology.remove((definition, DCTERMS.source, None))
    ontology.add((definition, DCTERMS.source, SOURCE["no-such-source"]))
    mention = next(source.subjects(RDF.type, CK.ConceptMention))
    source.remove((mention, OA.motivatedBy, None))
    source.add((mention, OA.motivatedBy, Literal("identifying")))                             # a literal motivation
    found = next(source.objects(CONCEPT["resourceful-practice"], CK.foundDefinition))
    source.remove((found, CK.page, None))
    source.add((found, CK.page, Literal(-5)))                                                 # page -5
    passage = next(source.subjects(RDF.type, CK.Passage))
    source.remove((passage, RDF.value, None))
    source.add((passage, RDF.value, Literal("not the passage")))                              # ≠ its oa:exact
    position = next(source.subjects(RDF.type, OA.TextPositionSelector))
    end = source.value(position, OA.end)
    source.remove((position, OA.end, None))
    source.add((position, OA.end, Literal(int(end))))                                         # xsd:integer, not the range
    build = broken.graph(URIRef("https://w3id.org/common-knowledge/graph/build"))
    activity = next(build.subjects(CK.corpusHash, None))
    started = build.value(activity, PROV.startedAtTime).toPython()
    build.remove((activity, PROV.endedAtTime, None))
    build.add((activity, PROV.endedAtTime, Literal(started - timedelta(hours=1))))             # ended before it began
    conforms, report = validate_dataset(broken, ONTOLOGY)
    assert not conforms
    for message in ["A concept's preferred label is not also one of its alternative or hidden labels (SKOS S13).",
                    "A concept is not skos:related to one of its broader concepts, however far up (SKOS S27).",
                    "A concept's narrower concept is not also above it: the skos:broader links make a cycle.",
                    "names that passage's source, a source of the graph, as its dcterms:source.",
                    "An annotation's motivation is an IRI, a Web Annotation motivation",
                    "A page number is a whole number from 1, given once.",
                    "A passage's text is the exact text of its TextQuoteSelector.",
                    "Value is not Literal with datatype xsd:nonNegativeInteger",
                    "A build starts once, and not after it ends.",
                    "a source left out of the corpus, or a misspelt source id?"]:
        assert message in report, message
    # the unbroken graph conforms (test_built_graph_conforms_to_the_shapes): these fired on the corruptions alone


# --- the dataset ------------------------------------------------------------------------------------

def test_one_named_graph_per_source_plus_ontology_and_build(dataset):
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert {str(source_graph("chat-resilience-article")), str(source_graph("oxford-ref2014-impact")),
            "https://w3id.org/common-knowledge/graph/ontology", "https://w3id.org/common-knowledge/graph/build"} == names
    assert not any(isinstance(t, type(None)) for t in names)
    # no blank nodes anywhere: the curated files' blank nodes got stable IRIs
    from rdflib import BNode
    assert not any(isinstance(t, BNode) for q in dataset.quads((None, None, None, None)) for t in q[:3])


def test_a_source_graph_can_be_replaced_alone(dataset):
    copy = Dataset()
    for quad in dataset.quads((None, None, None, None)):
        copy.add(quad)
    before = len(copy.graph(source_graph("oxford-ref2014-impact")))
    copy.remove_graph(copy.graph(source_graph("chat-resilience-article")))
    assert len(copy.graph(source_graph("oxford-ref2014-impact"))) == before
    assert (CONCEPT["relational-agency"], RDF.type, SKOS.Concept) in union_graph(copy)
    assert not list(union_graph(copy).subjects(OA.hasSource, SOURCE["chat-resilience-article"]))


def test_source_description(dataset):
    graph = dataset.graph(source_graph("chat-resilience-article"))
    source = SOURCE["chat-resilience-article"]
    types = set(graph.objects(source, RDF.type))
    assert {CK.Source, URIRef("http://purl.org/spar/fabio/JournalArticle")} <= types
    assert str(graph.value(source, DCTERMS.title)).startswith("[Relational work")
    assert graph.value(source, CK.titleSupplied) == Literal(True)
    assert graph.value(source, URIRef("http://purl.org/spar/fabio/hasPublicationYear")) == Literal("2009", datatype=XSD.gYear)
    # creators are the people of studies.ttl, matched by name
    assert set(graph.objects(source, DCTERMS.creator)) == {PERSON["anne-edwards"], PERSON["harry-daniels"]}
    assert set(graph.objects(source, DCTERMS.references)) == {STUDY["necf"], STUDY["liw"]}
    impact = dataset.graph(source_graph("oxford-ref2014-impact"))
    assert (SOURCE["oxford-ref2014-impact"], RDF.type, CK.ImpactCaseStudy) in impact
    assert impact.value(SOURCE["oxford-ref2014-impact"], DCTERMS.creator) == ORG["university-of-oxford"]
    assert {STUDY["diw"], STUDY["resourceful-leadership"]} <= set(impact.objects(SOURCE["oxford-ref2014-impact"], DCTERMS.references))


def test_types_formats_and_notations_take_the_values_their_vocabularies_expect(union):
    """dcterms:type takes a class (DCMI Type: a source is dcmitype:Text; the words, "journal article" or
    "green paper", are ck:typeName), dcterms:format a dcterms:MediaType (the IANA registry's IRI) and a
    prevention level's skos:notation a typed literal of its notation system (SKOS §6.5.1: audit 21)."""
    from rdflib.namespace import DCMITYPE

    types = list(union.objects(None, DCTERMS.type))
    assert types and all(isinstance(t, URIRef) for t in types), [t for t in types if not isinstance(t, URIRef)]
    assert union.value(SOURCE["chat-resilience-article"], DCTERMS.type) == DCMITYPE.Text
    assert union.value(SOURCE["chat-resilience-article"], CK.typeName) == Literal("journal article")
    assert union.value(STUDY["necf"], CK.typeName) == Literal("commissioned national evaluation")
    # one convention per property: titles and kinds are plain strings wherever they come from (a study's
    # title was "…"@en and a source's plain, so FILTER(?title = "…") missed the studies: audit 21)
    for predicate in (DCTERMS.title, CK.typeName):
        tagged = [o for o in union.objects(None, predicate) if getattr(o, "language", None)]
        assert not tagged, (predicate, tagged[:3])
    formats = list(union.objects(None, DCTERMS.format))
    assert formats and all(isinstance(f, URIRef) and (f, RDF.type, DCTERMS.MediaType) in union for f in formats)
    assert URIRef("https://www.iana.org/assignments/media-types/text/plain") in formats
    notations = {str(c).rsplit("/", 1)[-1]: n for c, n in union.subject_objects(SKOS.notation)}
    assert notations["heavy-end-prevention"] == Literal("3", datatype=CK.PreventionLevelNotation)
    assert all(n.datatype == CK.PreventionLevelNotation for n in notations.values())


def test_a_source_is_described_by_the_build_not_generated_by_it(dataset):
    """The build generated each source's description (its named graph), its passages and annotations; the
    article, report or slides themselves it did not (PROV-O prov:wasGeneratedBy: audit 21, finding 1)."""
    build = dataset.graph(URIRef("https://w3id.org/common-knowledge/graph/build"))
    activity = next(build.subjects(CK.corpusHash, None))
    sources = {s for g in dataset.graphs() for s in g.subjects(RDF.type, CK.Source)}
    assert len(sources) == 2
    for source in sources:
        assert not any(True for _ in dataset.quads((source, PROV.wasGeneratedBy, None, None))), source
        named = source_graph(str(source).rsplit("/", 1)[-1])
        assert (named, PROV.wasGeneratedBy, activity) in build and (named, DCTERMS.source, source) in build
    graph = dataset.graph(source_graph("chat-resilience-article"))
    passage = next(graph.subjects(RDF.type, CK.Passage))
    assert graph.value(passage, PROV.wasGeneratedBy) == activity


def test_text_positions_are_non_negative_integers(dataset):
    """oa:start and oa:end have the Web Annotation vocabulary's range, xsd:nonNegativeInteger."""
    offsets = [o for _, p, o, _ in dataset.quads((None, None, None, None)) if p in (OA.start, OA.end)]
    assert offsets and {o.datatype for o in offsets} == {XSD.nonNegativeInteger}
    assert all(isinstance(o.toPython(), int) and o.toPython() >= 0 for o in offsets)


def test_passages_with_both_selectors(dataset, glib):
    graph = dataset.graph(source_graph("chat-resilience-article"))
    text = glib.document("chat-resilience-article")["text"]
    for passage in glib.passages("chat-resilience-article"):
        node = PASSAGE[passage["passage_id"]]
        assert graph.value(node, OA.hasSource) == SOURCE["chat-resilience-article"]
        assert str(graph.value(node, RDF.value)) == passage["text"]
        assert graph.value(node, CK.page).toPython() == passage["page"]
        assert str(graph.value(node, CK.passageKind)) == passage["kind"]
        assert str(graph.value(node, CK.heading)) == passage["heading"]
        assert graph.value(node, PROV.wasDerivedFrom) == URIRef("https://w3id.org/common-knowledge/file/relational-work.txt")
        selectors = {graph.value(s, RDF.type): s for s in graph.objects(node, OA.hasSelector)}
        position, quote = selectors[OA.TextPositionSelector], selectors[OA.TextQuoteSelector]
        start, end = graph.value(position, OA.start).toPython(), graph.value(position, OA.end).toPython()
        assert (start, end) == (passage["start"], passage["end"])
        assert str(graph.value(quote, OA.exact)) == text[start:end]
        if start:
            assert text[:start].endswith(str(graph.value(quote, OA.prefix)))


def test_concept_mentions_are_web_annotations(dataset, glib):
    graph = dataset.graph(source_graph("chat-resilience-article"))
    text = glib.document("chat-resilience-article")["text"]
    annotations = list(graph.subjects(RDF.type, CK.ConceptMention))
    assert len(annotations) >= 10
    bodies = set()
    for annotation in annotations:
        assert (annotation, RDF.type, OA.Annotation) in graph
        assert graph.value(annotation, OA.motivatedBy) == OA.identifying
        bodies.add(graph.value(annotation, OA.hasBody))
        target = graph.value(annotation, OA.hasTarget)
        assert graph.value(target, OA.hasSource) == SOURCE["chat-resilience-article"]
        assert (graph.value(target, OA.hasScope), RDF.type, CK.Passage) in graph
        selectors = {graph.value(s, RDF.type): s for s in graph.objects(target, OA.hasSelector)}
        start = graph.value(selectors[OA.TextPositionSelector], OA.start).toPython()
        end = graph.value(selectors[OA.TextPositionSelector], OA.end).toPython()
        assert str(graph.value(selectors[OA.TextQuoteSelector], OA.exact)) == text[start:end]
    assert {CONCEPT["relational-agency"], CONCEPT["resilience"], CONCEPT["common-knowledge"]} <= bodies


def test_definitional_passages_and_located_definitions(dataset, union, glib):
    graph = dataset.graph(source_graph("chat-resilience-article"))
    defining = {c for c in graph.objects(None, CK.definesConcept)}
    assert {CONCEPT["relational-agency"], CONCEPT["resilience"]} <= defining
    # the curated definitions quoted in the test text are located: passage and page
    pages = {}
    for definition in union.objects(CONCEPT["relational-agency"], SKOS.definition):
        if union.value(definition, DCTERMS.source) == SOURCE["chat-resilience-article"]:
            passage = union.value(definition, PROV.wasQuotedFrom)
            assert passage is not None and (passage, RDF.type, CK.Passage) in union
            pages[str(union.value(definition, RDF.value))[:30]] = union.value(definition, CK.page).toPython()
    assert set(pages.values()) == {2}
    senses = {str(union.value(d, CK.sense)): union.value(d, CK.page)
              for d in union.objects(CONCEPT["resilience"], SKOS.definition)
              if union.value(d, PROV.wasQuotedFrom) is not None}
    assert senses["developmental"].toPython() == 3 and senses["CHAT"].toPython() in (1, 3)


def test_found_definitions_are_anchored_quotations_in_their_source_graph(dataset, union, glib):
    # the test text says "Resourceful practice is the inventive work …"; no curated definition says so
    graph = dataset.graph(source_graph("chat-resilience-article"))
    found = list(graph.objects(CONCEPT["resourceful-practice"], CK.foundDefinition))
    assert len(found) == 1
    node = found[0]
    assert (node, RDF.type, CK.FoundDefinition) in graph and (node, DCTERMS.subject, CONCEPT["resourceful-practice"]) in graph
    text = str(graph.value(node, RDF.value))
    assert text.startswith("Resourceful practice is the inventive work") and text.endswith("needs.")
    assert graph.value(node, CK.page).toPython() == 3
    passage = graph.value(node, PROV.wasQuotedFrom)
    assert text in glib.passage(str(passage).rsplit("/", 1)[-1])["text"]
    selectors = {union.value(s, RDF.type): s for s in union.objects(node, OA.hasSelector)}
    assert str(union.value(selectors[OA.TextQuoteSelector], OA.exact)) == text
    start = union.value(selectors[OA.TextPositionSelector], OA.start).toPython()
    assert glib.document("chat-resilience-article")["text"][start:start + len(text)] == text
    # "However, when the professional identity of a practitioner is a barrier, …" says nothing of what it is
    assert not list(union.objects(CONCEPT["professional-identity"], CK.foundDefinition))
    # the ready SPARQL example lists it (resourceful practice has no curated definition)
    from kg.sparql_examples import EXAMPLES

    rows = glib.sparql(next(e for e in EXAMPLES if e.id == "found-definitions").query).dicts()
    assert [(r["concept"], r["definition"][:40], r["page"], r["curatedToo"]) for r in rows] == \
        [("resourceful practice", text[:40], "3", "false")]


def test_a_found_definition_is_shown_when_no_curated_one_is(gclient):
    body = gclient.get("/api/concepts/resourceful-practice").get_json()
    assert body["definitions"] and body["definitions"][0]["reviewed"] is False
    first = body["definitions"][0]
    assert first["text"].startswith("Resourceful practice is the inventive work")
    assert first["source_id"] == "chat-resilience-article" and first["page"] == 3 and first["passage_id"]
    assert first["cite"]["in_text"] == "(Edwards and Daniels, 2009, p. 3)"
    card = gclient.get("/api/search?q=resourceful+practice&k=1").get_json()["concept_card"]
    assert card["definition"]["text"] == first["text"] and card["definition"]["reviewed"] is False
    # curated definitions say they are reviewed, and come before anything found
    reviewed = gclient.get("/api/concepts/relational-agency").get_json()["definitions"]
    assert reviewed and reviewed[0]["reviewed"] is True
    flags = [d["reviewed"] for d in reviewed]
    assert flags == sorted(flags, reverse=True)


def test_passages_link_to_the_studies_they_name(union):
    named = {(str(p).rsplit("/", 1)[-1], str(s).rsplit("/", 1)[-1]) for p, s in union.subject_objects(CK.mentionsStudy)}
    studies = {s for _, s in named}
    assert {"necf", "liw", "diw", "resourceful-leadership"} <= studies
    study_mentions = list(union.subjects(RDF.type, CK.StudyMention))
    assert len(study_mentions) >= len(named)


def test_study_matcher_needs_capitals_for_acronyms_and_letters():
    from kg.studies import StudyMatcher, load_study_labels

    matcher = StudyMatcher(load_study_labels(ONTOLOGY / "studies.ttl"))
    found = lambda text: [m["study_id"] for m in matcher.find(text)]  # noqa: E731
    assert found("Findings from NECF and the LIW project") == ["necf", "liw"]
    assert found("the necf team; a programme a family used") == []
    assert found("In Programme A the schools") == ["programme-a"]
    assert matcher.resolve("Evaluation of the CWDC Social work Remodelling Pilot") == "cwdc-remodelling"
    assert matcher.resolve("RL") == "resourceful-leadership"


def test_provenance_of_the_build(dataset, graph_build):
    build = dataset.graph(URIRef("https://w3id.org/common-knowledge/graph/build"))
    activity = next(build.subjects(CK.corpusHash, None))
    manifest = json.loads((graph_build / "current" / "manifest.json").read_text())
    assert str(build.value(activity, CK.corpusHash)) == manifest["corpus_hash"]
    assert build.value(activity, PROV.startedAtTime).datatype == XSD.dateTime
    # the build's real span: begun when its release was named, ended after the graph and the index were
    # written, before the manifest (not both the moment graph.nq was written: audit 21, finding 2)
    from datetime import datetime, timedelta

    started = build.value(activity, PROV.startedAtTime).toPython()
    ended = build.value(activity, PROV.endedAtTime).toPython()
    assert len(list(build.objects(activity, PROV.endedAtTime))) == 1
    assert build.value(activity, PROV.endedAtTime).datatype == XSD.dateTime
    assert started < ended <= datetime.fromisoformat(manifest["created"]) + timedelta(seconds=1)
    assert f"{started:%Y%m%dT%H%M%S}" == str(activity).rsplit("/", 1)[-1][:15]
    assert (ended - started).total_seconds() <= manifest["build_seconds"] + 1
    agent = build.value(activity, PROV.wasAssociatedWith)
    assert (agent, RDF.type, PROV.SoftwareAgent) in build and build.value(agent, OWL.versionInfo) is not None
    assert len(set(build.objects(activity, PROV.used))) == 2
    file_node = URIRef("https://w3id.org/common-knowledge/file/relational-work.txt")
    source = dataset.graph(source_graph("chat-resilience-article"))
    assert str(source.value(file_node, DCTERMS.identifier)).startswith("sha256:")


def test_build_graph_from_plain_data_without_documents():
    """The plain entry point: no documents, no provenance; quotes come from the passages themselves."""
    passages = [{"passage_id": "s-1", "source_id": "s", "page": 1, "page_label": "i", "start": 10, "end": 60,
                 "heading": None, "kind": "text", "text": "Common knowledge is built when relational agency grows."}]
    links = {"s-1": {"mentions": [{"concept_id": "common-knowledge", "start": 10, "end": 26, "surface": "Common knowledge",
                                   "label": "common knowledge"}], "defines": ["common-knowledge"]}}
    sources = [{"id": "s", "file": "s.txt", "title": "S", "authors": ["Somebody, Ann"], "type": ""}]
    dataset = build_graph(ontology_dir=ONTOLOGY, sources=sources, passages=passages, links=links)
    graph = dataset.graph(source_graph("s"))
    assert (PASSAGE["s-1"], CK.definesConcept, CONCEPT["common-knowledge"]) in graph
    assert str(graph.value(PASSAGE["s-1"], CK.pageLabel)) == "i"
    assert (PERSON["ann-somebody"], FOAF.name, Literal("Ann Somebody")) in graph
    conforms, report = validate_dataset(dataset, ONTOLOGY)
    assert conforms, report


@pytest.mark.parametrize("kind, classes", [("book", (FABIO.Book, BIBO.Book)), ("thesis", (FABIO.Thesis, BIBO.Thesis)),
                                           ("policy document", (CK.PolicyDocument, FABIO.ReportDocument, BIBO.Report))])
def test_a_book_a_thesis_and_a_policy_document_are_typed_and_conform(kind, classes):
    sources = [{"id": "s", "file": "s.pdf", "title": "S", "authors": ["Somebody, Ann"], "type": kind, "year": 2019}]
    dataset = build_graph(ontology_dir=ONTOLOGY, sources=sources, passages=[], links={})
    graph = dataset.graph(source_graph("s"))
    assert all((SOURCE["s"], RDF.type, cls) in graph for cls in classes)
    conforms, report = validate_dataset(dataset, ONTOLOGY)
    assert conforms, report


# --- export and round trips ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,rdflib_format", [("turtle", "turtle"), ("json-ld", "json-ld")])
def test_union_round_trips_without_loss(graph_build, union, fmt, rdflib_format):
    body = export(graph_build / "current" / GRAPH_FILE, fmt)
    parsed = Graph().parse(data=body.decode("utf-8"), format=rdflib_format)
    assert len(parsed) == len(union)
    assert set(parsed) == set(union)            # no blank nodes: set equality is exact
    assert isomorphic(parsed, union)
    if fmt == "json-ld":    # compacted: the prefixes are its @context, keys are compact IRIs
        document = json.loads(body)
        assert document["@context"]["oa"] == "http://www.w3.org/ns/oa#"
        assert any("skos:prefLabel" in node for node in document["@graph"])


@pytest.mark.parametrize("fmt,rdflib_format", [("nquads", "nquads"), ("trig", "trig")])
def test_dataset_round_trips_with_its_named_graphs(graph_build, dataset, fmt, rdflib_format):
    body = export(graph_build / "current" / GRAPH_FILE, fmt)
    parsed = Dataset()
    parsed.parse(data=body.decode("utf-8"), format=rdflib_format)
    original = {(s, p, o, g) for s, p, o, g in dataset.quads((None, None, None, None))}
    again = {(s, p, o, g) for s, p, o, g in parsed.quads((None, None, None, None))}
    assert {(s, p, o, str(g)) for s, p, o, g in again} == {(s, p, o, str(g)) for s, p, o, g in original}


def test_one_named_graph_exports_alone(graph_build, dataset):
    body = export(graph_build / "current" / GRAPH_FILE, "turtle", "oxford-ref2014-impact")
    parsed = Graph().parse(data=body.decode("utf-8"), format="turtle")
    assert set(parsed) == set(dataset.graph(source_graph("oxford-ref2014-impact")))
    with pytest.raises(KeyError):
        export(graph_build / "current" / GRAPH_FILE, "turtle", "no-such-source")


def test_cli_concept_marks_a_found_definition_and_still_quotes_the_descriptions(graph_build):
    result = subprocess.run(CKG + ["concept", "resourceful practice", "--build", str(graph_build)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Resourceful practice is the inventive work" in out and "[found in the text, not reviewed]" in out
    assert "No source in the library defines" not in out
    # nobody has reviewed what was found, so what the sources say about it follows
    assert out.index("[found in the text, not reviewed]") < out.index("what the sources say about it:")


def test_cli_export(graph_build, tmp_path, union):
    out = tmp_path / "graph.jsonld"
    result = subprocess.run(CKG + ["export", "--format", "json-ld", "--build", str(graph_build), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert set(Graph().parse(str(out), format="json-ld")) == set(union)


@pytest.mark.parametrize("fmt,media_type", [("turtle", "text/turtle"), ("json-ld", "application/ld+json"),
                                             ("nquads", "application/n-quads"), ("trig", "application/trig")])
def test_export_endpoint_media_types(graph_build, fmt, media_type):
    from search_app import create_app

    client = create_app({"BUILD_DIR": str(graph_build), "TESTING": True}).test_client()
    response = client.get(f"/export/{fmt}")
    assert response.status_code == 200 and response.mimetype == media_type
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    missing = client.get("/export/rdfa")
    assert missing.status_code == 404 and missing.get_json()["error"]["status"] == 404
    assert client.get(f"/export/{fmt}?graph=nope").get_json()["error"]["status"] == 404


# --- concept and study JSON on the graph build --------------------------------------------------------

@pytest.fixture(scope="module")
def gclient(graph_build):
    from search_app import create_app

    app = create_app({"BUILD_DIR": str(graph_build), "TESTING": True})
    yield app.test_client()
    app.extensions["ckg_sparql"].close()


def test_the_study_filter_takes_a_study_id_or_name_and_the_curated_sources(gclient):
    def sources(study: str) -> tuple[int, set[str]]:
        body = gclient.get(f"/api/search?q=resilience&k=100&study={study}").get_json()
        return body["total"], {r["source_id"] for r in body["results"]}

    # NECF by id, acronym or title: the two sources whose catalogue entries list it
    assert sources("necf")[1] == sources("NECF")[1] == sources("National+Evaluation+of+the+Children's+Fund")[1] \
        == {"chat-resilience-article", "oxford-ref2014-impact"}
    # the TLRP is in no catalogue entry: its curated record names the sources that report it
    total, found = sources("tlrp")
    assert total > 0 and found <= {"chat-resilience-article", "oxford-ref2014-impact"}
    assert sources("no-such-study") == (0, set())


def test_search_concept_card_carries_definition_and_coiner(gclient):
    card = gclient.get("/api/search?q=relational+agency&k=1").get_json()["concept_card"]
    assert card["id"] == "relational-agency" and card["pref_label"] == "relational agency"
    assert "capacity for relational agency" in card["alt_labels"]
    assert card["definition"]["source_id"] == "chat-resilience-article" and card["definition"]["text"]
    coiners = [person["name"] for coinage in card["coined_by"] for person in coinage["by"]]
    assert "Anne Edwards" in coiners and all(set(c) >= {"citation", "evidence", "source_id"} for c in card["coined_by"])
    # the earliest citation first ("Edwards 2005, 2007" before "Edwards 2009 [R3]")
    from search_app.conceptdata import earliest_year

    years = [earliest_year(c["citation"]) for c in card["coined_by"]]
    assert len(years) >= 2 and years == sorted(years)
    assert earliest_year("Edwards 2009 [R3]; Edwards 2005, 2007") == 2005 and earliest_year("Engeström") == 9999
    # a decade counts from its first year: Vygotsky, "working in the 1920s", comes before Leont'ev 1978
    assert earliest_year("working in the 1920s and early 1930s") == 1920 < earliest_year("Leont’ev 1978")


def test_search_concept_card_says_a_concept_is_contested(gclient):
    card = gclient.get("/api/search?q=resilience&k=1").get_json()["concept_card"]
    assert {"developmental", "CHAT"} <= set(card["senses"]) and card["definition_count"] >= len(card["senses"])
    assert card["definition"]["sense"] in card["senses"]
    single = gclient.get("/api/search?q=relational+agency&k=1").get_json()["concept_card"]
    assert single["senses"] == [] and single["definition"]["sense"] is None


def test_search_concept_card_names_the_other_senses_of_a_homonym(gclient):
    # "mediation" alone: the card is Smith's factor (which owns the word), and says what else it names
    card = gclient.get("/api/search?q=mediation&k=1").get_json()["concept_card"]
    assert card["id"] == "mediation-between-different-interests"
    assert card["other_senses"] == [{"id": "mediational-means", "pref_label": "mediational means",
                                     "label": "mediation (activity theory)"}]
    assert gclient.get("/api/search?q=mediational+means&k=1").get_json()["concept_card"]["other_senses"] == []
    assert gclient.get("/api/search?q=relational+agency&k=1").get_json()["concept_card"]["other_senses"] == []
    html = gclient.get("/search?q=mediation").get_data(as_text=True)
    assert 'id="concept-card-other-senses"' in html and 'href="/concepts/mediational-means"' in html


def test_search_study_card_for_a_query_that_names_a_study(gclient):
    card = gclient.get("/api/search?q=necf&k=1").get_json()["study_card"]
    assert set(card) >= {"id", "name", "acronym", "years", "funders", "leads", "study_type", "description", "sources",
                         "also_named"}
    assert card["id"] == "necf" and card["acronym"] == "NECF" and card["years"] == "2002–2006"
    assert card["funders"] == ["Department for Education and Skills"] and card["leads"] == ["Anne Edwards"]
    assert set(card["sources"]) == {"chat-resilience-article", "oxford-ref2014-impact"}
    # the whole query as any of its names, asked about, or an acronym written in capitals inside a longer query
    for query in ("National Evaluation of the Children's Fund", "what is the NECF study?", "relational agency in NECF"):
        assert gclient.get("/api/search", query_string={"q": query, "k": 1}).get_json()["study_card"]["id"] == "necf"
    both = gclient.get("/api/search", query_string={"q": "NECF and LIW", "k": 1}).get_json()["study_card"]
    assert both["id"] == "necf" and both["also_named"] == [{"id": "liw", "name": "LIW"}]
    # a lower-case acronym inside a sentence is a word, not a name; most queries name no study
    for query in ("relational agency in necf", "relational agency", "what works"):
        assert gclient.get("/api/search", query_string={"q": query, "k": 1}).get_json()["study_card"] is None


def test_a_concept_page_names_the_concepts_its_names_also_name(gclient):
    smith = gclient.get("/api/concepts/mediation-between-different-interests").get_json()
    assert smith["homonyms"] == [{"id": "mediational-means", "pref_label": "mediational means", "word": "mediation",
                                  "label": "mediation (activity theory)"}]
    chat = gclient.get("/api/concepts/mediational-means").get_json()
    assert [h["id"] for h in chat["homonyms"]] == ["mediation-between-different-interests"]
    assert gclient.get("/api/concepts/relational-agency").get_json()["homonyms"] == []
    html = gclient.get("/concepts/mediational-means").get_data(as_text=True)
    assert 'id="homonyms"' in html and 'href="/concepts/mediation-between-different-interests"' in html


def test_the_concept_card_leaves_out_mere_spelling_variants():
    from search_app.searchdata import _distinct_labels

    shown = _distinct_labels("co-production", ["co production", "Coproduction", "co-produced", "co-production approach",
                                               "co produced"])
    assert shown == ["co-produced", "co-production approach"]


def test_concept_api_has_every_documented_field(gclient):
    body = gclient.get("/api/concepts/relational-agency").get_json()
    for name in ("id", "uri", "pref_label", "alt_labels", "definitions", "broader", "narrower", "related", "studies",
                 "sources", "passages"):
        assert name in body, name
    assert body["uri"] == "https://w3id.org/common-knowledge/concept/relational-agency"
    assert body["broader"] == ["agency"] and "common-knowledge" in body["related"]
    assert {"liw", "necf"} <= set(body["studies"])
    located = [d for d in body["definitions"] if d["source_id"] == "chat-resilience-article"]
    assert located and all(d["page"] == 2 and set(d) >= {"text", "source_id", "page"} for d in located)
    assert located[0]["cite"]["in_text"] == "(Edwards and Daniels, 2009, p. 2)"
    assert body["sources"][0] == "chat-resilience-article"
    passages = body["passages"]
    assert passages and all(set(p) >= {"passage_id", "source_id", "text"} for p in passages)
    assert passages[0]["defines"] is True          # definitional passages come first
    flags = [p["defines"] for p in passages]
    assert flags == sorted(flags, reverse=True)
    assert body["coined_by"] and body["coined_by"][0]["by"][0]["name"] == "Anne Edwards"


def test_a_concept_no_source_defines_shows_descriptions_not_definitions(gclient, glib):
    body = gclient.get("/api/concepts/relational-expertise").get_json()
    assert body["definitions"] == []          # the impact case study names it, it does not define it
    assert body["descriptions"] and all(set(d) >= {"text", "source_id", "page", "passage_id", "cite"} for d in body["descriptions"])
    assert any("called for a new 'relational expertise'" in d["text"] for d in body["descriptions"])
    # and a description does not make its passage a defining one
    passages = gclient.get("/api/concepts/relational-expertise").get_json()["passages"]
    assert not any(p["defines"] for p in passages)
    # every concept quotes its sources: definitions, or descriptions where none defines it
    for concept_id in glib.concepts():
        detail = gclient.get(f"/api/concepts/{concept_id}").get_json()
        assert detail["definitions"] or detail["descriptions"], concept_id


def test_a_label_naming_a_family_lists_the_family(gclient):
    body = gclient.get("/api/concepts?label=policy+instruments").get_json()
    assert [(f["id"], f["label"]) for f in body["families"]] == [("family-policy", "Policy instruments")]
    assert body["families"][0]["count"] >= 5
    assert gclient.get("/api/concepts?label=relational+agency").get_json()["families"] == []


def test_go_to_the_best_match_goes_when_one_match_is_clearly_meant(gclient):
    """The concepts page's "Go to the best match": a typo well ahead of the next match goes to its
    concept, as `ckg concept` does; a word several concepts share stays a list."""
    for typed, concept_id in (("common knowlege", "common-knowledge"), ("relationl agency", "relational-agency"),
                              ("Heavy End Prevention", "heavy-end-prevention")):
        response = gclient.get("/concepts", query_string={"label": typed, "go": "1"})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/concepts/{concept_id}"), typed
    listed = gclient.get("/concepts", query_string={"label": "activity", "go": "1"})
    assert listed.status_code == 200 and "activity system" in listed.get_data(as_text=True)
    # a word that is only part of longer names is no concept named: "components" stays a suggestion of
    # area factors ("… components of children's well-being"), its only match, neither a page nor a redirect
    part = gclient.get("/concepts", query_string={"label": "components", "go": "1"})
    assert part.status_code == 200 and "area factors" in part.get_data(as_text=True)
    assert gclient.get("/concepts/components").status_code == 404
    # the word named as a concept of its own is that concept, though another's longer name holds it too
    named = gclient.get("/concepts", query_string={"label": "wellbeing", "go": "1"})
    assert named.status_code == 302 and named.headers["Location"].endswith("/concepts/well-being")


def test_the_search_card_shows_the_concept_the_concept_finder_reads(gclient):
    """"relationl agency" names relational agency (its second word alone names "agency"); a typo or a
    variant the search's label matcher misses still gets its card; a homonym keeps its other senses."""
    for typed, concept_id in (("relationl agency", "relational-agency"), ("common knowlege", "common-knowledge"),
                              ("resiliency", "resilience")):
        card = gclient.get("/api/search", query_string={"q": typed}).get_json()["concept_card"]
        assert card and card["id"] == concept_id, (typed, card and card["id"])
    card = gclient.get("/api/search", query_string={"q": "mediation"}).get_json()["concept_card"]
    assert card["other_senses"], card


def test_a_query_that_is_only_a_concept_name_lists_the_passages_about_it_first(glib):
    """"relational expertise": the passages linked to the concept before one that only shares the
    word "expertise" ("the idea of distributed expertise"), however close in meaning."""
    for label in ("relational expertise", "relational agency", "common knowledge", "CHAT"):
        response = glib.search(label, k=10)
        concept_id = response.concepts[0]
        about = [concept_id in result["concepts"] for result in response.results]
        assert any(about) and about == sorted(about, reverse=True), (label, about)


def test_guessed_addresses_land_on_the_page_meant(gclient):
    """/concepts/Relational-Agency, /concepts/resilence, /studies/NECF and /sources go where a reader
    meant; an id nothing matches is a 404 that offers the concept finder and the full-text search."""
    for guessed, meant in (("/concepts/Relational-Agency", "/concepts/relational-agency"),
                           ("/concepts/resilence", "/concepts/resilience"),
                           ("/concepts/relational%20agency", "/concepts/relational-agency"),
                           ("/studies/NECF", "/studies/necf"), ("/sources", "/#sources")):
        response = gclient.get(guessed)
        assert response.status_code == 302 and response.headers["Location"].endswith(meant), guessed
    missing = gclient.get("/concepts/zzqqx")
    page = missing.get_data(as_text=True)
    assert missing.status_code == 404 and 'id="missing-id"' in page and 'id="label"' in page
    assert 'href="/search?q=zzqqx"' in page
    assert gclient.get("/studies/zzqqx").status_code == 404
    # the address answers as the concept finder does with the same words: the ladder, a study
    ladder = gclient.get("/concepts/four-levels-of-prevention")
    assert ladder.status_code == 302 and ladder.headers["Location"].endswith("/concepts#ladder")
    study = gclient.get("/concepts/NECF")          # no concept is named so: the study is
    assert study.status_code == 302 and study.headers["Location"].endswith("/studies/necf")
    moved = gclient.get("/api/concepts/Relational-Agency")      # the API redirects to the exact id, as the pages do
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/api/concepts/relational-agency")


def test_competing_definitions_keep_their_sense(gclient):
    body = gclient.get("/api/concepts/resilience").get_json()
    senses = {d["sense"] for d in body["definitions"]}
    assert {"developmental", "CHAT", "risk-and-protection"} <= senses
    assert any(d["sense"] == "developmental" and d["page"] == 3 for d in body["definitions"])
    # the NECF report finds no consensus on prevention: the review's, the government's and a board
    # member's definitions stand side by side, none read as the definition
    prevention = gclient.get("/api/concepts/prevention").get_json()["definitions"]
    assert sorted(d["sense"] for d in prevention) == ["early-action", "need-prevention", "universal-services"]


def test_study_api(gclient, glib):
    listing = gclient.get("/api/studies").get_json()["results"]
    assert listing and all(set(s) >= {"id", "name", "acronym", "funder", "years", "sources"} for s in listing)
    necf = next(s for s in listing if s["id"] == "necf")
    assert necf["acronym"] == "NECF" and necf["funder"] == ["org-dfes"] and necf["years"] == "2002–2006"
    # a funder's id is the one /api/people knows the body by
    assert all(gclient.get(f"/api/people/{f}").status_code == 200 for s in listing for f in s["funder"])
    assert set(necf["sources"]) == {"chat-resilience-article", "oxford-ref2014-impact"}
    detail = gclient.get("/api/studies/necf").get_json()
    assert set(detail) >= {"id", "name", "acronym", "funder", "years", "sources", "concepts", "passages"}
    assert "relational-agency" in detail["concepts"] or "cultural-historical-activity-theory" in detail["concepts"]
    assert detail["passages"] and all(p["text"] and p["source_id"] for p in detail["passages"])
    # the reference list names NECF more often than any passage, yet comes after them all
    kinds = [glib.passage(p["passage_id"])["kind"] for p in detail["passages"]]
    assert "references" in kinds and kinds.index("references") == len(kinds) - 1, kinds
    assert detail["leads"][0]["name"] == "Anne Edwards"
    # which source states each figure and method, with the passage holding its words where there is one
    scale = {fact["text"]: [w["source_id"] for w in fact["sources"]] for fact in detail["stated_in"]["scale"]}
    assert scale["sixteen case studies"] == ["chat-resilience-article"]
    assert scale["eighteen partnership case studies"] == ["necf-prevention-report"]
    budget = detail["stated_in"]["budget"][0]
    assert budget["text"] == "£6m" and [w["source_id"] for w in budget["sources"]] == ["oxford-ref2014-impact"]
    assert all(w["passage_id"] is None or glib.passage(w["passage_id"])["source_id"] == w["source_id"]
               for facts in detail["stated_in"].values() for fact in facts for w in fact["sources"])
    # each attribution says how the source words the fact and in which sentence; each fact what it rests on
    facts = [fact for facts in detail["stated_in"].values() for fact in facts]
    assert all(set(fact) == {"text", "sources", "basis"} for fact in facts)
    assert all(set(w) == {"source_id", "passage_id", "match", "sentence"} and w["match"] in ("phrase", "words")
               and w["sentence"] for fact in facts for w in fact["sources"])
    assert all(fact["basis"] == ("source" if fact["sources"] else "catalogue") for fact in facts)
    sixteen = next(w for w in detail["stated_in"]["scale"] if w["text"] == "sixteen case studies")["sources"][0]
    assert sixteen["match"] == "phrase" and "the examination, in sixteen case studies, of structures" in sixteen["sentence"]
    # "longitudinal case studies": no sentence of this library's NECF sources (nor a curated one) states it
    longitudinal = next(f for f in detail["stated_in"]["method"] if f["text"] == "longitudinal case studies")
    assert longitudinal == {"text": "longitudinal case studies", "sources": [], "basis": "catalogue"}
    assert gclient.get("/api/studies/nope").status_code == 404


def test_the_concept_finder_points_to_an_author_it_names(gclient):
    # "Edwards" names no concept; the finder said only "No concept matches"
    html = gclient.get("/concepts?label=Edwards").get_data(as_text=True)
    assert 'id="other-matches"' in html and 'href="/people/anne-edwards"' in html


def test_a_persons_page_lists_the_concepts_credited_to_them_and_each_citing_sentence_once(gclient):
    person = gclient.get("/api/people/anne-edwards").get_json()
    credited = {c["id"]: c for c in person["concepts_credited"]}
    assert "relational-agency" in credited and credited["relational-agency"]["how"] == "coined"
    # every citation the sources give for the coinage, the earliest first, as the concept page gives them
    # (the page said only "Edwards 2009 [R3]", while the lineage starts at Edwards 2005)
    assert credited["relational-agency"]["citation"] == "Edwards 2005, 2007; Edwards 2009 [R3]"
    html = gclient.get("/people/anne-edwards").get_data(as_text=True)
    assert 'id="person-concepts"' in html and 'href="/concepts/relational-agency"' in html
    import re

    sentences = re.findall(r"<q>(.*?)</q>", html, re.S)
    assert len(sentences) == len(set(sentences))
    # a sentence citing three of their works is one line naming the three
    from search_app.workdata import cited_in_by_sentence

    works = [{"id": f"w{i}", "year": str(2009 + i), "title": f"Work {i}"} for i in range(3)]
    sentence = {"source_id": "s", "passage_id": "p", "page": 2, "context": "Edwards identified the new concepts [R3][R4]."}
    grouped = cited_in_by_sentence({"works": works, "cited_in": [{**sentence, "work_id": w["id"]} for w in works]
                                    + [{**sentence, "context": "Another sentence.", "work_id": "w0"}]})
    assert [[w["label"] for w in g["works"]] for g in grouped] == [["(2009) Work 0", "(2010) Work 1", "(2011) Work 2"],
                                                                  ["(2009) Work 0"]]
