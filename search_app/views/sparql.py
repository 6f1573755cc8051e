"""The SPARQL 1.1 Protocol endpoint (/sparql) and the graph export (/export/<format>).

Errors here are JSON ``{"error": {"status", "message"}}`` (the endpoint's clients are programs),
except that GET /sparql without a query is the HTML page of example queries.
"""
from __future__ import annotations

import atexit
import re
import threading

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from kg.graph import EXPORT_FORMATS, export, graph_name, source_graph
from kg.sparql import (GRAPH_TYPES, RESULT_TYPES, EndpointUnavailable, NotAcceptable, QueryFailed, QueryPool,
                       QueryRefused, QueryTimeout, check_query, choose_format, serialize_results)

from .. import sparqldata
from ..apidoc import documented
from . import library

bp = Blueprint("sparql", __name__)
_LOCK = threading.Lock()


def make_pool(app) -> QueryPool:
    """The app's worker pool (no process starts until the first query)."""
    settings = app.extensions["ckg_library"].settings
    config = app.config
    pool = QueryPool(
        str(app.extensions["ckg_library"].graph_path),
        workers=config.get("SPARQL_WORKERS", settings.sparql_workers),
        timeout_s=config.get("SPARQL_TIMEOUT_S", settings.sparql_timeout_s),
        max_results=config.get("SPARQL_MAX_RESULTS", settings.sparql_max_results),
        memory_mb=config.get("SPARQL_MEMORY_MB", settings.sparql_memory_mb),
        store=config.get("GRAPH_STORE", settings.graph_store),
    )
    atexit.register(pool.close)
    return pool


def pool() -> QueryPool:
    return current_app.extensions["ckg_sparql"]


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


def _failed(status: int, message: str, query: str, for_a_reader: bool) -> Response:
    """A query that was refused, failed or ran out of time: the protocol's error, or for a reader the
    editor again with the query as typed and the message above it."""
    if not for_a_reader:
        return _error(status, message)
    view = sparqldata.examples_page(pool(), query)
    view["error"] = message
    return Response(render_template("sparql.html", view=view), status=status, mimetype="text/html")


# SPARQL 1.1 Service Description: the result and graph formats, as the W3C's format IRIs name them
_FORMAT_IRIS = {"json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
                "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples", "rdfxml": "RDF_XML",
                "jsonld": "JSON-LD"}
_RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}


def _service_description() -> Response | None:
    """GET /sparql with no query, asking for RDF (not HTML): the endpoint's SPARQL 1.1 Service
    Description — what it answers, in which formats, over which graphs. None when HTML is wanted."""
    wanted = request.accept_mimetypes.best_match(["text/html", *GRAPH_TYPES.values()]) if request.accept_mimetypes else None
    fmt = next((name for name, media in GRAPH_TYPES.items() if media == wanted), None)
    if fmt is None:
        return None
    from rdflib import BNode, Graph, Namespace, URIRef
    from rdflib.namespace import RDF

    sd, formats = Namespace("http://www.w3.org/ns/sparql-service-description#"), Namespace("http://www.w3.org/ns/formats/")
    endpoint = URIRef(url_for("sparql.sparql", _external=True))
    graph = Graph()
    graph.bind("sd", sd)
    graph.bind("formats", formats)
    graph.add((endpoint, RDF.type, sd.Service))
    graph.add((endpoint, sd.endpoint, endpoint))
    graph.add((endpoint, sd.supportedLanguage, sd.SPARQL11Query))
    graph.add((endpoint, sd.feature, sd.UnionDefaultGraph))     # the default graph is the merge of the named graphs
    for name in _FORMAT_IRIS.values():
        graph.add((endpoint, sd.resultFormat, formats[name]))
    dataset, default = BNode(), BNode()
    graph.add((endpoint, sd.defaultDataset, dataset))
    graph.add((dataset, RDF.type, sd.Dataset))
    graph.add((dataset, sd.defaultGraph, default))
    graph.add((default, RDF.type, sd.Graph))
    try:
        names = [row["g"] for row in pool().run("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }").dicts()]
    except Exception:       # the description without its graphs rather than none
        names = []
    for name in sorted(n for n in names if n):
        named = BNode()
        graph.add((dataset, sd.namedGraph, named))
        graph.add((named, RDF.type, sd.NamedGraph))
        graph.add((named, sd.name, URIRef(name)))
    response = Response(graph.serialize(format=_RDFLIB_FORMATS[fmt]), mimetype=GRAPH_TYPES[fmt])
    response.headers["Vary"] = "Accept"
    return response


