"""Concept and study pages (/concepts, /concepts/<id>, /studies, /studies/<id>) and their JSON API
(/api/concepts, /api/concepts/<id>, /api/studies, /api/studies/<id>), from search_app.knowledge."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from .. import conceptdata as knowledge
from ..conceptrdf import CONCEPT_RDF_TYPES, EXTENSIONS, concept_rdf
from ..apidoc import documented
from . import library

pages_bp = Blueprint("knowledge", __name__)
api_bp = Blueprint("knowledge_api", __name__)

MAX_LABEL_CHARS = 200


def _label() -> str | None:
    label = request.args.get("label")
    if label is not None and len(label) > MAX_LABEL_CHARS:
        abort(400, description=f"The label is longer than {MAX_LABEL_CHARS} characters.")
    return label


# --- JSON -----------------------------------------------------------------------------------------

@api_bp.get("/concepts")
@documented("The concepts a label names, best match first (any case, hyphenated or not, plural, British or "
            "American, an acronym, a small typo, a question); without a label every concept A–Z.",
            '{"results": [{"id", "pref_label", "alt_labels", "score", "matched_label"}], "families", "ladder"}; '
            '"score" and "matched_label" (how the label matched), "families" (the families the label names) and '
            '"ladder" (the four levels of prevention, when it names them) come with a label only',
            label="the label as a reader types it")
def concepts_api():
    return jsonify(knowledge.concept_list(library(), _label()))


@api_bp.get("/concepts/<concept_id>")
@documented("One concept: labels, definitions quoted with source, page and citation, descriptions, "
            "neighbours, who coined it, studies, sources and every passage linked to it (definitional first).",
            '{"id", "uri", "pref_label", "alt_labels", "definitions", "descriptions", "broader", "narrower", "related", '
            '"studies", "coined_by", "homonyms", "sources", "source_counts", "passages"}')
def concept_api(concept_id: str):
    data = knowledge.concept_detail(library(), concept_id)
    if data is None:
        meant = _concept_meant(concept_id)
        if meant:
            return redirect(url_for("knowledge_api.concept_api", concept_id=meant))
        abort(404, description=f"There is no concept with the id “{concept_id}”; find one with /api/concepts?label=.")
    return jsonify(data)


@api_bp.get("/studies")
@documented("Every study the sources describe.",
            '{"results": [{"id", "name", "acronym", "funder", "years", "sources", "reported_in", "cited_only_in"}]}')
def studies_api():
    return jsonify(knowledge.study_list(library()))


@api_bp.get("/studies/<study_id>")
@documented("One study with its leads, scale, method, outputs (`output`), concepts and the passages that name it.",
            '{"id", "name", "acronym", "funder", "years", "sources", "reported_in", "cited_only_in", "leads", "co_leads", '
            '"team", "scale", "method", "output", "stated_in", "concepts", "passages": [{"passage_id", "source_id", "text", '
            '"page", "mentions"}], …}')
def study_api(study_id: str):
    data = knowledge.study_detail(library(), study_id)
    if data is None:
        meant = _study_meant(study_id)
        if meant:
            return redirect(url_for("knowledge_api.study_api", study_id=meant))
        abort(404, description=f"There is no study with the id “{study_id}”.")
    return jsonify(data)


# --- pages ----------------------------------------------------------------------------------------

@pages_bp.get("/concepts")
def concepts_page():
    label = _label()
    view = _finder_view(label)
    if request.args.get("go") and view["ladder_match"] and view["ladder_match"]["exact"]:
        return redirect(url_for("knowledge.concepts_page") + "#ladder")
    if view["matches"] and request.args.get("go") and knowledge.clear_best(view["matches"]):
        return redirect(url_for("knowledge.concept_page", concept_id=view["matches"][0]["id"]))
    return render_template("concepts.html", view=view)


@pages_bp.get("/concepts/<concept_id>")
def concept_page(concept_id: str):
    if (rdf := concept_rdf_negotiated(concept_id)) is not None:    # Accept: text/turtle or application/ld+json
        return rdf
    view = knowledge.concept_page(library(), concept_id)
    if view is None:
        # a guessed address ("/concepts/Relational-Agency", "/concepts/resilence"): what the concept finder
        # does with the words typed ("four levels of prevention": the ladder), else the concept it clearly
        # names, else the finder's answer, studies and people included ("NECF"), as a 404
        typed = concept_id.replace("-", " ").replace("_", " ")
        found = knowledge.concept_list(library(), typed) if typed.strip() else None
        if found and (found.get("ladder") or {}).get("exact"):
            return redirect(url_for("knowledge.concepts_page") + "#ladder")
        # "/concepts/NECF", "/concepts/Learning-in-and-for-Interagency-Working": no concept is named
        # so, a study is (by its whole name), though a concept's words may stand inside that name
        study = library().find_study(typed) if typed.strip() else None
        if study and not knowledge.index(library()).resolver.named_exactly(typed):
            return redirect(url_for("knowledge.study_page", study_id=study["id"]))
        meant = _meant_in(found["results"], concept_id) if found else None
        if meant:
            return redirect(url_for("knowledge.concept_page", concept_id=meant))
        page = _finder_view(typed, found)
        page["missing_id"] = concept_id
        return render_template("concepts.html", view=page), 404
    return render_template("concept.html", view=view)


@pages_bp.get("/studies")
def studies_page():
    return render_template("studies.html", view=knowledge.study_index_page(library()))


@pages_bp.get("/studies/<study_id>")
def study_page(study_id: str):
    view = knowledge.study_page(library(), study_id)
    if view is None:
        named = _study_meant(study_id)
        if named:
            return redirect(url_for("knowledge.study_page", study_id=named))
        abort(404, description=f"There is no study with the id “{study_id}”.")
    return render_template("study.html", view=view)


def _studies_and_people_named(label: str) -> list[dict[str, str]]:
    """What a term typed in the concept finder names besides concepts: a study ("NECF") or a person or
    body the sources cite ("Hardiker", "DfES"), so the finder does not dead-end on them."""
    out = []
    study = library().find_study(label)
    if study:
        out.append({"kind": "study", "label": study.get("name") or study["id"],
                    "href": url_for("knowledge.study_page", study_id=study["id"])})
    person_id = label if library().person(label) else library().person_alias(label)
    person = library().person(person_id) if person_id else None
    if person:
        out.append({"kind": "organisation" if person.get("kind") == "organization" else "author",
                    "label": person["name"], "href": url_for("works.person_page", person_id=person["id"])})
    return out


def _finder_view(label: str | None, found: dict | None = None) -> dict:
    """The concept browser with the concept finder's answer for ``label`` (``found``, when the caller
    has it already): concepts, families, the studies and people it names, and the prevention ladder
    when it names the levels."""
    view = knowledge.concept_browser(library())
    view["label"] = label or ""
    if found is None and label and label.strip():
        found = knowledge.concept_list(library(), label)
    view["matches"] = found["results"] if found else None
    view["family_matches"] = found["families"] if found else []
    view["other_matches"] = _studies_and_people_named(label) if label and label.strip() else []
    view["ladder_match"] = found.get("ladder") if found else None
    return view


def _concept_meant(concept_id: str) -> str | None:
    """The concept a guessed address clearly names ("Relational-Agency", "resilence"), else None."""
    return _meant_in(knowledge.concept_list(library(), concept_id.replace("-", " ").replace("_", " "))["results"], concept_id)


def _meant_in(found: list[dict], concept_id: str) -> str | None:
    """The concept the finder's answer ``found`` clearly names, when it is not ``concept_id`` itself."""
    return found[0]["id"] if knowledge.clear_best(found) and found[0]["id"] != concept_id else None


