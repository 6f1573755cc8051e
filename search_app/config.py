"""The web app's settings, declared once with their defaults and help text.

``create_app(config)`` starts from these defaults and applies the given mapping on top; any other
Flask setting may be passed through the same mapping.
"""
from __future__ import annotations

from typing import Any, NamedTuple


class Setting(NamedTuple):
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("BUILD_DIR", "build", "Build directory written by `ckg build` (its `current` release is served)."),
    Setting("FOLLOW_INTERVAL_S", 1.0, "Seconds between looks at BUILD_DIR/current: a release a build switched it to is "
                                      "loaded and served from the next request on (0: look on every request)."),
    Setting("TESTING", False, "Flask testing mode: exceptions propagate to the test client."),
    Setting("MAX_CONTENT_LENGTH", 1024 * 1024, "Largest request body accepted, in bytes; larger requests get 413."),
    Setting("RESPONSE_CACHE_MB", 0, "Memory (MB) for repeated GET answers of pages and API (search, concepts, sources…); 0 (the default of the app; `ckg serve` uses the response_cache_mb setting) turns the cache off."),
    Setting("DEBUG", False, "Flask debug mode: never on when serving (set here so FLASK_DEBUG in the environment cannot turn it on)."),
    Setting("PROXY_COUNT", 0, "Reverse proxies whose X-Forwarded-* headers are trusted (werkzeug ProxyFix); 0 trusts none."),
)


def defaults() -> dict[str, Any]:
    return {setting.name: setting.default for setting in SETTINGS}


def describe() -> list[tuple[str, Any, str]]:
    """(name, default, help) for each setting, for documentation."""
    return [tuple(setting) for setting in SETTINGS]
