"""Ready SPARQL queries for common questions, shown on /sparql and timed by the tests."""
from __future__ import annotations

from dataclasses import dataclass

PREFIXES = """PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
PREFIX ckc: <https://w3id.org/common-knowledge/concept/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX as: <https://www.w3.org/ns/activitystreams#>
"""


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    description: str
    body: str

    @property
    def query(self) -> str:
        return PREFIXES + "\n" + self.body.strip() + "\n"


EXAMPLES: tuple[Example, ...] = (
    Example(
        "definitions",
        "Concepts and their definitions, with source and page",
        "Every curated definition, quoted verbatim, with the source it comes from and the page it is on "
        "(found by locating the quotation in the source's passages).",
        """
SELECT ?concept ?definition ?source ?page WHERE {
  ?c a skos:Concept ; skos:prefLabel ?concept ; skos:definition ?d .
  ?d rdf:value ?definition ; dcterms:source ?s .
  OPTIONAL { ?s dcterms:title ?title }
  OPTIONAL { ?d ck:page ?page }
  BIND(COALESCE(?title, STR(?s)) AS ?source)
}
ORDER BY LCASE(STR(?concept)) ?source
LIMIT 300""",
    ),
    Example(
        "defining-passages",
        "Passages that define a concept",
        "Passages marked as definitional (ck:definesConcept), with their source and page.",
        """
SELECT ?concept ?source ?page ?passage ?text WHERE {
  ?passage ck:definesConcept ?c ; oa:hasSource ?s ; rdf:value ?text .
  ?c skos:prefLabel ?concept .
  ?s dcterms:title ?source .
  OPTIONAL { ?passage ck:page ?page }
}
ORDER BY LCASE(STR(?concept)) ?source ?page
LIMIT 300""",
    ),
    Example(
        "found-definitions",
        "Definitions found in the sources, not yet reviewed",
        "Sentences the build found saying what a concept is (the concept opens the sentence: “X is …”, "
        "“X refers to …”, “By X we mean …”), with source and page, as the concept pages show them; "
        "curatedToo says whether the curated scheme also has a definition (false: the found one is all there is, "
        "often in a document you added). A sentence that quotes a curated definition of the concept is not "
        "listed again, so on the shipped library, whose curated definitions are taken from its five documents, "
        "the answer is empty until you add a document that says what a concept is in its own words.",
        """
SELECT ?concept ?definition ?source ?page ?curatedToo WHERE {
  ?c ck:foundDefinition ?d ; skos:prefLabel ?concept .
  ?d rdf:value ?definition ; dcterms:source ?s .
  OPTIONAL { ?s dcterms:title ?title }
  OPTIONAL { ?d ck:page ?page }
  BIND(COALESCE(?title, STR(?s)) AS ?source)
  BIND(EXISTS { ?c skos:definition ?curated } AS ?curatedToo)
}
ORDER BY LCASE(STR(?concept)) ?source ?page
LIMIT 300""",
    ),
    Example(
        "studies",
        "Studies with their funders and leads",
        "Each study, programme or evaluation with its acronym, years, funders and (co-)leads.",
        """
SELECT ?study ?acronym ?start ?end
       (GROUP_CONCAT(DISTINCT ?funderName; separator="; ") AS ?funders)
       (GROUP_CONCAT(DISTINCT ?leadName; separator="; ") AS ?leads)
WHERE {
  ?s a ck:Study ; dcterms:title ?study .
  OPTIONAL { ?s ck:acronym ?acronym }
  OPTIONAL { ?s ck:startYear|dcterms:date ?start }     # a study known only from a publication has its date
  OPTIONAL { ?s ck:endYear ?end }
  OPTIONAL { ?s ck:funder/foaf:name ?funderName }
  OPTIONAL { ?s (ck:lead|ck:coLead)/foaf:name ?leadName }
}
GROUP BY ?study ?acronym ?start ?end
ORDER BY ?start ?study""",
    ),
    Example(
        "source-studies",
        "Which sources report which study",
        "Sources of the library and the studies they report (dcterms:references).",
        """
SELECT ?source ?type ?study WHERE {
  ?s a ck:Source ; dcterms:title ?source ; dcterms:references ?st .
  OPTIONAL { ?s ck:typeName ?type }
  ?st dcterms:title ?study .
}
ORDER BY ?source ?study""",
    ),
    Example(
        "coined-by",
        "Concepts coined by a person",
        "Who the documents credit with a concept, with the sentence that says so. "
        "Add FILTER(CONTAINS(?person, \"Engeström\")) to ask about one person.",
        """
SELECT ?person ?concept ?citation ?evidence WHERE {
  ?c skos:prefLabel ?concept ; ck:coinage ?k .
  ?k ck:coinedBy/foaf:name ?person .
  OPTIONAL { ?k ck:citation ?citation }
  OPTIONAL { ?k ck:evidence ?evidence }
}
ORDER BY ?person LCASE(STR(?concept))""",
    ),
    Example(
        "hierarchy",
        "Broader and narrower concepts",
        "The concept hierarchy: each broader concept with its narrower concepts.",
        """
SELECT DISTINCT ?broader ?narrower WHERE {
  { ?n skos:broader ?b } UNION { ?b skos:narrower ?n }
  ?b a skos:Concept ; skos:prefLabel ?broader .
  ?n a skos:Concept ; skos:prefLabel ?narrower .
}
ORDER BY LCASE(STR(?broader)) LCASE(STR(?narrower))""",
    ),
    Example(
        "prevention-levels",
        "The four levels of prevention, in order",
        "The Children's Fund Guidance levels of prevention (adapted from Hardiker, Exton and Barker 1991) "
        "by their notation 1–4, each with its defining sentence: the rung of the Guidance's ladder, the one "
        "definition of the level quoted with that citation (ck:citation), not the other things the sources say of it.",
        """
SELECT ?level ?concept ?definition ?citation WHERE {
  ?c skos:inScheme ckc:prevention-levels ; skos:notation ?level ; skos:prefLabel ?concept .
  OPTIONAL { ?c skos:definition ?d . ?d rdf:value ?definition ; ck:citation ?citation }
}
ORDER BY ?level""",
    ),
    Example(
        "mentions",
        "Where a concept is mentioned (web annotations)",
        "Mentions of relational agency as W3C Web Annotations: the exact text with its character offsets "
        "(TextQuoteSelector, TextPositionSelector), the source and the page.",
        """
SELECT ?source ?page ?exact ?start ?end ?passage WHERE {
  ?a a ck:ConceptMention ; oa:hasBody ckc:relational-agency ; oa:hasTarget ?t .
  ?t oa:hasSource/dcterms:title ?source ; oa:hasScope ?passage ; oa:hasSelector ?q , ?pos .
  ?q a oa:TextQuoteSelector ; oa:exact ?exact .
  ?pos a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
  OPTIONAL { ?passage ck:page ?page }
}
ORDER BY ?source ?start
LIMIT 200""",
    ),
    Example(
        "provenance",
        "How this graph was built (PROV-O)",
        "The build activity, when it began and ended, its software and the hash of the corpus it read.",
        """
SELECT ?build ?started ?ended ?software ?corpusHash (COUNT(?file) AS ?files) WHERE {
  ?build a prov:Activity ; ck:corpusHash ?corpusHash ; prov:startedAtTime ?started ;
         prov:wasAssociatedWith/rdfs:label ?software .
  OPTIONAL { ?build prov:endedAtTime ?ended }
  OPTIONAL { ?build prov:used ?file }
}
GROUP BY ?build ?started ?ended ?software ?corpusHash""",
    ),
    Example(
        "who-cites",
        "Who cites which work, in which sentence (citation lineage)",
        "Each source's cito:cites links to the works it lists or cites, with the sentence of every in-text "
        "citation (a ck:InTextCitation annotation whose body is the work, or an oa:Choice of works when the "
        "source's list does not tell which it cites: ?ambiguous).",
        """
SELECT ?work ?title ?source ?sentence (BOUND(?choice) AS ?ambiguous) WHERE {
  ?s cito:cites ?w ; dcterms:identifier ?source .
  ?w dcterms:identifier ?work .
  OPTIONAL { ?w dcterms:title ?title }
  OPTIONAL {
    ?a a ck:InTextCitation ; oa:hasBody/(as:items/rdf:rest*/rdf:first)? ?w ; oa:hasTarget/oa:hasSource ?s ;
       ck:citingSentence ?sentence .
    OPTIONAL { ?a oa:hasBody ?choice . ?choice a oa:Choice }
  }
}
ORDER BY ?work ?source
LIMIT 500""",
    ),
    Example(
        "participant-quotes",
        "What parents and practitioners said, with speaker, role, source and page",
        "Each participant quotation the quote finder found (ck:ParticipantQuote), in the words of the source, "
        "with the speaker as introduced, the normalised role, the page and the concepts it names.",
        """
SELECT ?role ?speaker ?quote ?source ?page (GROUP_CONCAT(DISTINCT ?label; separator=", ") AS ?concepts) WHERE {
  ?q a ck:ParticipantQuote ; rdf:value ?quote ; dcterms:source/dcterms:identifier ?source .
  OPTIONAL { ?q ck:speakerRole ?role }
  OPTIONAL { ?q ck:speaker ?speaker }
  OPTIONAL { ?q ck:page ?page }
  OPTIONAL { ?q dcterms:subject/skos:prefLabel ?label }
}
GROUP BY ?role ?speaker ?quote ?source ?page
ORDER BY ?role ?source ?page
LIMIT 500""",
    ),
    Example(
        "describe",
        "Everything about one concept (CONSTRUCT, as Turtle)",
        "A CONSTRUCT query returns a graph: here common knowledge's SKOS description, the labels of the concepts "
        "and studies it links to, and what its definitions, descriptions and coinage say — their text, source "
        "(with its title), page and passage, and who coined it. DESCRIBE ckc:common-knowledge gives only the "
        "concept's own statements, its definitions as bare IRIs.",
        """
CONSTRUCT {
  ckc:common-knowledge ?p ?o .
  ?o skos:prefLabel ?label .
  ?d ?dp ?do .
  ?src dcterms:title ?title .
  ?person foaf:name ?name .
} WHERE {
  { ckc:common-knowledge ?p ?o .
    OPTIONAL { ?o skos:prefLabel ?label } }
  UNION
  { ckc:common-knowledge skos:definition|ck:sourcedDescription|ck:coinage|ck:foundDefinition ?d .
    ?d ?dp ?do .
    FILTER(?dp != oa:hasSelector) }       # a found definition's selectors: see the `mentions` example
  UNION
  { ckc:common-knowledge (skos:definition|ck:sourcedDescription|ck:coinage|ck:foundDefinition)/dcterms:source ?src .
    ?src dcterms:title ?title }
  UNION
  { ckc:common-knowledge ck:coinage/(ck:coinedBy|ck:introducedBy) ?person . ?person foaf:name ?name }
}""",
    ),
)

BY_ID = {example.id: example for example in EXAMPLES}
