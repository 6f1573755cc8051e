"""Read-only SPARQL over the built graph, with a time limit that survives runaway queries.

* :func:`check_query` refuses what a public read-only endpoint must not run — SPARQL UPDATE
  (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH) and federated ``SERVICE``
  — before anything is executed, and tells SELECT / ASK / CONSTRUCT / DESCRIBE apart.
* :class:`QueryPool` answers queries in worker processes that hold the graph in memory.
  pyoxigraph cannot cancel a query, so a query over the time limit gets its worker killed and a
  fresh worker started in the background; the server itself never blocks on it.
* Several default graphs (``default-graph-uri`` repeated, or several ``FROM``) are merged into
  one graph, a set, before the query runs (SPARQL 1.1 §13.2): oxigraph alone takes them as a bag.
* Serialisers for the SPARQL 1.1 result formats (JSON, XML, CSV, TSV); graphs (CONSTRUCT,
  DESCRIBE) are serialised by pyoxigraph (Turtle, N-Triples, RDF/XML, JSON-LD).
"""
from __future__ import annotations

import csv
import io
import json
import os
import pickle
import queue
import re
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
MAX_QUERY_CHARS = 100_000
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
# names clients use in a `format` (or `output`) parameter → (results format, graph format)
FORMAT_ALIASES = {
    "json": ("json", "jsonld"), "application/sparql-results+json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"), "application/sparql-results+xml": ("xml", "rdfxml"),
    "csv": ("csv", None), "text/csv": ("csv", None),
    "tsv": ("tsv", None), "text/tab-separated-values": ("tsv", None),
    "turtle": (None, "turtle"), "ttl": (None, "turtle"), "n3": (None, "turtle"), "text/turtle": (None, "turtle"),
    "ntriples": (None, "ntriples"), "nt": (None, "ntriples"), "n-triples": (None, "ntriples"),
    "rdf": (None, "rdfxml"), "rdf+xml": (None, "rdfxml"), "rdfxml": (None, "rdfxml"),
    "json-ld": (None, "jsonld"), "jsonld": (None, "jsonld"),
}


class QueryRefused(Exception):
    """The request is not a read-only SPARQL query this endpoint runs (HTTP 400)."""


class QueryFailed(Exception):
    """The query could not be run: bad syntax or an evaluation error (HTTP 400)."""


class NotAcceptable(Exception):
    """The Accept header names no format this endpoint gives for the query form (HTTP 406)."""


class QueryTimeout(Exception):
    """The query ran over the time limit and its worker was stopped (HTTP 503)."""


class EndpointUnavailable(Exception):
    """No worker could take the query: all busy, or the graph could not be loaded (HTTP 503)."""


# --- checking a query before it runs ------------------------------------------------------------

