"""HTML pages: the home page (corpus overview) and the source reader."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for

from .. import viewdata
from . import library

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("home.html", view=viewdata.home(library()))


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
