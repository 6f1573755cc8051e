"""HTML pages: the home page (corpus overview), the source reader and the favicon browsers ask for."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, redirect, render_template, send_from_directory, url_for

from .. import viewdata
from ..apidoc import documented
from . import library

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("home.html", view=viewdata.home(library()))


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it unasked (on a JSON or SVG response, which links none):
    the static favicon.ico (made by scripts/make_favicon.py), cached for a day."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)


@bp.get("/sources")
@bp.get("/sources/")
def sources():
    """The sources are listed on the home page (the navigation's "Sources")."""
    return redirect(url_for("pages.home") + "#sources")


@bp.get("/sources/<source_id>")
def source(source_id: str):
    view = viewdata.reader(library(), source_id)
    if view is None:
        abort(404, description=f"There is no source with the id “{source_id}”.")
    return render_template("source.html", view=view)


@bp.get("/sources/<source_id>/text")
@documented("A source's cleaned text: what every character offset counts into (start and end in /api/sources/<id> "
            "and its citations, oa:start and oa:end in the graph).",
            "text/plain; charset=utf-8, the text whose [start:end] is each passage's and citation's text")
def source_text(source_id: str):
    """The source's cleaned text as plain text: what every annotation's character positions (the
    graph's oa:start / oa:end, the API's start / end) count into — the graph's ck:annotatedText."""
    document = library().document(source_id)
    if document is None:
        abort(404, description=f"There is no source with the id “{source_id}”.")
    response = Response(document.get("text") or "", mimetype="text/plain")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(source_id, safe='')}.txt"
    return response