_LEX = re.compile(
    r'(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r'|(?P<long>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\')'
    r'|(?P<str>"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r'|(?P<comment>\#[^\n]*)'
    r'|(?P<other>[^<"\'\#]+|.)',
    re.S,
)


def skeleton(query: str) -> str:
    """The query with IRIs emptied to <>, strings to "" and comments removed: what keywords are looked for in."""
    out = []
    for match in _LEX.finditer(query):
        kind = match.lastgroup
        if kind == "iri":
            out.append("<>")
        elif kind in ("long", "str"):
            out.append('""')
        elif kind == "comment":
            out.append(" ")
        else:
            out.append(match.group(0))
    return "".join(out)


def names_its_dataset(query: str) -> bool:
    """Whether the query has a dataset clause (FROM or FROM NAMED)."""
    return bool(re.search(r"(?<![\w?$:])FROM(?![\w:\-])", skeleton(query), re.I))


_WORD = re.compile(r"[^\s{}()\[\],;]+|[{}()\[\],;]")


def _tokens(query: str):
    """("iri", iri) / ("str", "") / ("word", text) of a query, comments left out."""
    for match in _LEX.finditer(query):
        kind = match.lastgroup
        if kind == "iri":
            yield "iri", match.group(0)[1:-1]
        elif kind in ("long", "str"):
            yield "str", ""
        elif kind != "comment":
            for word in _WORD.finditer(match.group(0)):
                yield "word", word.group(0)


def dataset_clause(query: str) -> tuple[list[str], list[str]] | None:
    """The IRIs of the query's FROM and FROM NAMED clauses (prefixed names and relative IRIs
    resolved), or None when a clause names a graph through a prefix the query does not declare."""
    from urllib.parse import urljoin

    tokens = list(_tokens(query))
    prefixes: dict[str, str] = {}
    base = ""
    default: list[str] = []
    named: list[str] = []
    resolve = lambda iri: urljoin(base, iri) if base else iri  # noqa: E731
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        keyword = value.upper() if kind == "word" else ""
        following = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if keyword == "BASE" and following[0] == "iri":
            base = resolve(following[1])
            i += 2
            continue
        if keyword == "PREFIX" and following[0] == "word" and following[1].endswith(":") \
                and i + 2 < len(tokens) and tokens[i + 2][0] == "iri":
            prefixes[following[1][:-1]] = resolve(tokens[i + 2][1])
            i += 3
            continue
        if keyword == "FROM":
            target = default
            if following[0] == "word" and following[1].upper() == "NAMED":
                target = named
                i += 1
                following = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
            if following[0] == "iri":
                target.append(resolve(following[1]))
            elif following[0] == "word" and ":" in following[1]:
                prefix, local = following[1].split(":", 1)
                if prefix not in prefixes:
                    return None
                target.append(prefixes[prefix] + re.sub(r"\\(.)", r"\1", local))
            else:
                return None
            i += 2
            continue
        i += 1
    return default, named


_PREFIXED = re.compile(r"(?<![\w?$:\\-])([A-Za-z][\w.\-]*)?:(?=[^\s:]|\s|$)")


def undeclared_prefixes(query: str) -> list[str]:
    """Prefixes the query uses in prefixed names (``foo:Bar``) but never declares with PREFIX."""
    bare = skeleton(query)
    declared = {m.group(1) for m in re.finditer(r"PREFIX\s+([^\s:]*):", bare, re.I)}
    used = []
    for match in _PREFIXED.finditer(re.sub(r"PREFIX\s+[^\s:]*:", " ", bare, flags=re.I)):
        name = match.group(1) or ""
        if name not in declared and name not in used:
            used.append(name)
    return used


def _explain(message: str, query: str) -> str:
    """A parser's message made readable: an undeclared prefix is named, with the PREFIX line to add."""
    if "Prefix not found" not in message and "Unknown namespace prefix" not in message:
        return f"The query could not be run: {message}"
    missing = undeclared_prefixes(query)
    if not missing:
        return f"The query could not be run: {message}"
    from .vocab import PREFIXES

    where = re.search(r"error at (\d+):(\d+)", message)
    at = f" (line {where.group(1)}, column {where.group(2)})" if where else ""
    lines = [f"PREFIX {name}: <{PREFIXES[name]}>" if name in PREFIXES else f"PREFIX {name}: <…>" for name in missing]
    names = ", ".join(f"`{name}:`" for name in missing)
    return (f"The query could not be run: undeclared prefix {names}{at}. Declare {'it' if len(missing) == 1 else 'them'} "
            f"before the query: "
            f"{'; '.join(lines)}. The examples page (/sparql) lists the prefixes of this graph.")


def check_query(query: str) -> str:
    """The query form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a read-only query; raises QueryRefused otherwise."""
    if not query or not query.strip():
        raise QueryRefused("The query is empty: pass a SPARQL query in the `query` parameter.")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryRefused(f"The query is longer than {MAX_QUERY_CHARS} characters.")
    bare = skeleton(query)
    first = re.match(r"\s*(?:(?:BASE\s*<>|PREFIX\s+[^\s:]*:\s*<>)\s*)*([A-Za-z]+)", bare, re.I)
    word = first.group(1).upper() if first else ""
    if word in UPDATE_KEYWORDS:
        raise QueryRefused(f"This endpoint is read-only: SPARQL Update ({word}) is refused. "
                           "Only SELECT, ASK, CONSTRUCT and DESCRIBE queries are run.")
    if re.search(r"(?<![\w?$:])SERVICE(?![\w:\-])", bare, re.I):
        raise QueryRefused("Federated queries (SERVICE) are refused: this endpoint only queries its own graph.")
    if word not in QUERY_FORMS:
        raise QueryRefused("Not a SPARQL query: it must start (after any PREFIX and BASE) with SELECT, ASK, "
                           "CONSTRUCT or DESCRIBE.")
    return word


# --- terms and result serialisation ---------------------------------------------------------------

Term = tuple  # ("uri", iri) | ("bnode", id) | ("literal", value, language or None, datatype or None)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _ox_term(term) -> Term | None:
    import pyoxigraph

    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return ("uri", term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, pyoxigraph.Literal):
        datatype = term.datatype.value if term.datatype is not None else None
        return ("literal", term.value, term.language, None if datatype in (XSD_STRING, RDF_LANGSTRING) else datatype)
    return ("literal", str(term), None, None)      # RDF-star triple terms: shown as text


def _rdflib_term(term) -> Term | None:
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, URIRef):
        return ("uri", str(term))
    if isinstance(term, BNode):
        return ("bnode", str(term))
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype is not None else None
        return ("literal", str(term), term.language, None if datatype in (XSD_STRING, RDF_LANGSTRING) else datatype)
    return ("literal", str(term), None, None)


def term_value(term: Term | None) -> str | None:
    return None if term is None else term[1]


def _json_term(term: Term) -> dict[str, str]:
    if term[0] == "uri":
        return {"type": "uri", "value": term[1]}
    if term[0] == "bnode":
        return {"type": "bnode", "value": term[1]}
    out = {"type": "literal", "value": term[1]}
    if term[2]:
        out["xml:lang"] = term[2]
    elif term[3]:
        out["datatype"] = term[3]
    return out


def _nt_term(term: Term | None) -> str:
    if term is None:
        return ""
    if term[0] == "uri":
        return f"<{term[1]}>"
    if term[0] == "bnode":
        return f"_:{term[1]}"
    value = term[1].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if term[2]:
        return f'"{value}"@{term[2]}'
    if term[3]:
        return f'"{value}"^^<{term[3]}>'
    return f'"{value}"'


@dataclass
class Result:
    form: str                                   # SELECT | ASK | CONSTRUCT | DESCRIBE
    variables: list[str] = field(default_factory=list)
    rows: list[list[Term | None]] = field(default_factory=list)
    boolean: bool | None = None
    body: bytes = b""                           # serialised graph (CONSTRUCT / DESCRIBE)
    media_type: str = ""
    truncated: bool = False
    count: int = 0
    seconds: float = 0.0

    def dicts(self) -> list[dict[str, str | None]]:
        """Rows as {variable: value} with plain string values (IRIs, literal values, blank node ids)."""
        return [{v: term_value(t) for v, t in zip(self.variables, row)} for row in self.rows]


# characters XML 1.0 cannot hold, even escaped: a literal holding one would make the document ill-formed
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    """``text`` escaped for XML, each character XML 1.0 excludes given as U+FFFD (the JSON, CSV and TSV
    results keep it)."""
    return escape(_NOT_XML_RE.sub("\ufffd", text))


def serialize_results(result: Result, fmt: str, truncated_link: str | None = None) -> bytes:
    """A SELECT or ASK result in one of the SPARQL 1.1 result formats (json, xml, csv, tsv).
    ``truncated_link``: for a result cut off at the row limit, a link in the head of a JSON or XML
    result (the formats' "link" to metadata about it), so a client reading only the body can tell."""
    link = truncated_link if result.truncated else None
    if fmt == "json":
        if result.boolean is not None:
            data: dict[str, Any] = {"head": {}, "boolean": result.boolean}
        else:
            data = {"head": {"vars": result.variables}, "results": {"bindings": [
                {v: _json_term(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows]}}
        if link:
            data["head"]["link"] = [link]
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
        if link:
            out.append(f"<link href={quoteattr(link)}/>")
        out.append("</head>")
        if result.boolean is not None:
            out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
        else:
            out.append("<results>")
            for row in result.rows:
                out.append("<result>")
                for v, t in zip(result.variables, row):
                    if t is None:
                        continue
                    if t[0] == "uri":
                        inner = f"<uri>{_xml_text(t[1])}</uri>"
                    elif t[0] == "bnode":
                        inner = f"<bnode>{_xml_text(t[1])}</bnode>"
                    elif t[2]:
                        inner = f"<literal xml:lang={quoteattr(t[2])}>{_xml_text(t[1])}</literal>"
                    elif t[3]:
                        inner = f"<literal datatype={quoteattr(t[3])}>{_xml_text(t[1])}</literal>"
                    else:
                        inner = f"<literal>{_xml_text(t[1])}</literal>"
                    out.append(f"<binding name={quoteattr(v)}>{inner}</binding>")
                out.append("</result>")
            out.append("</results>")
        out.append("</sparql>\n")
        return "\n".join(out).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if result.boolean is not None:
            writer.writerow(["boolean"])
            writer.writerow(["true" if result.boolean else "false"])
        else:
            writer.writerow(result.variables)
            for row in result.rows:
                writer.writerow(["" if t is None else (f"_:{t[1]}" if t[0] == "bnode" else t[1]) for t in row])
        return buffer.getvalue().encode("utf-8")
    if fmt == "tsv":
        if result.boolean is not None:
            return ("?boolean\n" + ("true" if result.boolean else "false") + "\n").encode("utf-8")
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join(_nt_term(t) for t in row) for row in result.rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"unknown results format {fmt!r}")


# --- running queries (in a worker process or in-process) -----------------------------------------

class Engine:
    """The graph of a build loaded into a store: ``oxigraph`` (pyoxigraph) or ``rdflib`` (rdflib on oxrdflib)."""

    def __init__(self, graph_path: str, store: str = "oxigraph"):
        """A graph.nq that cannot be read (missing, cut short, garbled, empty) is a
        :class:`kg.library.LibraryError` naming it."""
        from rdflib.exceptions import Error as RdflibError

        from .library import READ_ERRORS, LibraryError, damaged

        if store not in ("oxigraph", "rdflib"):
            raise ValueError(f"unknown graph store {store!r}: oxigraph or rdflib")
        try:
            self._load(graph_path, store)
        except (*READ_ERRORS, RdflibError) as exc:
            raise damaged(Path(graph_path), exc) from None
        if not self.size:       # a build's graph holds at least the ontology: an empty file was cut short
            raise LibraryError(f"{graph_path} is damaged or unreadable (it holds no statements); rebuild with `ckg build`")

    def _load(self, graph_path: str, store: str) -> None:
        self.kind = store
        if store == "oxigraph":
            from .graph import load_store

            self.store = load_store(graph_path)
            self.size = len(self.store)
            self.graph_names = list(self.store.named_graphs())
            self._merging = 0
            self._lock = threading.Lock()
        else:
            import rdflib.plugins.sparql
            from rdflib import Dataset

            # FROM <iri> of a graph the build lacks must not make the server fetch it from the web
            rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

            # not default_union: through oxrdflib it is oxigraph's bag union (a triple in two graphs
            # matches twice); the default graph is filled with the merge of the graphs instead, a set
            try:
                self.store = Dataset(store="Oxigraph", default_union=False)
            except Exception:  # oxrdflib missing: rdflib's own memory store
                self.store = Dataset(default_union=False)
            self.store.parse(graph_path, format="nquads")
            default = self.store.default_graph
            for s, p, o, _ in list(self.store.quads((None, None, None, None))):
                default.add((s, p, o))
            self.size = len(self.store)

    def run(self, query: str, *, graph_format: str = "turtle", max_results: int = 10000,
            default_graphs: list[str] | None = None, named_graphs: list[str] | None = None) -> Result:
        started = time.monotonic()
        form = check_query(query)
        if self.kind == "rdflib" and (default_graphs or named_graphs or names_its_dataset(query)):
            # oxrdflib answers every query over the union of the graphs, whatever the query asks
            raise QueryRefused("This endpoint's store (graph_store = rdflib) cannot choose the dataset: FROM, FROM NAMED, "
                               "default-graph-uri and named-graph-uri are refused. Use GRAPH <iri> { … } in the query, "
                               "or the default graph_store = oxigraph.")
        result = self._oxigraph(query, form, graph_format, max_results, default_graphs, named_graphs) \
            if self.kind == "oxigraph" else self._rdflib(query, form, graph_format, max_results)
        result.seconds = time.monotonic() - started
        return result

    def _merge(self, graphs: list[str]):
        """A temporary named graph holding the RDF merge (a set) of ``graphs``: oxigraph takes
        several default graphs as a bag, one match per graph stating a triple (SPARQL 1.1 §13.2
        wants their merge). Removed again by :meth:`_unmerge`."""
        import uuid

        import pyoxigraph

        merged = pyoxigraph.NamedNode(f"urn:ckg:merged-default-graph:{uuid.uuid4().hex}")
        with self._lock:
            self._merging += 1
        try:
            self.store.extend([pyoxigraph.Quad(q.subject, q.predicate, q.object, merged) for g in graphs
                               for q in self.store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(g))])
        except BaseException:
            self._unmerge(merged)
            raise
        return merged

    def _unmerge(self, merged) -> None:
        try:
            self.store.remove_graph(merged)
        finally:
            with self._lock:
                self._merging -= 1

    def _oxigraph(self, query, form, graph_format, max_results, default_graphs, named_graphs) -> Result:
        import pyoxigraph

        # the dataset: the protocol's graph parameters, else the query's FROM / FROM NAMED, else
        # the store's default graph, which load_store made the RDF merge (a set) of every graph
        options: dict[str, Any] = {}
        merged = None
        defaults = list(dict.fromkeys(default_graphs or []))
        named = named_graphs
        if not default_graphs and not named_graphs and names_its_dataset(query):
            clause = dataset_clause(query)
            if clause and len(set(clause[0])) > 1:      # several FROM: merged here, as the protocol's are
                defaults, named = list(dict.fromkeys(clause[0])), clause[1]
        if len(defaults) > 1:
            merged = self._merge(defaults)
            options["default_graph"] = [merged]
            # the graph holding the merge is no named graph of the dataset: the protocol's named-graph-uri,
            # else (as with one default-graph-uri) every graph; the query's FROM NAMED (none: no named graphs)
            if default_graphs:
                options["named_graphs"] = [pyoxigraph.NamedNode(g) for g in named_graphs] if named_graphs \
                    else list(self.graph_names)
            else:
                options["named_graphs"] = [pyoxigraph.NamedNode(g) for g in named]
        else:
            if defaults:
                options["default_graph"] = [pyoxigraph.NamedNode(g) for g in defaults]
            elif named_graphs:
                options["default_graph"] = []     # the protocol: named-graph-uri alone gives an empty default graph
            if named_graphs:
                options["named_graphs"] = [pyoxigraph.NamedNode(g) for g in named_graphs]
            elif self._merging and not names_its_dataset(query):
                options["named_graphs"] = list(self.graph_names)   # another thread's merge is no named graph
        try:
            answer = self.store.query(query, **options)
            if isinstance(answer, pyoxigraph.QueryBoolean):
                return Result(form, boolean=bool(answer), count=1)
            if isinstance(answer, pyoxigraph.QuerySolutions):
                variables = [v.value for v in answer.variables]
                rows, truncated = [], False
                for solution in answer:
                    if len(rows) >= max_results:
                        truncated = True
                        break
                    rows.append([_ox_term(solution[v]) for v in variables])
                return Result(form, variables=variables, rows=rows, truncated=truncated, count=len(rows))
            triples, truncated = [], False
            for triple in answer:
                if len(triples) >= max_results:
                    truncated = True
                    break
                triples.append(triple)
        except (SyntaxError, ValueError, OSError, RuntimeError) as exc:
            raise QueryFailed(_explain(str(exc), query)) from None
        finally:
            if merged is not None:
                self._unmerge(merged)
        if graph_format == "jsonld":
            from .graph import jsonld

            body = jsonld(triples)
        else:
            from .vocab import PREFIXES

            rdf_format = {"turtle": pyoxigraph.RdfFormat.TURTLE, "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
                          "rdfxml": pyoxigraph.RdfFormat.RDF_XML}[graph_format]
            extra = {"prefixes": PREFIXES} if graph_format in ("turtle", "rdfxml") else {}
            body = pyoxigraph.serialize(triples, format=rdf_format, **extra)
        return Result(form, body=body, media_type=GRAPH_TYPES[graph_format], truncated=truncated, count=len(triples))

    def _rdflib(self, query, form, graph_format, max_results) -> Result:
        from rdflib import Graph

        try:
            answer = self.store.query(query)
            if answer.type == "ASK":
                return Result(form, boolean=bool(answer.askAnswer), count=1)
            if answer.type == "SELECT":
                variables = [str(v) for v in answer.vars]
                rows, truncated = [], False
                for row in answer:
                    if len(rows) >= max_results:
                        truncated = True
                        break
                    rows.append([_rdflib_term(row[v]) for v in answer.vars])
                return Result(form, variables=variables, rows=rows, truncated=truncated, count=len(rows))
            graph = Graph()
            truncated = False
            for n, triple in enumerate(answer):
                if n >= max_results:
                    truncated = True
                    break
                graph.add(triple)
        except Exception as exc:  # rdflib raises many kinds on a bad query
            raise QueryFailed(_explain(str(exc), query)) from None
        if graph_format == "jsonld":
            from .graph import jsonld

            body = jsonld(graph)
        else:
            rdflib_format = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}[graph_format]
            body = graph.serialize(format=rdflib_format, encoding="utf-8")
        return Result(form, body=body, media_type=GRAPH_TYPES[graph_format], truncated=truncated, count=len(graph))