def _study_meant(study_id: str) -> str | None:
    """"NECF", "necf", a study's name in any case: the study's id, else None."""
    study = library().find_study(study_id) if study_id.strip() else None
    return study["id"] if study and study["id"] != study_id else None


# --- one concept as RDF (Skosmos-style): /concepts/<id>.ttl, .jsonld, or /concepts/<id> by Accept ---

def _concept_rdf_response(concept_id: str, media_type: str) -> Response:
    fmt, ext = CONCEPT_RDF_TYPES[media_type]
    body = concept_rdf(library(), concept_id, fmt)
    if body is None:
        abort(404, description=f"There is no concept with the id “{concept_id}”.")
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'inline; filename="{concept_id}.{ext}"'
    response.vary.add("Accept")
    return response


@pages_bp.get("/concepts/<concept_id>.<fmt>")
@documented("One concept as RDF: its SKOS labels and notes, definitions and descriptions with their source, page "
            "and the passage quoted, broader, narrower and related concepts, collections, studies and coinages, each "
            "linked node with its label (a concise bounded description from the graph). /concepts/<id> gives the "
            "same to an Accept header of text/turtle or application/ld+json; .json and Accept: application/json "
            "lead to /api/concepts/<id>.",
            "text/turtle (.ttl) or application/ld+json (.jsonld): the concept's skos:prefLabel, skos:altLabel, "
            "skos:definition (rdf:value, dcterms:source, ck:page, prov:wasQuotedFrom), skos:broader, skos:narrower, "
            "skos:related, ck:relatedStudy")
def concept_rdf_file(concept_id: str, fmt: str):
    if fmt == "json":       # the JSON API's view of the concept
        return redirect(url_for("knowledge_api.concept_api", concept_id=concept_id))
    if fmt.lower() in ("html", "htm"):      # the page itself, as a reader typing .html means
        return redirect(url_for("knowledge.concept_page", concept_id=concept_id))
    if fmt not in EXTENSIONS:
        abort(404, description=f"There is no concept format “{fmt}”: use .ttl, .jsonld or .json.")
    return _concept_rdf_response(concept_id, EXTENSIONS[fmt])


def concept_rdf_negotiated(concept_id: str) -> Response | None:
    """The concept's RDF when the Accept header prefers Turtle or JSON-LD to HTML; None for the page.
    HTML comes first among equals, so */*, a browser's header and no header get the page."""
    best = request.accept_mimetypes.best_match(["text/html", *CONCEPT_RDF_TYPES, "application/json"])
    if best == "application/json":      # the JSON API's view (the same data as the page)
        return redirect(url_for("knowledge_api.concept_api", concept_id=concept_id), code=303)
    return _concept_rdf_response(concept_id, best) if best in CONCEPT_RDF_TYPES else None


@pages_bp.after_request
def _concept_page_varies_by_accept(response: Response) -> Response:
    # the HTML concept page has RDF siblings at the same URL: caches must key it by Accept
    if request.endpoint == "knowledge.concept_page":
        response.vary.add("Accept")
    return response
