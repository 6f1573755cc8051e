"""The SPARQL endpoint through real clients against the live server (waitress): SPARQLWrapper for
the protocol and result formats, urllib for what SPARQLWrapper hides; UPDATE and SERVICE refused,
a runaway query cut off while the server keeps serving; the example queries and their latency;
label resolution and the concept JSON on the tiny build; `ckg concept`."""
from __future__ import annotations

import csv
import io
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import pytest

from kg.sparql import Engine, QueryRefused, check_query
from kg.sparql_examples import EXAMPLES

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
from SPARQLWrapper import CSV, JSON, POST, TSV, TURTLE, XML  # noqa: E402
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed  # noqa: E402
from SPARQLWrapper.Wrapper import QueryResult  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nPREFIX ckc: <https://w3id.org/common-knowledge/concept/>\n"
LEVELS = PREFIX + """SELECT ?level ?label WHERE { ?c skos:inScheme ckc:prevention-levels ; skos:notation ?level ;
  skos:prefLabel ?label } ORDER BY ?level"""
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def wrapper(live_server, fmt=JSON, method=None):
    client = SPARQLWrapper.SPARQLWrapper(f"{live_server}/sparql")
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client


def http(url, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# --- the protocol with a real client ----------------------------------------------------------------

def test_select_as_json_with_sparqlwrapper(live_server):
    client = wrapper(live_server)
    client.setQuery(LEVELS)
    result = client.queryAndConvert()
    rows = [(b["level"]["value"], b["label"]["value"]) for b in result["results"]["bindings"]]
    assert rows == [("1", "diversionary prevention"), ("2", "early prevention"), ("3", "heavy-end prevention"),
                    ("4", "restorative prevention")]
    assert result["results"]["bindings"][0]["label"]["xml:lang"] == "en"


def test_post_form_and_xml_results(live_server):
    client = wrapper(live_server, XML, POST)
    client.setQuery(LEVELS)
    document = client.queryAndConvert()            # xml.dom.minidom Document
    literals = [n.firstChild.data for n in document.getElementsByTagName("literal")]
    assert "heavy-end prevention" in literals


@pytest.mark.parametrize("fmt,delimiter", [(CSV, ","), (TSV, "\t")])
def test_csv_and_tsv(live_server, fmt, delimiter):
    client = wrapper(live_server, fmt)
    client.setQuery(LEVELS)
    body = client.query().response.read().decode("utf-8")
    rows = list(csv.reader(io.StringIO(body))) if fmt == CSV else [line.split("\t") for line in body.splitlines()]
    assert rows[0] in (["level", "label"], ["?level", "?label"])
    assert len(rows) == 5
    assert ("heavy-end prevention" if fmt == CSV else '"heavy-end prevention"@en') in [r[1] for r in rows]


def test_ask_and_construct(live_server):
    client = wrapper(live_server)
    client.setQuery(PREFIX + "ASK { ckc:relational-agency skos:broader ckc:agency }")
    assert client.queryAndConvert()["boolean"] is True
    client = wrapper(live_server, TURTLE)
    client.setQuery(PREFIX + "CONSTRUCT { ckc:common-knowledge skos:prefLabel ?l } WHERE { ckc:common-knowledge skos:prefLabel ?l }")
    response = client.query().response
    assert response.headers["Content-Type"].startswith("text/turtle")
    from rdflib import Graph
    graph = Graph().parse(data=response.read().decode("utf-8"), format="turtle")
    assert [str(o) for o in graph.objects()] == ["common knowledge"]


def test_post_sparql_query_body_and_accept_negotiation(live_server):
    status, headers, body = http(f"{live_server}/sparql", data=LEVELS.encode(),
                                 headers={"Content-Type": "application/sparql-query",
                                          "Accept": "application/sparql-results+xml"})
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+xml")
    assert ElementTree.fromstring(body).tag.endswith("sparql")
    query = urllib.parse.urlencode({"query": LEVELS})
    status, headers, body = http(f"{live_server}/sparql?{query}", headers={"Accept": "text/csv"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    status, headers, body = http(f"{live_server}/sparql?{query}&format=json", headers={"Accept": "text/csv"})
    assert headers["Content-Type"].startswith("application/sparql-results+json")   # the parameter wins
    describe = urllib.parse.urlencode({"query": PREFIX + "DESCRIBE ckc:resilience"})
    status, headers, body = http(f"{live_server}/sparql?{describe}", headers={"Accept": "application/ld+json"})
    assert status == 200 and headers["Content-Type"].startswith("application/ld+json")
    described = json.loads(body)        # compacted, with the prefixes as its context
    assert described["@context"]["skos"] == "http://www.w3.org/2004/02/skos/core#"
    assert "skos:prefLabel" in json.dumps(described)
    # HEAD answers with the headers GET gives (no 415 as for a POST without a query type)
    head = urllib.request.urlopen(urllib.request.Request(f"{live_server}/sparql?{query}&format=csv", method="HEAD"))
    assert head.status == 200 and head.headers["Content-Type"].startswith("text/csv") and head.read() == b""


def test_the_endpoint_describes_itself_to_an_rdf_client(tiny_build):
    # SPARQL 1.1 Service Description: GET /sparql without a query, asking for RDF, is the endpoint's
    # description (a browser asking for HTML still gets the page of examples)
    from rdflib import Graph, Namespace, URIRef
    from rdflib.namespace import RDF

    from search_app import create_app

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    app = create_app({"BUILD_DIR": str(tiny_build), "TESTING": True, "SPARQL_WORKERS": 1})
    try:
        client = app.test_client()
        for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
            response = client.get("/sparql", headers={"Accept": accept})
            assert response.status_code == 200 and response.mimetype == accept
            graph = Graph().parse(data=response.get_data(as_text=True), format=fmt)
            service = URIRef("http://localhost/sparql")
            assert (service, RDF.type, sd.Service) in graph and (service, sd.endpoint, service) in graph
            assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
            names = {str(n) for n in graph.objects(None, sd.name)}
            assert "https://w3id.org/common-knowledge/graph/ontology" in names and len(names) >= 3
        page = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert page.mimetype == "text/html" and "SPARQL endpoint" in page.get_data(as_text=True)
    finally:
        app.extensions["ckg_sparql"].close()


def test_result_cap(tiny_build):
    from search_app import create_app

    app = create_app({"BUILD_DIR": str(tiny_build), "TESTING": True, "SPARQL_MAX_RESULTS": 5, "SPARQL_WORKERS": 1})
    try:
        client = app.test_client()
        response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "json"})
        assert response.status_code == 200
        assert len(response.get_json()["results"]["bindings"]) == 5
        assert response.headers["X-SPARQL-Truncated"].startswith("results cut off at 5")
        # a client reading only the body can tell too: a link to the limits in the result's head
        assert response.get_json()["head"]["link"] == ["http://localhost/sparql#limits"]
        xml = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "xml"})
        assert '<link href="http://localhost/sparql#limits"/>' in xml.get_data(as_text=True)
        whole = client.get("/sparql", query_string={"query": LEVELS, "format": "json"})
        assert "link" not in whole.get_json()["head"]
        small = client.get("/sparql", query_string={"query": LEVELS, "format": "csv"})
        assert "X-SPARQL-Truncated" not in small.headers and small.headers["X-SPARQL-Results"] == "4"
        graph = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"})
        assert graph.mimetype == "application/n-triples" and len(graph.get_data(as_text=True).splitlines()) == 5
    finally:
        app.extensions["ckg_sparql"].close()