def _send(stream, payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("!Q", len(data)) + data)
    stream.flush()


def _receive(stream) -> Any:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the SPARQL worker closed its pipe")
    size = struct.unpack("!Q", header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the SPARQL worker closed its pipe")
    return pickle.loads(data)


def worker_main(graph_path: str, store: str, memory_mb: int) -> None:
    """A worker process (``python -m kg.sparql --worker …``): limit memory, load the graph, then
    answer the queries framed on stdin with results framed on stdout until stdin closes."""
    import resource

    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr      # nothing else may write into the answer pipe
    parent = os.getppid()

    def orphaned() -> None:      # the server is gone (even mid-query): stop too
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=orphaned, name="ckg-sparql-orphan-watch", daemon=True).start()
    try:
        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    from .library import LibraryError

    try:
        engine = Engine(graph_path, store)
    except LibraryError as exc:         # the file named, damaged or missing, and "rebuild with `ckg build`"
        release = f"{Path(graph_path).parent}{os.sep}"      # named in its release: the message reaches web clients
        _send(answers, ("error", f"the graph could not be loaded: {str(exc).replace(release, '')}"))
        return
    except Exception as exc:
        _send(answers, ("error", f"the graph could not be loaded ({type(exc).__name__}: {exc})"))
        return
    _send(answers, ("ready", engine.size))
    while True:
        try:
            request = _receive(requests)
        except (EOFError, OSError):
            return
        try:
            result = engine.run(request["query"], graph_format=request["graph_format"],
                                max_results=request["max_results"], default_graphs=request.get("default_graphs"),
                                named_graphs=request.get("named_graphs"))
            _send(answers, ("ok", result))
        except QueryRefused as exc:
            _send(answers, ("refused", str(exc)))
        except QueryFailed as exc:
            _send(answers, ("failed", str(exc)))
        except MemoryError:
            _send(answers, ("failed", f"The query needs more memory than the limit ({memory_mb} MB, setting sparql_memory_mb)."))
        except Exception as exc:
            _send(answers, ("failed", f"The query could not be run ({type(exc).__name__}: {exc})."))


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, graph_path: str, store: str, memory_mb: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.sparql", "--worker", graph_path, store, str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(Path(__file__).resolve().parent.parent),
            start_new_session=True,
        )

    def ready(self, timeout: float) -> bool:
        return bool(select.select([self.process.stdout], [], [], timeout)[0])

    def send(self, payload: Any) -> None:
        _send(self.process.stdin, payload)

    def receive(self) -> Any:
        return _receive(self.process.stdout)

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=2)
        except Exception:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except Exception:
                pass


