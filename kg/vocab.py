"""The vocabularies of the graph, declared once: a misspelt term raises instead of minting a new IRI.

``CK`` holds exactly the terms declared in ``ontology/schema.ttl`` (a test checks that the two
agree). ``OA``, ``FABIO``, ``BIBO`` and ``CITO`` declare the terms of those vocabularies that
the project uses (rdflib ships SKOS, DCTERMS, FOAF, PROV, OWL, RDFS, XSD but not these).
"""
from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

BASE = "https://w3id.org/common-knowledge/"

# instance namespaces (not vocabularies: any local name is allowed)
CONCEPT = Namespace(BASE + "concept/")
SOURCE = Namespace(BASE + "source/")
STUDY = Namespace(BASE + "study/")
PERSON = Namespace(BASE + "person/")
ORG = Namespace(BASE + "org/")
POLICY = Namespace(BASE + "policy/")
PASSAGE = Namespace(BASE + "passage/")
TEXT = Namespace(BASE + "text/")          # a source's cleaned text: what annotation positions count into
ANNOTATION = Namespace(BASE + "annotation/")
FILE = Namespace(BASE + "file/")
VENUE = Namespace(BASE + "venue/")
BUILD = Namespace(BASE + "build/")
GRAPH = Namespace(BASE + "graph/")
WORK = Namespace(BASE + "work/")          # works cited by the sources (citation lineage)
ONTOLOGY_IRI = URIRef(BASE + "ontology")

PREFIXES = {
    "ck": BASE + "ontology#",
    "ckc": str(CONCEPT), "cks": str(SOURCE), "ckst": str(STUDY), "ckp": str(PERSON), "cko": str(ORG),
    "ckpol": str(POLICY), "ckpa": str(PASSAGE), "ckan": str(ANNOTATION), "ckw": str(WORK),
    "skos": "http://www.w3.org/2004/02/skos/core#", "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/", "prov": "http://www.w3.org/ns/prov#", "oa": "http://www.w3.org/ns/oa#",
    "fabio": "http://purl.org/spar/fabio/", "bibo": "http://purl.org/ontology/bibo/", "cito": "http://purl.org/spar/cito/",
    "as": "https://www.w3.org/ns/activitystreams#", "dcmitype": "http://purl.org/dc/dcmitype/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#", "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class CK(DefinedNamespace):
    """Common Knowledge ontology (ontology/schema.ttl)."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # classes
    Source: URIRef
    ImpactCaseStudy: URIRef
    PolicyDocument: URIRef
    Passage: URIRef
    Quote: URIRef
    ParticipantQuote: URIRef
    LiteratureQuote: URIRef
    SourcedDefinition: URIRef
    SourcedDescription: URIRef
    FoundDefinition: URIRef
    Coinage: URIRef
    ConceptMention: URIRef
    StudyMention: URIRef
    InTextCitation: URIRef
    Study: URIRef
    Policy: URIRef
    # passages and annotations
    speaker: URIRef
    speakerRole: URIRef
    fromStudy: URIRef
    citedAs: URIRef
    page: URIRef
    annotatedText: URIRef
    pageLabel: URIRef
    passageKind: URIRef
    heading: URIRef
    definesConcept: URIRef
    mentionsStudy: URIRef
    # citation lineage
    citingSentence: URIRef
    citedPage: URIRef
    citationKey: URIRef
    standsForStudy: URIRef
    # sources and the build
    titleSupplied: URIRef
    publicationPlace: URIRef
    typeName: URIRef
    PreventionLevelNotation: URIRef
    corpusHash: URIRef
    # concepts
    citation: URIRef
    sense: URIRef
    coinage: URIRef
    sourcedDescription: URIRef
    foundDefinition: URIRef
    coinedBy: URIRef
    tracedTo: URIRef
    introducedBy: URIRef
    evidence: URIRef
    relatedStudy: URIRef
    policy: URIRef
    adaptedIn: URIRef
    # studies, people, organisations, policies
    acronym: URIRef
    funder: URIRef
    lead: URIRef
    coLead: URIRef
    teamMember: URIRef
    partnerOrganisation: URIRef
    startYear: URIRef
    endYear: URIRef
    duration: URIRef
    budget: URIRef
    scale: URIRef
    method: URIRef
    output: URIRef
    evaluates: URIRef
    policyContext: URIRef
    partOf: URIRef
    issuedBy: URIRef
    role: URIRef
    affiliation: URIRef
    memberOf: URIRef


class OA(DefinedNamespace):
    """W3C Web Annotation vocabulary (the terms used here)."""

    _NS = Namespace("http://www.w3.org/ns/oa#")
    _fail = True

    Annotation: URIRef
    SpecificResource: URIRef
    Choice: URIRef
    TextPositionSelector: URIRef
    TextQuoteSelector: URIRef
    Motivation: URIRef
    hasBody: URIRef
    hasTarget: URIRef
    hasSource: URIRef
    hasSelector: URIRef
    hasScope: URIRef
    motivatedBy: URIRef
    start: URIRef
    end: URIRef
    exact: URIRef
    prefix: URIRef
    suffix: URIRef
    identifying: URIRef
    tagging: URIRef
    describing: URIRef
    linking: URIRef


class FABIO(DefinedNamespace):
    """FRBR-aligned Bibliographic Ontology (the document types used here)."""

    _NS = Namespace("http://purl.org/spar/fabio/")
    _fail = True

    Expression: URIRef
    PersonalCommunication: URIRef
    JournalArticle: URIRef
    ReportDocument: URIRef
    BookChapter: URIRef
    Book: URIRef
    Thesis: URIRef
    Journal: URIRef
    DigitalManifestation: URIRef
    hasManifestation: URIRef
    hasPublicationYear: URIRef
    hasURL: URIRef


class BIBO(DefinedNamespace):
    """Bibliographic Ontology (the terms used here)."""

    _NS = Namespace("http://purl.org/ontology/bibo/")
    _fail = True

    AcademicArticle: URIRef
    Legislation: URIRef
    Statute: URIRef
    Report: URIRef
    Slideshow: URIRef
    Chapter: URIRef
    Book: URIRef
    Thesis: URIRef
    Journal: URIRef
    Collection: URIRef
    editor: URIRef
    pages: URIRef


class AS(DefinedNamespace):
    """Activity Streams 2.0 (the term the Web Annotation model uses for the items of an oa:Choice)."""

    _NS = Namespace("https://www.w3.org/ns/activitystreams#")
    _fail = True

    items: URIRef


class CITO(DefinedNamespace):
    """Citation Typing Ontology (the terms the project may use for citations between works)."""

    _NS = Namespace("http://purl.org/spar/cito/")
    _fail = True

    cites: URIRef
    citesAsEvidence: URIRef
    citesAsDataSource: URIRef
    citesAsAuthority: URIRef
    discusses: URIRef
    usesDataFrom: URIRef
    isCitedBy: URIRef


def ck_terms() -> set[str]:
    """Every term of CK as a full IRI."""
    return {str(CK._NS[name]) for name in CK.__annotations__}