# --- refused and stopped ------------------------------------------------------------------------------

@pytest.mark.parametrize("update", [
    'INSERT DATA { <http://example.org/a> <http://example.org/b> "c" }',
    "PREFIX ex: <http://example.org/> DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL", "DROP GRAPH <http://example.org/g>", "CREATE GRAPH <http://example.org/g>",
])
def test_update_is_refused(live_server, update):
    client = wrapper(live_server)
    client.setQuery(update)
    client.queryType = "SELECT"            # make SPARQLWrapper send it as a query anyway
    with pytest.raises(QueryBadFormed) as caught:
        client.queryAndConvert()
    assert "read-only" in str(caught.value)


def test_update_by_protocol_is_refused_with_json(live_server):
    for data, content_type in [(b"CLEAR ALL", "application/sparql-update"),
                               (urllib.parse.urlencode({"update": "CLEAR ALL"}).encode(), "application/x-www-form-urlencoded")]:
        status, headers, body = http(f"{live_server}/sparql", data=data, headers={"Content-Type": content_type})
        assert status == 400 and headers["Content-Type"].startswith("application/json")
        assert json.loads(body)["error"] == {"status": 400, "message": "This endpoint is read-only: SPARQL Update is refused."}
    wrapper_client = wrapper(live_server)
    wrapper_client.setQuery("CLEAR ALL")
    wrapper_client.setMethod(POST)
    with pytest.raises(Exception) as caught:     # SPARQLWrapper sends an update as `update=`
        wrapper_client.query()
    assert "read-only" in str(caught.value)


def test_service_is_refused(live_server):
    client = wrapper(live_server)
    client.setQuery("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } } LIMIT 1")
    with pytest.raises(QueryBadFormed) as caught:
        client.queryAndConvert()
    assert "SERVICE" in str(caught.value)