class QueryPool:
    """Worker processes answering SPARQL queries with a wall-clock limit.

    Workers start on first use (all at once, in the background) and each keeps the graph in
    memory, so a warm query costs a pipe round trip. A query over ``timeout_s`` has its worker
    killed; a replacement starts in the background while the other workers keep answering.
    """

    def __init__(self, graph_path: str, *, workers: int = 2, timeout_s: float = 5.0, max_results: int = 10000,
                 memory_mb: int = 2048, store: str = "oxigraph", startup_s: float = 60.0):
        self.graph_path = str(graph_path)
        self.workers = max(1, int(workers))
        self.timeout_s = float(timeout_s)
        self.max_results = int(max_results)
        self.memory_mb = int(memory_mb)
        self.store = store
        self.startup_s = startup_s
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._starting = 0
        self._started = False
        self._closed = False
        self.error: str | None = None

    # workers
    @property
    def started(self) -> bool:
        """Whether the workers were asked to start (by :meth:`start` or a first query)."""
        return self._started

    def start(self) -> None:
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        for _ in range(self.workers):
            self._spawn_async()

    def _spawn_async(self) -> None:
        with self._lock:
            self._starting += 1
        threading.Thread(target=self._spawn, name="ckg-sparql-spawn", daemon=True).start()

    def _spawn(self) -> None:
        worker = None
        try:
            worker = _Worker(self.graph_path, self.store, self.memory_mb)
            if not worker.ready(self.startup_s):
                raise RuntimeError(f"a SPARQL worker did not load the graph within {self.startup_s:.0f} s")
            status, payload = worker.receive()
            if status != "ready":
                raise RuntimeError(payload)
            with self._lock:
                if self._closed:
                    raise RuntimeError("closed")
                self._all.append(worker)
                self.error = None
            self._idle.put(worker)
        except Exception as exc:
            with self._lock:
                if not self._closed:
                    self.error = str(exc)
            if worker is not None:
                worker.kill()
        finally:
            with self._lock:
                self._starting -= 1

    def _kill(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def _replace(self, worker: _Worker) -> None:
        self._kill(worker)
        if not self._closed:
            self._spawn_async()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
        for worker in workers:
            self._kill(worker)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"workers": len(self._all), "idle": self._idle.qsize(), "starting": self._starting,
                    "error": self.error}

    # queries
    def run(self, query: str, *, graph_format: str = "turtle", default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None) -> Result:
        check_query(query)            # refused requests never reach a worker
        self.start()
        request = {"query": query, "graph_format": graph_format, "max_results": self.max_results,
                   "default_graphs": default_graphs, "named_graphs": named_graphs}
        for _ in range(3):            # a worker found dead is replaced and the query tried on another
            worker = self._take()
            try:
                worker.send(request)
            except (OSError, EOFError, ValueError):
                self._replace(worker)
                continue
            if not worker.ready(self.timeout_s):
                self._replace(worker)
                raise QueryTimeout(f"The query was stopped after {self.timeout_s:g} s (the time limit, setting "
                                   "sparql_timeout_s). Narrow it down: add LIMIT, more specific patterns or fewer joins.")
            try:
                status, payload = worker.receive()
            except (EOFError, OSError, pickle.UnpicklingError):
                self._replace(worker)
                raise QueryFailed(f"The query stopped its worker (out of memory? limit {self.memory_mb} MB, "
                                  "setting sparql_memory_mb); the endpoint goes on with a fresh worker.") from None
            self._idle.put(worker)
            if status == "ok":
                return payload
            if status == "refused":
                raise QueryRefused(payload)
            raise QueryFailed(payload)
        raise EndpointUnavailable("The SPARQL workers keep stopping; try again in a moment.")

    def _take(self) -> _Worker:
        deadline = time.monotonic() + self.timeout_s + self.startup_s
        while True:
            try:
                return self._idle.get(timeout=0.05)
            except queue.Empty:
                pass
            with self._lock:
                broken = self.error is not None and not self._all and self._starting == 0
            if broken:
                raise EndpointUnavailable(f"The SPARQL endpoint is unavailable: {self.error}")
            if time.monotonic() > deadline:
                raise EndpointUnavailable("All SPARQL workers are busy; try again in a moment.")


