"""One concept as RDF (Skosmos-style): /concepts/<id>.ttl and .jsonld, content negotiation on
/concepts/<id>, the documented fields, parsed with rdflib; on the graph corpus's build, whose
texts quote curated definitions on known pages."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS

CK = Namespace("https://w3id.org/common-knowledge/ontology#")
CKC = Namespace("https://w3id.org/common-knowledge/concept/")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="module")
def graph_client(graph_build):
    from search_app import create_app

    app = create_app({"BUILD_DIR": str(graph_build), "TESTING": True})
    return app.test_client()


def _get(url: str, accept: str | None = None):
    request = urllib.request.Request(url)
    if accept is not None:
        request.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _parse(body: bytes, media_type: str) -> Graph:
    return Graph().parse(data=body, format={"text/turtle": "turtle", "application/ld+json": "json-ld"}[media_type])


@pytest.mark.parametrize("ext,media_type", [("ttl", "text/turtle"), ("jsonld", "application/ld+json")])
def test_a_concept_as_rdf_holds_its_documented_fields(graph_server, ext, media_type):
    status, headers, body = _get(f"{graph_server}/concepts/relational-agency.{ext}")
    assert status == 200 and headers.get_content_type() == media_type
    assert f'filename="relational-agency.{ext}"' in headers["Content-Disposition"]
    graph = _parse(body, media_type)
    concept = CKC["relational-agency"]
    assert (concept, RDF.type, SKOS.Concept) in graph
    assert graph.value(concept, SKOS.prefLabel) == Literal("relational agency", lang="en")
    assert Literal("capacity for relational agency", lang="en") in set(graph.objects(concept, SKOS.altLabel))
    assert Literal("working relationally", lang="en") in set(graph.objects(concept, SKOS.hiddenLabel))
    # definitions with their text, source, page and the passage quoted
    definitions = list(graph.objects(concept, SKOS.definition))
    assert definitions
    texts = {str(graph.value(d, RDF.value)) for d in definitions}
    assert any("relational agency involves first being able to align" in t for t in texts)
    assert all(graph.value(d, DCTERMS.source) is not None for d in definitions)
    quoted = [d for d in definitions if graph.value(d, CK.page) is not None]
    assert quoted and all(graph.value(d, PROV.wasQuotedFrom) is not None for d in quoted)
    # neighbours and studies, each with its label
    broader = graph.value(concept, SKOS.broader)
    assert broader == CKC["agency"] and graph.value(broader, SKOS.prefLabel) == Literal("agency", lang="en")
    related = set(graph.objects(concept, SKOS.related))
    assert CKC["common-knowledge"] in related and all(graph.value(r, SKOS.prefLabel) for r in related)
    studies = set(graph.objects(concept, CK.relatedStudy))
    assert studies and all(graph.value(s, SKOS.prefLabel) or graph.value(s, DCTERMS.title) for s in studies)
    # a description of this concept, not the graph: no passage text, no other concept's definitions
    assert len(graph) < 300
    assert not any(str(s).startswith(str(CKC["agency/"])) for s in graph.subjects())
    if ext == "jsonld":     # compacted with the prefixes as its context, as a JSON-LD reader expects
        document = json.loads(body)
        assert document["@context"]["skos"] == str(SKOS) and '"skos:prefLabel"' in body.decode("utf-8")


def test_narrower_concepts_show_though_only_they_state_the_link(graph_client):
    graph = _parse(graph_client.get("/concepts/agency.ttl").data, "text/turtle")
    assert (CKC["relational-agency"], SKOS.broader, CKC["agency"]) in graph
    assert graph.value(CKC["relational-agency"], SKOS.prefLabel) == Literal("relational agency", lang="en")


@pytest.mark.parametrize("accept,media_type", [
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/ld+json, text/html;q=0.5", "application/ld+json"),
    (BROWSER_ACCEPT, "text/html"),
    ("*/*", "text/html"),
    (None, "text/html"),
])
def test_the_concept_url_answers_by_accept(graph_server, accept, media_type):
    status, headers, body = _get(f"{graph_server}/concepts/heavy-end-prevention", accept)
    assert status == 200 and headers.get_content_type() == media_type
    assert "Accept" in headers["Vary"]
    if media_type != "text/html":
        graph = _parse(body, media_type)
        assert graph.value(CKC["heavy-end-prevention"], SKOS.notation) == Literal("3", datatype=CK.PreventionLevelNotation)
        assert graph.value(CKC["heavy-end-prevention"], SKOS.broader) == CKC["prevention"]


def test_unknown_concepts_and_formats_are_404(graph_client):
    assert graph_client.get("/concepts/relational-agency.jsonld").status_code == 200
    assert graph_client.get("/concepts/no-such-concept.ttl").status_code == 404
    assert graph_client.get("/concepts/no-such-concept", headers={"Accept": "text/turtle"}).status_code == 404
    assert graph_client.get("/concepts/relational-agency.xml").status_code == 404
    # any other extension is a format asked for too: a JSON error naming those there are, not the HTML page
    assert graph_client.get("/concepts/relational-agency.html").location.endswith("/concepts/relational-agency")
    for fmt in ("xml", "n3", "csv", "turtle", "xyz"):
        response = graph_client.get(f"/concepts/relational-agency.{fmt}")
        assert response.status_code == 404 and response.is_json, fmt
        assert ".ttl" in response.get_json()["error"]["message"], fmt


def test_the_response_cache_keeps_html_and_turtle_apart(graph_build):
    from search_app import create_app

    client = create_app({"BUILD_DIR": str(graph_build), "RESPONSE_CACHE_MB": 4}).test_client()
    assert client.get("/concepts/relational-agency").mimetype == "text/html"
    assert client.get("/concepts/relational-agency", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"
    assert client.get("/concepts/relational-agency").mimetype == "text/html"


def test_the_api_index_documents_the_concept_rdf(graph_client):
    listed = {e["path"]: e for e in graph_client.get("/api").get_json()["endpoints"]}
    doc = listed["/concepts/<concept_id>.<fmt>"]
    assert doc["methods"] == ["GET"]
    for field in ("skos:prefLabel", "skos:definition", "dcterms:source", "ck:page", "skos:broader", "skos:narrower",
                  "skos:related", "ck:relatedStudy"):
        assert field in doc["returns"], field
    assert "text/turtle" in doc["summary"] and "application/ld+json" in doc["summary"]
    assert "/concepts/<concept_id>" not in listed          # the page itself is not an API
    assert json.dumps(doc)


def test_a_concept_asked_for_as_json_leads_to_the_api(client):
    moved = client.get("/concepts/relational-agency", headers={"Accept": "application/json"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/api/concepts/relational-agency")
    assert client.get("/concepts/relational-agency.json").headers["Location"].endswith("/api/concepts/relational-agency")
    assert client.get(moved.headers["Location"]).get_json()["id"] == "relational-agency"