def _values(name: str) -> list[str]:
    values = request.args.getlist(name)
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.getlist(name)
    return values


# an absolute IRI: a scheme, a colon, then no space or character IRIs exclude (RFC 3987)
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")


def _graph_uris(name: str) -> list[str]:
    """The graphs a dataset parameter names; one that is no absolute IRI is refused, naming the parameter."""
    values = _values(name)
    for value in values:
        if not _ABSOLUTE_IRI.fullmatch(value):
            raise QueryRefused(f"Parameter '{name}' must be an absolute IRI, such as "
                               f"{source_graph('SOURCE_ID')}, not {value[:80]!r}; GET /sparql lists the named graphs.")
    return values


@bp.route("/sparql", methods=["GET", "POST"])
@documented("SPARQL 1.1 Protocol, read-only: SELECT and ASK as JSON, XML, CSV or TSV, CONSTRUCT and DESCRIBE as "
            "Turtle, N-Triples, RDF/XML or JSON-LD (by Accept or format); UPDATE, LOAD and SERVICE refused; a time "
            "limit and a row cap. Without a query, the page of example queries.",
            "application/sparql-results+json, application/sparql-results+xml, text/csv or text/tab-separated-values "
            "(SELECT, ASK); text/turtle, application/n-triples, application/rdf+xml or application/ld+json (CONSTRUCT, "
            "DESCRIBE); HTML without a query",
            query="the SPARQL query (GET, or POST as a form field or an application/sparql-query body)",
            format="json, xml, csv, tsv (SELECT, ASK) or turtle, ntriples, rdfxml, jsonld (CONSTRUCT, DESCRIBE), "
                   "instead of an Accept header",
            **{"default-graph-uri": "a named graph to query as the default graph",
               "named-graph-uri": "a named graph the query may name"})
def sparql():
    # the protocol allows exactly one query string (URL, form or body together); two are an error, not "the first"
    given = len(_values("query")) + (request.method == "POST" and request.mimetype == "application/sparql-query")
    if given > 1:
        return _error(400, "The request holds more than one query: pass exactly one (the SPARQL 1.1 Protocol "
                           "allows one `query` parameter, or one query as the POST body).")
    if request.method in ("GET", "HEAD"):      # HEAD: the headers GET would give
        if "update" in request.args:
            return _error(400, "This endpoint is read-only: SPARQL Update is refused.")
        query = request.args.get("query")
        if query is None:
            described = _service_description()
            if described is not None:
                return described
            return render_template("sparql.html", view=sparqldata.examples_page(pool(), request.args.get("edit")))
    else:
        mimetype = request.mimetype
        if mimetype == "application/sparql-update":
            return _error(400, "This endpoint is read-only: SPARQL Update is refused.")
        if mimetype == "application/sparql-query":
            try:        # read as sent: a body that is no UTF-8 was decoded with replacement characters, unsaid
                query = request.get_data().decode("utf-8")
            except UnicodeDecodeError as exc:
                return _error(400, f"The query body is not UTF-8 text (byte {exc.start}); send the query in UTF-8.")
        elif mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if "update" in request.form:
                return _error(400, "This endpoint is read-only: SPARQL Update is refused.")
            query = request.form.get("query")
        else:
            return _error(415, "POST a query as application/sparql-query, or as the `query` field of a "
                               "form (application/x-www-form-urlencoded).")
        if query is None:
            return _error(400, "The request holds no query: pass it in the `query` parameter.")
    fmt = (_values("format") or _values("output") or [None])[0]
    # a person at the page's form (or a browser asking for HTML): a failed query comes back to the
    # editor with the message, not as the protocol's JSON error
    for_a_reader = fmt == "html" or not fmt and request.accept_mimetypes.best_match(
        list(RESULT_TYPES.values()) + list(GRAPH_TYPES.values()) + ["text/html"]) == "text/html"
    try:
        form = check_query(query)
        if not fmt and request.accept_mimetypes.best_match(
                list((GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES).values()) + ["text/html"]) == "text/html":
            fmt = "html"
        choice = choose_format(form, fmt, request.accept_mimetypes if request.accept_mimetypes else None)
        result = pool().run(query, graph_format=choice if choice in GRAPH_TYPES else "turtle",
                            default_graphs=_graph_uris("default-graph-uri") or None,
                            named_graphs=_graph_uris("named-graph-uri") or None)
    except (QueryRefused, QueryFailed) as exc:
        return _failed(400, str(exc), query, for_a_reader)
    except NotAcceptable as exc:
        return _error(406, str(exc))
    except (QueryTimeout, EndpointUnavailable) as exc:
        return _failed(503, str(exc), query, for_a_reader)
    if choice == "html":
        return render_template("sparql_results.html", view=sparqldata.results_page(query, result, library()))
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        response = Response(result.body, mimetype=result.media_type)
    else:
        limits = url_for("sparql.sparql", _external=True) + "#limits"
        response = Response(serialize_results(result, choice, truncated_link=limits), mimetype=RESULT_TYPES[choice])
    response.headers["Vary"] = "Accept"
    response.headers["X-SPARQL-Results"] = str(result.count)
    if result.truncated:
        response.headers["X-SPARQL-Truncated"] = f"results cut off at {pool().max_results} (setting sparql_max_results)"
    return response


