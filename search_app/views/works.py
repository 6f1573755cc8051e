"""Citation lineage pages and JSON API: works, people, a source's references and citations, a
concept's lineage, the citation graph (SVG drawn here, no script) and BibTeX/RIS export of a work
list. Data from search_app.workdata; the pages and the JSON share it."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from .. import workdata
from ..conceptdata import placed_coinage
from ..apidoc import documented
from . import library

pages_bp = Blueprint("works", __name__)
api_bp = Blueprint("works_api", __name__)


def _q(name: str = "q") -> str:
    value = request.args.get(name, "")
    if len(value) > workdata.MAX_QUERY_CHARS:
        abort(400, description=f"The parameter {name} is longer than {workdata.MAX_QUERY_CHARS} characters.")
    return value


def _source() -> str:
    """The source= filter: a source of this library (404 for another id)."""
    source = _q("source")
    if source and library().source(source) is None:
        abort(404, description=f"There is no source with the id “{source}”.")
    return source


def _or_404(data, what: str, ident: str):
    if data is None:
        abort(404, description=f"There is no {what} with the id “{ident}”.")
    return data


# --- JSON -----------------------------------------------------------------------------------------

@api_bp.get("/works")
@documented("Works the sources cite (merged across documents), found by author, year and title words "
            "(a citation as printed works too: \"DfES 2004a\", \"Edwards et al. (2006, p. 62)\"); year keeps its "
            "a/b suffix (\"1999a\"). A citation of several works (\"(Edwards 2005, 2007, in press)\", "
            "\"Bynner, 2001; France and Utting, 2005\") lists the works it names in its order, and citations "
            "gives the work ids of each part (empty for any other q).",
            '{"query", "source", "source_title", "total", "results": [{"id", "authors", "year", "title", "cited_by", "source_id"}], '
            '"citations": [{"citation", "work_ids"}]}',
            q="author, year or title words", source="only the works this source (an id of /api/sources) cites or lists")
def works_api():
    return jsonify(workdata.work_list(library(), _q(), _source()))


@api_bp.get("/works/<work_id>")
@documented("One work: how each source lists it, who cites it in which sentence (each sentence once, with the "
            "markers it cites the work by), and what it cites. An id of an older build's form redirects.",
            '{"id", "authors", "year", "title", …, "cited_by": [{"source_id", "passage_id", "context", "page", "surfaces", "ambiguous", "candidates"}], '
            '"cites", "renderings", "kind", "study_id"}')
def work_api(work_id: str):
    return _moved_work("works_api.work_api", work_id) or jsonify(
        _or_404(workdata.work_detail(library(), work_id), "work", work_id))


def _moved_work(endpoint: str, work_id: str):
    """A permanent redirect from a work id of an older build's form (cut inside a word, no year letter)
    or typed in another case to the work's id; else None."""
    moved = library().work_alias(work_id) if library().work(work_id) is None else None
    return redirect(url_for(endpoint, work_id=moved), code=301) if moved else None


def _former_id(endpoint: str, person_id: str):
    """A redirect to a person's page under their id when ``person_id`` clearly means them: an id they had
    before (builds before people took their graph ids said "edwards-a" for anne-edwards), the id in
    another case or with spaces, a body without "org-" or by acronym ("dfes"), a surname one person has;
    else None."""
    if library().person(person_id) is None and library().person_alias(person_id):
        return redirect(url_for(endpoint, person_id=library().person_alias(person_id)), code=301)
    return None


@api_bp.get("/people/<person_id>")
@documented("One person or body: their works and where they are cited, the concepts credited to them, the studies "
            "they led, co-led, worked on or funded (a study's co-lead or funder with no cited work has a page too). The id is the local name of the "
            "person's node in the graph (person/<id>; a body's id is org-<name> for org/<name>); a former id, a surname one person has, "
            "a body's acronym or name (\"dfes\") redirect.",
            '{"id", "name", "kind", "uri", "aliases", "works", "cited_in", "concepts_credited", '
            '"studies": [{"id", "name", "role"}]}')
def person_api(person_id: str):
    return _former_id("works_api.person_api", person_id) or jsonify(
        _or_404(workdata.person_detail(library(), person_id), "person", person_id))


@api_bp.get("/sources/<source_id>/references")
@documented("A source's reference list in its order, each entry with the work it resolves to (work_id; empty when "
            "it resolves to none) and the section of the list it is under.",
            '{"source_id", "results": [{"key", "authors", "year", "title", "acronym", "raw", "work_id", "container", '
            '"publisher", "url", "section"}]}')
def references_api(source_id: str):
    return jsonify(_or_404(workdata.references(library(), source_id), "source", source_id))


@api_bp.get("/sources/<source_id>/citations")
@documented("A source's in-text citations, each with its citing sentence, passage, page and work; one the "
            "list does not tell apart (\"NECF (2004)\" beside 2004a and 2004b) is ambiguous, with the works it may be.",
            '{"source_id", "results": [{"surnames", "year", "page", "key", "context", "work_id", "kind", "title", '
            '"ambiguous", "candidates", "surface", "passage_id", "doc_page", "page_label", "start", "end"}]}')
def citations_api(source_id: str):
    return jsonify(_or_404(workdata.citations(library(), source_id), "source", source_id))


