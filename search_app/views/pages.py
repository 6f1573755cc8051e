"""HTML pages: the home page (corpus overview) and the source reader."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from .. import viewdata
from . import library

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("home.html", view=viewdata.home(library()))


@bp.get("/sources/<source_id>")
def source(source_id: str):
    view = viewdata.reader(library(), source_id)
    if view is None:
        abort(404, description=f"There is no source with the id “{source_id}”.")
    return render_template("source.html", view=view)
