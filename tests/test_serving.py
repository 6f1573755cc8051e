"""How `ckg serve` serves on a network: waitress limits from the settings, no debug mode, the
response cache, one thread per request's vector maths, X-Forwarded-* only behind a trusted proxy."""
from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import server_options
from kg.settings import Settings
from search_app import create_app


def test_server_options_carry_the_limits():
    settings = Settings().with_overrides(max_request_kb=10, max_header_kb=4, channel_timeout_s=7, connection_limit=9,
                                         server_threads=3)
    options = server_options(settings)
    assert options["max_request_body_size"] == 10 * 1024 and options["max_request_header_size"] == 4 * 1024
    assert options["channel_timeout"] == 7 and options["connection_limit"] == 9 and options["threads"] == 3
    assert {"max_request_kb", "max_header_kb", "channel_timeout_s", "connection_limit", "proxy_count",
            "response_cache_mb", "serve_math_threads"} <= {name for name, _, _ in Settings.describe()}


def _serve(build: Path, *args: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--build", str(build), *args], cwd=root,
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, HF_HUB_OFFLINE="1"))


def test_serve_on_a_port_in_use_says_so_in_one_line(tiny_build):
    """The port is bound before anything else: no "Serving" line, no traceback, a non-zero exit."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve(tiny_build, "--port", str(port))
    assert result.returncode != 0
    assert result.stderr.strip() == f"Error: port {port} is in use; choose another with --port"
    assert "Serving" not in result.stdout + result.stderr


def test_serve_refuses_a_port_out_of_range(tiny_build):
    result = _serve(tiny_build, "--port", "70000")   # the resolver would wrap it round to port 4464
    assert result.returncode != 0
    assert result.stderr.strip() == "Error: port 70000 is out of range; choose one from 1 to 65535 with --port"


def test_listen_errors_name_the_option_to_change():
    from kg.cli import listen_error

    assert listen_error(OSError(errno.EACCES, "Permission denied"), "0.0.0.0", 80).endswith("choose another with --port")
    assert listen_error(OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), "10.9.9.9", 8000) == \
        "cannot listen on host '10.9.9.9' (Cannot assign requested address); check --host"
    assert listen_error(socket.gaierror(-2, "Name or service not known"), "nohost", 8000).endswith("check --host")


def test_debug_is_off_even_when_the_environment_asks(tiny_build, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({"BUILD_DIR": str(tiny_build)})
    assert app.debug is False
    response = app.test_client().get("/api/nope")
    assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)


def test_repeated_answers_come_from_the_cache(tiny_build):
    app = create_app({"BUILD_DIR": str(tiny_build), "RESPONSE_CACHE_MB": 1})
    cache = app.extensions["ckg_response_cache"]
    client = app.test_client()
    first = client.get("/api/search?q=team+around+the+child&k=3")
    again = client.get("/api/search?q=team+around+the+child&k=3")
    assert first.status_code == again.status_code == 200 and first.data == again.data
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert cache.stats()["hits"] == 1
    # errors, the health check and other query strings are answered afresh
    assert client.get("/api/search?q=x&k=abc").status_code == 400
    assert client.get("/api/search?q=x&k=abc").status_code == 400
    client.get("/api/health")
    client.get("/api/health")
    client.get("/api/search?q=team+around+the+child&k=2")
    assert cache.stats()["hits"] == 1
    for n in range(300):             # bounded in bytes: old answers make way for new ones
        client.get(f"/api/search?q=child+{n}&k=20")
    assert cache.stats()["bytes"] <= 1024 * 1024


def test_no_cache_unless_asked(app):
    assert app.extensions["ckg_response_cache"] is None


def test_math_threads_are_limited():
    from threadpoolctl import threadpool_info

    from kg.runtime import limit_math_threads

    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        done = limit_math_threads(1)
        assert done["torch"] == 1 and torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    finally:
        torch.set_num_threads(before)
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=before)


def test_forwarded_headers_are_trusted_only_behind_a_proxy(tiny_build):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "library.example.org", "X-Forwarded-For": "10.1.2.3"}
    plain = create_app({"BUILD_DIR": str(tiny_build)}).test_client()
    proxied = create_app({"BUILD_DIR": str(tiny_build), "PROXY_COUNT": 1}).test_client()
    # the quote export links back to the passage with the host it was asked on
    path = "/api/quotes"
    ids = [q["quote_id"] for q in plain.get(path).get_json()["results"][:1]]
    assert ids
    export = f"/api/quotes/export?format=markdown&ids={ids[0]}"
    assert "library.example.org" not in plain.get(export, headers=headers).get_data(as_text=True)
    assert "https://library.example.org" in proxied.get(export, headers=headers).get_data(as_text=True)