@api_bp.get("/concepts/<concept_id>/lineage")
@documented("Where a concept came from: who the sources say coined or introduced it, or trace it to (origins, "
            "earliest first, each with the sentence that says so; traced_to: where a source starts its tradition, not who named it), the works cited for it, earliest first, each with its sentence "
            "(attached, in_sentence, same_sentence_as; credited_by_definition: a work a quoted definition of the "
            "concept is credited to, its sentence that definition), then the works cited where it is discussed.",
            '{"concept_id", "label", "origins": [{"by", "introduced_by", "traced_to", "citation", "year", "evidence", "source_id", '
            '"passage_id", "page", "page_label"}], "results": [{"work_id", "year", "title", "authors", "label", "sentence", "source_id", '
            '"passage_id", "page", "page_label", "defines", "in_sentence", "attached", "sources", "credited_by_definition", '
            '"kind", "study_id", "same_sentence_as"}], "sources": [{"source_id", "title", "mentions", "defines"}]}')
def lineage_api(concept_id: str):
    return _moved_concept("works_api.lineage_api", concept_id) or jsonify(
        _or_404(workdata.concept_lineage(library(), concept_id), "concept", concept_id))


def _moved_concept(endpoint: str, concept_id: str):
    """A guessed concept address ("Relational-Agency", "resilence") redirected as the concept page does; else None."""
    from .knowledge import _concept_meant

    if concept_id == workdata.LADDER_ID:       # the four levels of prevention: a scheme, with a lineage of its own
        return None
    meant = _concept_meant(concept_id) if library().concept(concept_id) is None else None
    return redirect(url_for(endpoint, concept_id=meant)) if meant else None


# --- pages ----------------------------------------------------------------------------------------

@pages_bp.get("/works")
def works_page():
    return render_template("works.html", view=workdata.work_list(library(), _q(), _source()))


@pages_bp.get("/works/export.<fmt>")
@documented("The works a search finds (or those named) as BibTeX (export.bib) or RIS (export.ris).",
            "application/x-bibtex (export.bib) or application/x-research-info-systems (export.ris), as an attachment",
            q="author, year or title words", source="only the works this source cites or lists",
            ids="work ids separated by commas, instead of q")
def works_export(fmt: str):
    if fmt not in ("bib", "ris"):
        abort(404, description=f"There is no export format “{fmt}”; use export.bib or export.ris.")
    works = [library().work(w["id"]) for w in workdata.work_list(library(), _q(), _source())["results"]]
    ids = request.args.get("ids")
    if ids:
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
        # an id of an older build's form, or in another case, as /api/works/<id> redirects it
        works = [library().work(library().work_alias(i) or i) for i in wanted]     # work_alias: None for a known id
        unknown = [i for i, w in zip(wanted, works) if w is None]
        if unknown:
            abort(400, description=f"Unknown work ids in the parameter ids: {', '.join(unknown[:10])}")
    notes = workdata.export_notes(library(), works)     # a letter on file, a funded study: no publication
    if fmt == "bib":
        return Response(workdata.export_bibtex(works, notes), mimetype="application/x-bibtex",
                        headers={"Content-Disposition": "attachment; filename=works.bib"})
    return Response(workdata.export_ris(works, notes), mimetype="application/x-research-info-systems",
                    headers={"Content-Disposition": "attachment; filename=works.ris"})


@pages_bp.get("/works/<work_id>")
def work_page(work_id: str):
    moved = _moved_work("works.work_page", work_id)
    if moved is not None:
        return moved
    view = _or_404(workdata.work_detail(library(), work_id), "work", work_id)
    view["cites_works"] = [workdata.work_summary(library().work(w)) for w in view["cites"] if library().work(w)]
    view["source_titles"] = {s["id"]: s.get("title") or s["id"] for s in library().sources()}
    return render_template("work.html", view=view)


@pages_bp.get("/people/<person_id>")
def person_page(person_id: str):
    moved = _former_id("works.person_page", person_id)
    if moved is not None:
        return moved
    view = _or_404(workdata.person_detail(library(), person_id), "person", person_id)
    view["cited_sentences"] = workdata.cited_in_by_sentence(view)
    view["source_titles"] = {s["id"]: s.get("title") or s["id"] for s in library().sources()}
    return render_template("person.html", view=view)


@pages_bp.get("/concepts/<concept_id>/lineage")
def lineage_page(concept_id: str):
    moved = _moved_concept("works.lineage_page", concept_id)
    if moved is not None:
        return moved
    view = _or_404(workdata.concept_lineage(library(), concept_id), "concept", concept_id)
    placed_coinage(library(), view["origins"])
    view["source_titles"] = {s["id"]: s.get("title") or s["id"] for s in library().sources()}
    return render_template("lineage.html", view=view)


@pages_bp.get("/citations/graph")
def graph_page():
    q, source = _q(), _source()
    graph = workdata.citation_graph(library(), q, source)
    return render_template("citation_graph.html", view={"query": q, "source": source, "graph": graph,
                                                        "svg": workdata.graph_svg(graph, request.script_root)})


@pages_bp.get("/citations/graph.svg")
@documented("Which sources cite which works, drawn as SVG.", "image/svg+xml, each node linking to its page", q="only works matching these words",
            source="only this source's citations")
def graph_svg():
    q, source = _q(), _source()         # an unknown source is a 404, as the page and /api/works answer it
    graph = workdata.citation_graph(library(), q, source)
    return Response(workdata.graph_svg(graph, request.script_root), mimetype="image/svg+xml")