def choose_format(form: str, fmt: str | None, accept) -> str:
    """The response format of a query: ``format`` parameter first, then the Accept header, then the default.

    ``accept`` is a werkzeug MIMEAccept (or None). Returns a key of RESULT_TYPES or GRAPH_TYPES, or
    ``html``; raises QueryRefused for a format that does not fit the query form and NotAcceptable
    for an Accept header (not None) that allows none of the formats of the form.
    """
    graph = form in ("CONSTRUCT", "DESCRIBE")
    if fmt:
        fmt = fmt.strip().lower()
        if fmt == "html":
            return "html"
        if fmt not in FORMAT_ALIASES:
            raise QueryRefused(f"Unknown format {fmt!r}: use json, xml, csv or tsv for SELECT and ASK, "
                               "turtle, ntriples, rdfxml or jsonld for CONSTRUCT and DESCRIBE.")
        chosen = FORMAT_ALIASES[fmt][1 if graph else 0]
        if chosen is None:
            raise QueryRefused(f"Format {fmt!r} does not fit {'an' if form[0] in 'AEIOU' else 'a'} {form} query.")
        return chosen
    offered = GRAPH_TYPES if graph else RESULT_TYPES
    if accept is not None:
        # generic names clients send besides the exact media types
        aliases = {"application/json": "jsonld" if graph else "json", "application/xml": "rdfxml" if graph else "xml",
                   "text/xml": "rdfxml" if graph else "xml"}
        if graph:
            aliases["text/n3"] = "turtle"
        best = accept.best_match(list(offered.values()) + list(aliases))
        if best:
            return aliases.get(best) or next(k for k, v in offered.items() if v == best)
        # a header that names nothing we give (application/pdf, or text/turtle on a SELECT): the
        # protocol's 406, not a silent JSON answer; */* and no header at all still get the default
        raise NotAcceptable(f"No format for {'an' if form[0] in 'AEIOU' else 'a'} {form} query fits the Accept header "
                            f"({accept.to_header()[:200]}): this endpoint gives {', '.join(offered.values())}"
                            " or text/html (a results table); or name one in the `format` parameter.")
    return "turtle" if graph else "json"


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        from kg.sparql import worker_main as _worker_main   # results pickle as kg.sparql.Result, not __main__.Result

        _worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("usage: python -m kg.sparql --worker GRAPH_FILE STORE MEMORY_MB (started by the web app)")
