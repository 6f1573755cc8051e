"""Blueprints: ``pages`` (HTML) and ``api`` (JSON, under /api). View functions stay thin:
they take view data from :mod:`search_app.viewdata` and render it."""
from __future__ import annotations

from flask import current_app

from kg.library import Library


def library() -> Library:
    """The Library loaded by create_app for this app."""
    return current_app.extensions["ckg_library"]
