"""Blueprints: ``pages`` (HTML) and ``api`` (JSON, under /api). View functions stay thin:
they take view data from :mod:`search_app.viewdata` and render it."""
from __future__ import annotations

from flask import current_app, g

from kg.library import Library


def library() -> Library:
    """The Library this request answers from: the build directory's current release when the
    request started (create_app's LibraryFollower), the same for the whole request."""
    pinned = g.get("ckg_library")
    if pinned is None:
        pinned = g.ckg_library = current_app.extensions["ckg_follower"].get()
    return pinned
