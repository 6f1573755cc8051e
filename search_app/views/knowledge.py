"""Concept and study pages (/concepts, /concepts/<id>, /studies, /studies/<id>) and their JSON API
(/api/concepts, /api/concepts/<id>, /api/studies, /api/studies/<id>), from search_app.knowledge."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from .. import conceptdata as knowledge
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
            '{"results": [{"id", "pref_label", "alt_labels", "score", "matched_label"}], "families"}',
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
        abort(404, description=f"There is no concept with the id “{concept_id}”.")
    return jsonify(data)


@api_bp.get("/studies")
@documented("Every study the sources describe.", '{"results": [{"id", "name", "acronym", "funder", "years", "sources"}]}')
def studies_api():
    return jsonify(knowledge.study_list(library()))


@api_bp.get("/studies/<study_id>")
@documented("One study with its leads, scale, method, outputs, concepts and the passages that name it.")
def study_api(study_id: str):
    data = knowledge.study_detail(library(), study_id)
    if data is None:
        abort(404, description=f"There is no study with the id “{study_id}”.")
    return jsonify(data)


# --- pages ----------------------------------------------------------------------------------------

@pages_bp.get("/concepts")
def concepts_page():
    label = _label()
    view = knowledge.concept_browser(library())
    view["label"] = label or ""
    found = knowledge.concept_list(library(), label) if label and label.strip() else None
    view["matches"] = found["results"] if found else None
    view["family_matches"] = found["families"] if found else []
    if view["matches"] and request.args.get("go") and knowledge.clear_best(view["matches"]):
        return redirect(url_for("knowledge.concept_page", concept_id=view["matches"][0]["id"]))
    return render_template("concepts.html", view=view)


@pages_bp.get("/concepts/<concept_id>")
def concept_page(concept_id: str):
    view = knowledge.concept_page(library(), concept_id)
    if view is None:
        abort(404, description=f"There is no concept with the id “{concept_id}”.")
    return render_template("concept.html", view=view)


@pages_bp.get("/studies")
def studies_page():
    return render_template("studies.html", view=knowledge.study_index_page(library()))


@pages_bp.get("/studies/<study_id>")
def study_page(study_id: str):
    view = knowledge.study_page(library(), study_id)
    if view is None:
        abort(404, description=f"There is no study with the id “{study_id}”.")
    return render_template("study.html", view=view)
