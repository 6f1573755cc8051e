"""The Common Knowledge web app: reader pages and a JSON API over a built library.

``create_app(config)`` is the only entry point; ``ckg serve`` serves its result with waitress.
"""
from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from flask import Flask, Request, current_app
from werkzeug.datastructures import MIMEAccept

from kg.library import Library, LibraryFollower
from kg.quotes import locator

from . import config as app_config
from . import cache as response_cache
from . import viewdata
from .apidoc import refuse_unknown_parameters
from .errors import register_error_handlers
from .security import add_cors_headers, add_security_headers
from .views import api, knowledge, library, pages, search, sparql, quotes
from .views import works

__all__ = ["create_app"]


class _Request(Request):
    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        """The Accept header's media types without their parameters other than q: werkzeug matches a
        type only when its parameters match too, so "application/sparql-results+json; charset=utf-8"
        or a JSON-LD profile found no format and got a 406, or HTML."""
        given = super().accept_mimetypes
        return MIMEAccept([(value.split(";", 1)[0].strip(), quality) for value, quality in given]) if given else given


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """A configured app serving the library in ``config["BUILD_DIR"]``.

    Raises :class:`kg.library.LibraryError` when the build directory holds no usable library.
    """
    app = Flask(__name__)
    app.request_class = _Request
    app.config.update(app_config.defaults())
    app.config.update(config or {})
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    # the build directory's current release, followed as builds switch it (no restart needed)
    follower = LibraryFollower(app.config["BUILD_DIR"], interval_s=float(app.config["FOLLOW_INTERVAL_S"]))
    app.extensions["ckg_follower"] = follower
    app.extensions["ckg_library"] = follower.library        # the library served now; replaced on a switch
    follower.on_change(lambda old, new: _library_changed(app, new))
    app.before_request(_pin_library)        # first: the response cache keys its answers by the request's release
    app.before_request(refuse_unknown_parameters)
    app.context_processor(lambda: {"site": viewdata.site(library())})
    # "p. 3", or "slide 6" in a slide deck: where a passage, quote or citation is in its source
    app.jinja_env.filters["excerpt"] = viewdata.as_excerpt
    app.jinja_env.globals["locate"] = lambda page, label=None, source_id=None: locator(
        page, label, library().source(source_id) if source_id else None)

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(quotes.pages_bp)
    app.register_blueprint(quotes.api_bp, url_prefix="/api")
    app.register_blueprint(search.pages_bp)
    app.register_blueprint(search.api_bp, url_prefix="/api")
    app.register_blueprint(knowledge.pages_bp)
    app.register_blueprint(knowledge.api_bp, url_prefix="/api")
    app.register_blueprint(works.pages_bp)
    app.register_blueprint(works.api_bp, url_prefix="/api")
    app.register_blueprint(sparql.bp)
    app.extensions["ckg_sparql"] = sparql.make_pool(app)
    register_error_handlers(app)
    app.before_request(_without_trailing_slash)
    app.extensions["ckg_response_cache"] = response_cache.install(app, float(app.config.get("RESPONSE_CACHE_MB") or 0),
                                                                  scope=lambda: library().root.name)
    app.after_request(add_security_headers)
    app.after_request(add_cors_headers)
    if int(app.config.get("PROXY_COUNT") or 0) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_COUNT"])   # only headers set by our own proxies: a client could forge the rest
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    return app


def _pin_library() -> None:
    """The request answers from the release current when it started, whatever switches meanwhile."""
    library()


def _library_changed(app: Flask, new: Library) -> None:
    """After the follower switched to ``new``: what the app keeps per release follows it. SPARQL
    workers of the old release finish the queries they run (within the time limit), then stop."""
    app.extensions["ckg_library"] = new
    old_pool = app.extensions["ckg_sparql"]
    pool = sparql.make_pool(app)
    if old_pool.started:
        pool.start()                        # the old workers were up: have the new ones load the graph now
    app.extensions["ckg_sparql"] = pool
    retire = threading.Timer(old_pool.timeout_s + 5, old_pool.close)
    retire.daemon = True
    retire.start()
    cache = app.extensions.get("ckg_response_cache")
    if cache is not None:
        cache.clear()                       # its answers are keyed by release: the old ones only take memory


def _without_trailing_slash():
    """"/concepts/relational-agency/" (a pasted link, a habit) goes to the address without the slash
    when only that one exists; the query string is kept."""
    from flask import redirect, request
    from werkzeug.exceptions import HTTPException

    path = request.path
    if len(path) < 2 or not path.endswith("/") or {".", ".."} & set(path.split("/")):
        return None     # "/studies/../" is not an address to send a browser to
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path, method=request.method)
        return None
    except HTTPException:
        pass
    try:
        adapter.match(path.rstrip("/"), method=request.method)
    except HTTPException:
        return None
    query = request.query_string.decode("latin-1")
    return redirect(request.script_root + path.rstrip("/") + ("?" + query if query else ""), code=308)
