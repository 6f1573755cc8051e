"""A bounded in-memory cache of whole GET responses for the pages and API answers that depend only
on the URL and the build.

A release never changes while it is served (a new build is a new release, which the app switches
to: see kg.library.LibraryFollower), so a search, a concept page or a reader page answered once
can be answered again from memory as long as the same release is served: answers are keyed by
release, and the cache is emptied when the app switches. Under
load the same concepts and questions come back again and again; answering them from memory keeps
the CPU for the new ones. The health check, SPARQL (its own worker processes), the exports (their
own cache), static files and anything but a 200 are never cached. The cache is bounded in bytes
(setting RESPONSE_CACHE_MB; 0 turns it off) and drops the least recently used answers first.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from typing import Callable

from flask import Flask, Response, g, request

CACHEABLE = ("/api/search", "/api/quotes", "/api/concepts", "/api/studies", "/api/sources",
             "/search", "/quotes", "/concepts", "/studies", "/sources/")
NEVER = ("/api/quotes/export",)
MAX_ENTRY_BYTES = 2 * 1024 * 1024


@dataclass
class _Entry:
    body: bytes
    status: int
    headers: list[tuple[str, str]]


class ResponseCache:
    """Least-recently-used responses, at most ``max_bytes`` of bodies in all."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, entry: _Entry) -> None:
        size = len(entry.body) + len(key)
        if size > min(MAX_ENTRY_BYTES, self.max_bytes):
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= len(old.body) + len(key)
            self._entries[key] = entry
            self.bytes += size
            while self.bytes > self.max_bytes and self._entries:
                dropped_key, dropped = self._entries.popitem(last=False)
                self.bytes -= len(dropped.body) + len(dropped_key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._entries), "bytes": self.bytes, "hits": self.hits, "misses": self.misses}


def _key(scope: str) -> str | None:
    if request.method != "GET" or not request.path.startswith(CACHEABLE) or request.path.startswith(NEVER):
        return None
    # the Accept header is part of the key: a page with content negotiation (/concepts/<id> as HTML,
    # Turtle or JSON-LD) must not answer a Turtle client with the HTML a browser was given
    return scope + "\n" + request.path + "?" + request.query_string.decode("latin-1") + "\n" + request.headers.get("Accept", "")


def install(app: Flask, max_mb: float, scope: Callable[[], str] = lambda: "") -> ResponseCache | None:
    """Answer repeated GETs of cacheable paths from memory; None when ``max_mb`` is 0. ``scope()``
    names what the answers depend on besides the request (the release served): part of the key,
    so an answer of one release is never given for another."""
    if not max_mb or max_mb <= 0:
        return None
    cache = ResponseCache(int(max_mb * 1024 * 1024))

    @app.before_request
    def _answer_from_cache():
        key = _key(scope())
        if key is None:
            return None
        entry = cache.get(key)
        if entry is None:
            g.ckg_cache_key = key
            return None
        return Response(entry.body, status=entry.status, headers=entry.headers)

    @app.after_request
    def _keep_in_cache(response: Response) -> Response:
        key = g.pop("ckg_cache_key", None)
        if key is not None and response.status_code == 200 and not response.direct_passthrough:
            headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("set-cookie", "content-length")]
            cache.put(key, _Entry(response.get_data(), response.status_code, headers))
        return response

    return cache