def _per_release(name: str) -> dict:
    """A dict the app keeps for the release this request answers from (a new one after a switch)."""
    release = library().root
    held = current_app.extensions.get(name)
    if held is None or held[0] != release:
        with _LOCK:
            held = current_app.extensions.get(name)
            if held is None or held[0] != release:
                held = current_app.extensions[name] = (release, {})
    return held[1]


def _graph_names() -> set[str]:
    """IRIs of the named graphs of this build (ontology, build and one per source)."""
    known = _per_release("ckg_graph_names")
    if "names" not in known:
        names = {str(graph_name(name)) for name in ("ontology", "build")}
        known["names"] = names | {str(graph_name(source["id"])) for source in library().sources()}
    return known["names"]


@bp.get("/export/<fmt>")
@documented("The knowledge graph: nquads or trig (every named graph), turtle or json-ld (their union).",
            "application/n-quads, application/trig, text/turtle or application/ld+json (compacted, with the prefixes "
            "as its @context)",
            graph="one named graph: ontology, build or a source id")
def export_graph(fmt: str):
    if fmt not in EXPORT_FORMATS:
        return _error(404, f"Unknown export format “{fmt}”: one of {', '.join(EXPORT_FORMATS)}.")
    graph = request.args.get("graph") or None
    if graph is not None and str(graph_name(graph)) not in _graph_names():
        # checked before the dataset is parsed: an unknown name costs nothing, and stays out of the cache
        return _error(404, f"The dataset has no graph “{graph[:200]}”: use ontology, build or a source id.")
    cache = _per_release("ckg_exports")
    key = (fmt, graph)
    if key not in cache:
        path = library().graph_path
        if not path.exists():
            return _error(503, "This build has no knowledge graph (graph.nq); rebuild with `ckg build`.")
        try:
            body = export(path, fmt, graph)
        except (KeyError, ValueError) as exc:
            return _error(404, str(exc.args[0]))
        with _LOCK:
            if len(cache) > 32:
                cache.clear()
            cache[key] = body
    media_type, extension, _ = EXPORT_FORMATS[fmt]
    response = Response(cache[key], mimetype=media_type)
    name = re.sub(r"[^\w.-]+", "-", f"common-knowledge{'-' + graph.rsplit('/', 1)[-1] if graph else ''}.{extension}")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
