"""One concept as RDF (/concepts/<id>.ttl, /concepts/<id>.jsonld, or /concepts/<id> negotiated):
the concept's description from the knowledge graph, Skosmos-style.

The description is a Concise Bounded Description widened where a reader of one concept needs it:

* every triple whose subject is the concept (SKOS labels, notes, notation, broader / narrower /
  related, schemes, studies …);
* the nodes the concept owns — its definitions, sourced descriptions, coinages and found
  definitions, whose IRIs are the concept's IRI + ``/…`` (kg/graph.py gives the ontology's blank
  nodes such IRIs) — with all their triples (text, source, page, the passage quoted);
* the SKOS links other concepts and collections make to it (``?x skos:broader <concept>``,
  ``skos:member``), so narrower concepts and families show even where only the other side states them;
* a label (skos:prefLabel, dcterms:title, foaf:name, rdfs:label) for every IRI named above, so a
  client can show the neighbours, studies and sources without a second request.

It is a CONSTRUCT over the default graph (the merge of all graphs), so each triple comes once.
"""
from __future__ import annotations

from kg.library import Library

# media type → (format name of kg.sparql's serialiser, file extension)
CONCEPT_RDF_TYPES: dict[str, tuple[str, str]] = {
    "text/turtle": ("turtle", "ttl"),
    "application/ld+json": ("jsonld", "jsonld"),
}
EXTENSIONS = {ext: media_type for media_type, (_, ext) in CONCEPT_RDF_TYPES.items()}

_DESCRIBE = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT { ?s ?p ?o . ?o ?olp ?olabel . ?s ?slp ?slabel . }
WHERE {
  # the IRI is written into each branch: a group is evaluated on its own, so an outer VALUES ?c would
  # not reach a BIND inside it (the branch would match every triple)
  {
    { ?s ?p ?o FILTER(?s = <%(iri)s>) }
    UNION
    { <%(iri)s> ?owns ?s FILTER(isIRI(?s) && STRSTARTS(STR(?s), "%(iri)s/")) ?s ?p ?o }
    UNION
    { VALUES ?p { skos:broader skos:narrower skos:related skos:member } ?s ?p <%(iri)s> BIND(<%(iri)s> AS ?o) }
  }
  # labels of the nodes named (an OPTIONAL's own patterns do see ?s and ?o)
  OPTIONAL { VALUES ?olp { skos:prefLabel dcterms:title foaf:name rdfs:label } ?o ?olp ?olabel FILTER(?o != <%(iri)s>) }
  OPTIONAL { VALUES ?slp { skos:prefLabel dcterms:title foaf:name rdfs:label } ?s ?slp ?slabel FILTER(?s != <%(iri)s>) }
}
"""


def concept_rdf(library: Library, concept_id: str, fmt: str) -> bytes | None:
    """The concept's description as ``turtle`` or ``jsonld``; None for an unknown concept."""
    import pyoxigraph

    from kg.graph import jsonld
    from kg.vocab import PREFIXES

    concept = library.concepts().get(concept_id)
    if concept is None or not concept.get("uri"):
        return None
    iri = concept["uri"]
    if any(ch in iri for ch in '<>"{}|^`\\ '):     # never splice a malformed IRI into the query
        return None
    answer = library.sparql(_DESCRIBE % {"iri": iri}, graph_format="ntriples").body
    triples = list(pyoxigraph.parse(answer, format=pyoxigraph.RdfFormat.N_TRIPLES))
    # the concept first, then the nodes it owns, then its neighbours: Turtle groups each subject once
    triples.sort(key=lambda t: (t.subject.value != iri, not t.subject.value.startswith(iri + "/"),
                                str(t.subject), str(t.predicate), str(t.object)))
    if fmt == "jsonld":
        return jsonld(triples)
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE, prefixes=PREFIXES)