def test_syntax_error_is_a_clear_400(live_server):
    status, headers, body = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": "SELECT ?x WHERE { ?x"}))
    assert status == 400 and json.loads(body)["error"]["message"].startswith("The query could not be run")
    status, _, body = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": LEVELS, "format": "png"}))
    assert status == 400 and "Unknown format" in json.loads(body)["error"]["message"]
    status, _, body = http(f"{live_server}/sparql", data=b"x", headers={"Content-Type": "text/plain"})
    assert status == 415


def test_runaway_query_is_cut_off_while_the_server_keeps_serving(live_server, app):
    timeout = app.extensions["ckg_sparql"].timeout_s
    outcome = {}

    def runaway():
        started = time.monotonic()
        outcome["response"] = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": RUNAWAY}))
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    status, _, body = http(f"{live_server}/api/health")
    assert status == 200 and json.loads(body)["status"] == "ok" and time.monotonic() - started < 1
    status, _, body = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": LEVELS}))
    assert status == 200                       # the other worker still answers
    thread.join(timeout=timeout + 30)
    status, headers, body = outcome["response"]
    assert status == 503 and headers["Content-Type"].startswith("application/json")
    assert "time limit" in json.loads(body)["error"]["message"]
    assert timeout <= outcome["seconds"] < timeout + 5
    # and the endpoint recovers: a fresh worker replaces the killed one
    for _ in range(3):
        status, _, _ = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": LEVELS}))
        assert status == 200


def _count(live_server, query, **params):
    status, _, body = http(f"{live_server}/sparql?" + urllib.parse.urlencode(dict(params, query=query), doseq=True),
                           headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body[:300]
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_the_dataset_is_chosen_by_from_or_by_the_protocol(live_server):
    """With no dataset named, the default graph is every graph of the build; FROM and FROM NAMED in
    the query, or default-graph-uri and named-graph-uri in the request (which win), choose it."""
    client = wrapper(live_server)
    client.setQuery("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    sizes = {b["g"]["value"]: int(b["n"]["value"]) for b in client.queryAndConvert()["results"]["bindings"]}
    source = next(g for g in sizes if "/graph/source/" in g)
    ontology = next(g for g in sizes if g.endswith("/graph/ontology"))
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    # the default graph is the merge of the graphs: a triple two graphs state counts once
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    assert _count(live_server, everything) == _count(live_server, distinct) <= sum(sizes.values())
    assert _count(live_server, f"SELECT (COUNT(*) AS ?n) FROM <{source}> WHERE {{ ?s ?p ?o }}") == sizes[source]
    assert _count(live_server, f"SELECT (COUNT(*) AS ?n) FROM <{source}> FROM <{ontology}> WHERE {{ ?s ?p ?o }}") \
        <= sizes[source] + sizes[ontology]
    assert _count(live_server, "SELECT (COUNT(*) AS ?n) FROM <http://example.org/not-in-the-build> WHERE { ?s ?p ?o }") == 0
    assert _count(live_server, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{source}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == sizes[source]
    assert _count(live_server, everything, **{"default-graph-uri": ontology}) == sizes[ontology]
    assert _count(live_server, f"SELECT (COUNT(*) AS ?n) FROM <{source}> WHERE {{ ?s ?p ?o }}",
                  **{"default-graph-uri": ontology}) == sizes[ontology]
    assert _count(live_server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                  **{"named-graph-uri": [source, ontology]}) == sizes[source] + sizes[ontology]
    # a keyword inside a string or an IRI names no dataset
    assert _count(live_server, 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p "FROM <x>" }') == 0


def test_check_query_reads_past_strings_comments_and_iris():
    assert check_query('# SERVICE in a comment\nSELECT * WHERE { ?s ?p "SERVICE INSERT" }') == "SELECT"
    assert check_query("PREFIX service: <http://e.org/>\nSELECT ?service WHERE { ?service service:x <http://e.org/SERVICE> }") == "SELECT"
    assert check_query("BASE <http://e.org/> PREFIX a: <http://a/> CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"
    for bad in ("select * where { service silent <http://x/> { ?s ?p ?o } }", "WITH <http://g> DELETE { ?s ?p ?o } WHERE {}",
                "PREFIX x: <http://x/> insert data { x:a x:b x:c }", "", "hello"):
        with pytest.raises(QueryRefused):
            check_query(bad)


# --- example queries ----------------------------------------------------------------------------------

def test_every_example_answers_quickly_over_http(live_server):
    timings = {}
    for example in EXAMPLES:
        url = f"{live_server}/sparql?" + urllib.parse.urlencode({"query": example.query})
        accept = "text/turtle" if example.id == "describe" else "application/sparql-results+json"
        status, _, body = http(url, headers={"Accept": accept})      # warm-up (and the worker start)
        assert status == 200, (example.id, body[:300])
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            status, _, body = http(url, headers={"Accept": accept})
            samples.append(time.perf_counter() - started)
            assert status == 200
        timings[example.id] = statistics.median(samples)
        if accept.endswith("json"):
            assert "results" in json.loads(body) or "boolean" in json.loads(body)
    assert max(timings.values()) < 0.2, timings
    rows = json.loads(http(f"{live_server}/sparql?" + urllib.parse.urlencode(
        {"query": next(e for e in EXAMPLES if e.id == "prevention-levels").query}))[2])["results"]["bindings"]
    assert [r["level"]["value"] for r in rows] == ["1", "2", "3", "4"]
    # each level's defining sentence, the rung of the Guidance's ladder (not any sentence about the level)
    assert [r["definition"]["value"].split(":")[0] for r in rows] == ["Level One", "Level Two", "Level Three", "Level Four"]
    assert all(r["citation"]["value"].startswith("CYPU 2001") for r in rows)
    quotes = json.loads(http(f"{live_server}/sparql?" + urllib.parse.urlencode(
        {"query": next(e for e in EXAMPLES if e.id == "participant-quotes").query}))[2])["results"]["bindings"]
    assert any(r.get("role", {}).get("value") == "headteacher" and r["quote"]["value"] for r in quotes)


def test_the_describe_example_gives_what_the_concept_page_says(graph_build):
    """"Everything about one concept": its statements, and its definitions' and coinage's text, source and coiner."""
    from rdflib import Graph
    from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS

    from kg.library import Library
    from kg.vocab import CK, CONCEPT

    example = next(e for e in EXAMPLES if e.id == "describe")
    graph = Graph().parse(data=Library(graph_build).sparql(example.query).body, format="turtle")
    concept = CONCEPT["common-knowledge"]
    assert (concept, RDF.type, SKOS.Concept) in graph and graph.value(concept, SKOS.prefLabel) is not None
    definitions = list(graph.objects(concept, SKOS.definition))
    assert definitions and all(graph.value(d, RDF.value) and graph.value(d, DCTERMS.source) for d in definitions)
    assert any(graph.value(graph.value(d, DCTERMS.source), DCTERMS.title) for d in definitions)
    coinage = graph.value(concept, CK.coinage)
    assert graph.value(coinage, CK.evidence) and graph.value(graph.value(coinage, CK.coinedBy), FOAF.name)
    related = list(graph.objects(concept, SKOS.related))
    assert related and all(graph.value(r, SKOS.prefLabel) for r in related)


def test_examples_page_and_html_results(client):
    page = client.get("/sparql")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert html.count('class="run-link"') == len(EXAMPLES) and "<script" not in html
    run = client.get("/sparql", query_string={"query": LEVELS.replace("?level ?label WHERE", "?level ?label ?c WHERE"),
                                              "format": "html"})
    assert run.status_code == 200 and "heavy-end prevention" in run.get_data(as_text=True)
    assert 'href="/concepts/heavy-end-prevention"' in run.get_data(as_text=True)


# --- label resolution and the concept JSON ---------------------------------------------------------------

@pytest.mark.parametrize("typed,expected", [
    ("relational agency", "relational-agency"),
    ("RELATIONAL AGENCY", "relational-agency"),
    ("Relational-Agency", "relational-agency"),
    ("relational agencies", "relational-agency"),
    ("heavy end prevention", "heavy-end-prevention"),
    ("heavy-end prevention", "heavy-end-prevention"),
    ("co-production", "co-production"),
    ("co production", "co-production"),
    ("coproduction", "co-production"),
    ("internalization", "internalisation"),
    ("Internalisations", "internalisation"),
    ("mass customisation", "mass-customization"),
    ("multiagency working", "multi-agency-working"),
    ("interprofessional working", "inter-professional-working"),
    ("protective factor", "protective-factors"),
    ("CHAT", "cultural-historical-activity-theory"),
    ("common knowlege", "common-knowledge"),             # a typo
    ("relatoinal agency", "relational-agency"),          # a transposition
    ("the social situations of development", "social-situation-of-development"),
])
def test_a_label_typed_as_a_reader_would_resolves(client, typed, expected):
    body = client.get("/api/concepts", query_string={"label": typed}).get_json()
    assert body["results"] and body["results"][0]["id"] == expected, body["results"][:3]
    assert set(body["results"][0]) >= {"id", "pref_label", "alt_labels"}


def test_concepts_without_a_label_are_all_listed_a_to_z(client, library):
    results = client.get("/api/concepts").get_json()["results"]
    assert len(results) == len(library.concepts()) >= 100
    labels = [r["pref_label"].casefold() for r in results]
    assert labels == sorted(labels)
    assert client.get("/api/concepts", query_string={"label": "qqqqzzzz"}).get_json()["results"] == []
    assert client.get("/api/concepts", query_string={"label": "x" * 300}).status_code == 400


def test_concept_json_on_the_tiny_build(client):
    body = client.get("/api/concepts/agency").get_json()
    assert body["id"] == "agency" and "relational-agency" in body["narrower"]
    assert client.get("/api/concepts/no-such-concept").get_json() == {
        "error": {"status": 404, "message": "There is no concept with the id “no-such-concept”; find one with /api/concepts?label=."}}


def test_cli_concept(graph_build):
    result = subprocess.run([sys.executable, "-m", "kg.cli", "concept", "Relational Agencies", "--json", "--build",
                             str(graph_build)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["id"] == "relational-agency" and body["definitions"][0]["page"] == 2
    text = subprocess.run([sys.executable, "-m", "kg.cli", "concept", "heavy end prevention", "--build", str(graph_build)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert text.returncode == 0 and text.stdout.startswith("heavy-end prevention")
    # as on the concept page: whom the source credits with the definition, and a ready citation
    assert "(the source quotes it from CYPU 2001: 37, adapted from Hardiker, Exton and Barker 1991)" in text.stdout
    agency = subprocess.run([sys.executable, "-m", "kg.cli", "concept", "relational agency", "--build", str(graph_build)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "\n    cite: (Edwards and Daniels, 2009, p. 2)" in agency.stdout
    homonym = subprocess.run([sys.executable, "-m", "kg.cli", "concept", "mediation", "--build", str(graph_build)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "not to be confused with mediation between different interests" in homonym.stdout
    part = subprocess.run([sys.executable, "-m", "kg.cli", "concept", "components", "--build", str(graph_build)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert part.returncode == 1 and not part.stdout, part.stdout     # not area factors, shown as if named
    assert ("no concept is named 'components'; these concepts' names hold its words: area factors "
            "(“area and community components of children’s well-being”)") in part.stderr
    undefined = subprocess.run([sys.executable, "-m", "kg.cli", "concept", "relational expertise", "--build", str(graph_build)],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "No source in the library defines relational expertise; what the sources say about it:" in undefined.stdout
    missing = subprocess.run([sys.executable, "-m", "kg.cli", "concept", "qqqqzzzz", "--build", str(graph_build)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "no concept matches" in missing.stderr


def test_the_rdflib_store_answers_the_same(tiny_build, client):
    from search_app import create_app

    app = create_app({"BUILD_DIR": str(tiny_build), "TESTING": True, "GRAPH_STORE": "rdflib", "SPARQL_WORKERS": 1})
    try:
        for example in EXAMPLES:
            if example.id == "describe":
                continue
            ours = app.test_client().get("/sparql", query_string={"query": example.query, "format": "json"}).get_json()
            default = client.get("/sparql", query_string={"query": example.query, "format": "json"}).get_json()
            assert len(ours["results"]["bindings"]) == len(default["results"]["bindings"]), example.id
        # oxrdflib answers over every graph whatever the query names: a dataset clause is refused, not ignored
        refused = app.test_client().get("/sparql", query_string={
            "query": "SELECT * FROM <https://w3id.org/common-knowledge/graph/ontology> WHERE { ?s ?p ?o } LIMIT 1"})
        assert refused.status_code == 400 and b"graph_store = rdflib" in refused.data and b"GRAPH <iri>" in refused.data
        by_protocol = app.test_client().get("/sparql", query_string={
            "query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": "https://w3id.org/common-knowledge/graph/ontology"})
        assert by_protocol.status_code == 400
    finally:
        app.extensions["ckg_sparql"].close()


# --- the default graph is a set (the RDF merge of the named graphs) ----------------------------------

SHARED = """<http://example.org/a> <http://example.org/p> <http://example.org/b> <http://example.org/g1> .
<http://example.org/a> <http://example.org/p> <http://example.org/b> <http://example.org/g2> .
<http://example.org/a> <http://example.org/p> <http://example.org/c> <http://example.org/g2> .
"""


@pytest.mark.parametrize("store", ["oxigraph", "rdflib"])
def test_a_triple_in_two_graphs_matches_once(tmp_path, store):
    path = tmp_path / "graph.nq"
    path.write_text(SHARED, encoding="utf-8")
    engine = Engine(str(path), store)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert engine.run(count).dicts() == [{"n": "2"}]
    assert len(engine.run("SELECT ?o WHERE { <http://example.org/a> ?p ?o }").rows) == 2
    # GRAPH ?g still sees each named graph, and only those
    per_graph = engine.run("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g").dicts()
    assert per_graph == [{"g": "http://example.org/g1", "n": "1"}, {"g": "http://example.org/g2", "n": "2"}]
    if store == "oxigraph":      # the dataset chosen by the protocol or FROM is as named
        assert engine.run(count, default_graphs=["http://example.org/g2"]).dicts() == [{"n": "2"}]
        assert engine.run(count, named_graphs=["http://example.org/g1"]).dicts() == [{"n": "0"}]
        assert engine.run("SELECT (COUNT(*) AS ?n) FROM <http://example.org/g1> WHERE { ?s ?p ?o }").dicts() == [{"n": "1"}]


def test_several_default_graphs_are_merged_as_a_set(tmp_path):
    """default-graph-uri twice, or two FROM, make the default graph the RDF merge of those graphs
    (SPARQL 1.1 §13.2): a triple both state matches once (oxigraph alone took them as a bag)."""
    path = tmp_path / "graph.nq"
    path.write_text(SHARED, encoding="utf-8")
    engine = Engine(str(path), "oxigraph")
    g1, g2 = "http://example.org/g1", "http://example.org/g2"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert engine.run(count, default_graphs=[g1, g2]).dicts() == [{"n": "2"}]
    assert engine.run(count, default_graphs=[g2, g1, g1]).dicts() == [{"n": "2"}]
    assert engine.run(f"SELECT (COUNT(*) AS ?n) FROM <{g1}> FROM <{g2}> WHERE {{ ?s ?p ?o }}").dicts() == [{"n": "2"}]
    assert engine.run("PREFIX ex: <http://example.org/> BASE <http://example.org/> SELECT ?o FROM ex:g1 FROM <g2> "
                      "WHERE { ex:a ex:p ?o } ORDER BY ?o").dicts() == [{"o": "http://example.org/b"}, {"o": "http://example.org/c"}]
    assert engine.run("ASK FROM <http://example.org/g1> FROM <http://example.org/g2> { ?s ?p ?o }").boolean is True
    construct = engine.run(f"CONSTRUCT {{ ?s ?p ?o }} FROM <{g1}> FROM <{g2}> WHERE {{ ?s ?p ?o }}", graph_format="ntriples")
    assert construct.count == 2
    # the named graphs stay as the dataset says: every graph with the protocol's default graphs alone,
    # FROM NAMED's (none without it) with the query's, the protocol's named-graph-uri when given
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    assert [r["g"] for r in engine.run(graphs, default_graphs=[g1, g2]).dicts()] == [g1, g2]
    assert engine.run(graphs.replace("WHERE", f"FROM <{g1}> FROM <{g2}> WHERE")).dicts() == []
    assert [r["g"] for r in engine.run(graphs.replace("WHERE", f"FROM <{g1}> FROM <{g2}> FROM NAMED <{g2}> WHERE")).dicts()] == [g2]
    assert [r["g"] for r in engine.run(graphs, default_graphs=[g1, g2], named_graphs=[g1]).dicts()] == [g1]
    # and the merge leaves nothing behind in the store
    assert sorted(g.value for g in engine.store.named_graphs()) == [g1, g2]
    assert engine.run(count).dicts() == [{"n": "2"}]


def test_an_undeclared_prefix_is_named(tmp_path):
    """Not the parser's 583 characters of Unicode ranges: the prefix, where, and the PREFIX line to add."""
    from kg.sparql import QueryFailed, undeclared_prefixes

    path = tmp_path / "graph.nq"
    path.write_text(SHARED, encoding="utf-8")
    engine = Engine(str(path), "oxigraph")
    with pytest.raises(QueryFailed) as caught:
        engine.run("PREFIX ex: <http://example.org/>\nSELECT ?s WHERE { ?s a foo:Bar ; skos:broader ex:c }")
    message = str(caught.value)
    assert message.startswith("The query could not be run: undeclared prefix `foo:`, `skos:` (line 2, column")
    assert "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>" in message and "PREFIX foo: <…>" in message
    assert len(message) < 300 and "u{" not in message
    # names in IRIs, strings and comments, blank nodes and declared prefixes are no prefixes
    assert undeclared_prefixes('PREFIX a: <x:y>\nSELECT * WHERE { _:b a:p <http://e.org/q> , "c:d" . } # e:f') == []
    with pytest.raises(QueryFailed) as caught:      # any other syntax error keeps the parser's message
        engine.run("SELECT ?x WHERE { ?x")
    assert "undeclared" not in str(caught.value)


@pytest.fixture(scope="module")
def shared_server(graph_build, tmp_path_factory):
    """The graph corpus's build with every work one source cites also described in the other
    source's graph, as the build does for a work two sources cite; served live."""
    import re
    import shutil

    from conftest import _serve

    release = tmp_path_factory.mktemp("shared-works") / "release"
    shutil.copytree((graph_build / "current").resolve(), release)
    graph = release / "graph.nq"
    lines = graph.read_text(encoding="utf-8").splitlines()
    graphs = sorted({m.group(1) for m in (re.search(r"(<[^>]*/graph/source/[^>]*>) \.$", l) for l in lines) if m})
    assert len(graphs) == 2, graphs
    works = [l for l in lines if l.startswith("<https://w3id.org/common-knowledge/work/") and l.endswith(f"{graphs[0]} .")]
    assert works, "the graph corpus's build describes no cited work"
    graph.write_text("\n".join(lines + [l[: -len(f"{graphs[0]} .")] + f"{graphs[1]} ." for l in works]) + "\n",
                     encoding="utf-8")
    yield from _serve(release, "ckg-shared-works-server")


def test_shared_triples_and_citations_count_once_over_http(shared_server):
    """A triple two source graphs state matches once through the default graph, and the examples
    return no solution twice (they did, once per graph stating the work)."""
    client = wrapper(shared_server)
    client.setQuery("SELECT ?s ?p ?o WHERE { GRAPH ?g1 { ?s ?p ?o } GRAPH ?g2 { ?s ?p ?o } FILTER(STR(?g1) < STR(?g2)) } LIMIT 1")
    shared = client.queryAndConvert()["results"]["bindings"]
    assert shared
    s, p, o = (shared[0][v] for v in ("s", "p", "o"))
    term = f"<{o['value']}>" if o["type"] == "uri" else json.dumps(o["value"]) + (
        f"@{o['xml:lang']}" if "xml:lang" in o else f"^^<{o['datatype']}>" if "datatype" in o else "")
    client.setQuery(f"SELECT * WHERE {{ <{s['value']}> <{p['value']}> {term} }}")
    assert len(client.queryAndConvert()["results"]["bindings"]) == 1
    client.setQuery(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{s['value']}> <{p['value']}> {term} }} }}")
    graphs = [b["g"]["value"] for b in client.queryAndConvert()["results"]["bindings"]]
    assert len(graphs) == 2          # each named graph still holds it
    # ... and the two graphs named as the default graph hold it once (default-graph-uri twice, or two FROM)
    pattern = f"SELECT * WHERE {{ <{s['value']}> <{p['value']}> {term} }}"
    status, _, body = http(f"{shared_server}/sparql?" + urllib.parse.urlencode(
        {"query": pattern, "default-graph-uri": graphs}, doseq=True), headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 1
    client.setQuery(pattern.replace("WHERE", f"FROM <{graphs[0]}> FROM <{graphs[1]}> WHERE"))
    assert len(client.queryAndConvert()["results"]["bindings"]) == 1
    # who cites which work: as many rows as distinct solutions (every variable of the pattern kept)
    who = next(e for e in EXAMPLES if e.id == "who-cites")
    client.setQuery(who.query)
    rows = client.queryAndConvert()["results"]["bindings"]
    client.setQuery(who.query.replace("SELECT ?work ?title ?source ?sentence", "SELECT DISTINCT ?work ?title ?source ?sentence ?s ?w ?a"))
    assert len(rows) == len(client.queryAndConvert()["results"]["bindings"]) > 0
    # "cited by N" counted in SPARQL is the number of citing sources
    prefixes = who.query.split("SELECT")[0]
    client.setQuery(prefixes + "SELECT ?w (COUNT(?s) AS ?n) WHERE { ?s cito:cites ?w . ?w dcterms:title ?t } "
                               "GROUP BY ?w ORDER BY DESC(?n) LIMIT 1")
    top = client.queryAndConvert()["results"]["bindings"][0]
    client.setQuery(prefixes + f"SELECT DISTINCT ?s WHERE {{ ?s cito:cites <{top['w']['value']}> }}")
    assert int(top["n"]["value"]) == len(client.queryAndConvert()["results"]["bindings"])


# --- protocol deviations: one query string, 406 for an Accept header nothing fits ------------------------

def test_two_query_strings_are_a_400(live_server):
    two = urllib.parse.urlencode([("query", "ASK {}"), ("query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1")])
    status, headers, body = http(f"{live_server}/sparql?{two}")
    assert status == 400 and "more than one query" in json.loads(body)["error"]["message"]
    status, _, _ = http(f"{live_server}/sparql", data=two.encode(), method="POST",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400
    status, _, _ = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), data=b"ASK {}",
                        method="POST", headers={"Content-Type": "application/sparql-query"})
    assert status == 400
    status, _, _ = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
    assert status == 200


@pytest.mark.parametrize("query,accept", [
    ("ASK {}", "application/pdf"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "text/turtle"),
    ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "text/csv"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "application/sparql-results+json;q=0, image/png"),
])
def test_an_accept_header_nothing_fits_is_a_406(live_server, query, accept):
    status, headers, body = http(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": query}),
                                 headers={"Accept": accept})
    assert status == 406, body[:200]
    message = json.loads(body)["error"]["message"]
    assert "Accept" in message and "format" in message


def test_usual_accept_headers_still_answer(live_server):
    """No header, */*, generic JSON and XML names and a browser's header are answered, not refused."""
    for accept, media_type in [
        ("application/xml", "application/sparql-results+xml"),        # was answered as JSON
        ("text/xml", "application/sparql-results+xml"),
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", "text/html"),
    ]:
        request = urllib.request.Request(f"{live_server}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
        if accept is not None:
            request.add_header("Accept", accept)
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200 and response.headers.get_content_type() == media_type, accept


def test_media_type_parameters_in_the_accept_header_do_not_change_the_choice(client):
    """A client echoing the server's own "…; charset=utf-8", or asking for a JSON-LD profile, gets that
    format (werkzeug alone matches a type only when its parameters match too: these were 406s, or HTML)."""
    select = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}
    construct = {"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"}
    for params, accept, media_type in [
        (select, "application/sparql-results+json; charset=utf-8", "application/sparql-results+json"),
        (select, "application/sparql-results+xml; charset=utf-8", "application/sparql-results+xml"),
        (select, "text/csv;header=present", "text/csv"),
        (select, "text/tab-separated-values; charset=utf-8", "text/tab-separated-values"),
        (select, "application/json; charset=utf-8", "application/sparql-results+json"),
        (construct, "text/turtle; charset=utf-8", "text/turtle"),
        (construct, 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"', "application/ld+json"),
        (select, "text/turtle; charset=utf-8", None),          # still nothing that fits a SELECT
    ]:
        answer = client.get("/sparql", query_string=params, headers={"Accept": accept})
        assert (answer.status_code, answer.mimetype) == ((200, media_type) if media_type else (406, "application/json")), accept
    for accept, media_type in [("text/turtle; charset=utf-8", "text/turtle"), ("application/ld+json; charset=utf-8", "application/ld+json")]:
        assert client.get("/concepts/resilience", headers={"Accept": accept}).mimetype == media_type, accept
        assert client.get("/sparql", headers={"Accept": accept}).mimetype == media_type, accept     # the service description


def test_xml_results_stay_well_formed_with_a_control_character(client):
    import xml.dom.minidom

    query = 'SELECT ?y WHERE { BIND("ctl\\u0001z" AS ?y) }'
    body = client.get("/sparql", query_string={"query": query, "format": "xml"}).get_data()
    literal = xml.dom.minidom.parseString(body).getElementsByTagName("literal")[0].firstChild.data
    assert literal == "ctl\ufffdz"
    as_json = client.get("/sparql", query_string={"query": query, "format": "json"}).get_json()
    assert as_json["results"]["bindings"][0]["y"]["value"] == "ctl\x01z"       # JSON can hold it


def test_a_query_body_that_is_no_utf8_is_refused(client):
    answer = client.post("/sparql", data=b"ASK { \xff }", content_type="application/sparql-query")
    assert answer.status_code == 400 and "not UTF-8 text (byte 6)" in answer.get_json()["error"]["message"]


@pytest.mark.browser
def test_a_page_of_another_origin_can_query_the_endpoint_and_read_the_api(browser, live_server):
    """A browser SPARQL client (YASGUI) or a web page elsewhere: the read-only endpoint, the JSON API and the
    exports allow any origin, a POSTed query's preflight included (there were no CORS headers at all)."""
    import http.server
    import threading

    class Blank(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!doctype html><title>elsewhere</title>")

        def log_message(self, *args):
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Blank)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    page = browser.new_page()
    page.goto(f"http://localhost:{other.server_address[1]}/")       # another origin (host and port)
    found = page.evaluate("""async base => {
        const posted = await fetch(base + "/sparql", {method: "POST", body: "ASK { ?s ?p ?o }",
            headers: {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}});
        const health = await fetch(base + "/api/health");
        return {ask: (await posted.json()).boolean, count: posted.headers.get("X-SPARQL-Results"),
                status: (await health.json()).status};
    }""", live_server)
    assert found == {"ask": True, "count": "1", "status": "ok"}
    page.close()
    other.shutdown()


def test_a_dataset_parameter_that_is_no_iri_is_refused_by_name(client):
    for name in ("default-graph-uri", "named-graph-uri"):
        answer = client.get("/sparql", query_string={"query": "ASK {}", name: "nope"})
        message = answer.get_json()["error"]["message"]
        assert answer.status_code == 400 and f"Parameter '{name}' must be an absolute IRI" in message and "'nope'" in message
        assert "ValueError" not in message


def test_sparqlwrapper_reads_a_406_as_an_error_and_the_usual_formats_as_results(live_server):
    client = wrapper(live_server)
    client.setOnlyConneg(True)             # no format= parameter: the Accept header alone decides
    client.addCustomHttpHeader("Accept", "text/turtle")      # a SELECT asked for as Turtle: nothing fits
    client.setQuery(LEVELS)
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.query()
    assert caught.value.code == 406
    client = wrapper(live_server, fmt=JSON)
    client.setOnlyConneg(True)
    client.setQuery(LEVELS)
    result: QueryResult = client.query()
    assert len(result.convert()["results"]["bindings"]) == 4


def test_error_wording_and_the_page_introduction(client):
    ask = client.get("/sparql", query_string={"query": "ASK {}", "format": "turtle"})
    assert ask.status_code == 400 and "does not fit an ASK query" in ask.get_json()["error"]["message"]
    select = client.get("/sparql", query_string={"query": "SELECT * {}", "format": "turtle"})
    assert "does not fit a SELECT query" in select.get_json()["error"]["message"]
    intro = client.get("/sparql").get_data(as_text=True)
    purpose = intro[intro.index('class="purpose"'):intro.index("</p>", intro.index('class="purpose"'))]
    assert "works" in purpose and "citations" in purpose
