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


# --- a running server follows the build directory's `current` release -----------------------------

def _copy_of_tiny(tmp_path):
    import shutil

    from conftest import TINY_CORPUS

    corpus = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, corpus)
    return corpus


def _build(corpus, out):
    from kg.build import build

    report = build(Settings.from_env().with_overrides(graph_validate=False, file_timeout_s=60), corpus, out)
    assert report.release_dir is not None
    return report.release_dir


NOTE = "# Added later\n\nA carer said the new key worker “always rang back when she said she would”.\n"


def test_a_running_server_follows_new_builds_and_never_serves_a_pruned_release(tmp_path):
    """The tester's case: `ckg serve`, then two builds, which pruned the release it served (500 on
    the reader's documents, 503 on the export, while the health check said ok). Now the release a
    server holds is kept, and the server switches to the new one at its next request."""
    import json
    import os
    import threading
    import time
    import urllib.error
    import urllib.request

    from conftest import _serve

    corpus, out = _copy_of_tiny(tmp_path), tmp_path / "build"
    first = _build(corpus, out)
    server = _serve(out, "ckg-follow-server")           # create_app's defaults: the link looked at once a second
    base = next(server)
    mine = f".in-use-{os.getpid()}-*"

    def get(path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(base + path, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    try:
        assert get("/sources/practice-notes")[0] == 200
        (corpus / "added-later.md").write_text(NOTE, encoding="utf-8")
        second = _build(corpus, out)
        third = _build(corpus, out)                 # the server has had no request since the first build
        assert first.exists() and list(first.glob(mine))          # held, so not pruned (the 2 newest are kept anyway)
        time.sleep(1.2)
        status, body = get("/api/health")
        health = json.loads(body)
        assert status == 200 and health["status"] == "ok" and health["build"]["release"] == third.name
        assert health["sources"] == 4                               # the added document, without a restart
        assert get("/sources/added-later")[0] == 200 and get("/sources/team-around-the-child")[0] == 200
        status, body = get("/export/turtle")
        assert status == 200 and b"added-later" in body
        assert list(third.glob(mine)) and not list(first.glob(mine))

        # readers throughout a build and the switch that follows it: every answer is a 200
        statuses: list[tuple[str, int]] = []
        stop = threading.Event()

        def keep_asking() -> None:
            while not stop.is_set():
                for path in ("/api/search?q=team+around+the+child&k=3", "/sources/added-later", "/api/health"):
                    statuses.append((path, get(path)[0]))

        readers = [threading.Thread(target=keep_asking, daemon=True) for _ in range(3)]
        for reader in readers:
            reader.start()
        fourth = _build(corpus, out)
        time.sleep(2)
        stop.set()
        for reader in readers:
            reader.join(timeout=120)
        assert statuses and all(code == 200 for _, code in statuses), [s for s in statuses if s[1] != 200][:5]
        assert json.loads(get("/api/health")[1])["build"]["release"] == fourth.name
        assert not first.exists() and not second.exists() and third.exists() and fourth.exists()   # held by none: pruned
    finally:
        next(server, None)                          # shut the server down


def test_a_switch_empties_the_answers_of_the_old_release_and_moves_sparql_to_the_new_graph(tmp_path):
    from kg.graph import graph_name

    corpus, out = _copy_of_tiny(tmp_path), tmp_path / "build"
    _build(corpus, out)
    app = create_app({"BUILD_DIR": str(out), "RESPONSE_CACHE_MB": 1, "FOLLOW_INTERVAL_S": 0})
    client = app.test_client()
    ask = {"query": f"ASK {{ GRAPH <{graph_name('added-later')}> {{ ?s ?p ?o }} }}", "format": "json"}
    try:
        listed = lambda: [s["id"] for s in client.get("/api/sources").get_json()["results"]]   # noqa: E731
        assert "added-later" not in listed() and "added-later" not in listed()   # the second from the cache
        assert client.get("/sparql", query_string=ask).get_json()["boolean"] is False
        (corpus / "added-later.md").write_text(NOTE, encoding="utf-8")
        _build(corpus, out)
        assert "added-later" in listed()            # not the old release's answer from the cache
        assert app.extensions["ckg_library"].source("added-later") is not None
        assert client.get("/sparql", query_string=ask).get_json()["boolean"] is True
    finally:
        app.extensions["ckg_sparql"].close()
        app.extensions["ckg_follower"].close()


def test_the_health_check_fails_when_the_release_served_is_gone(tmp_path):
    import shutil

    corpus, out = _copy_of_tiny(tmp_path), tmp_path / "build"
    release = _build(corpus, out)
    app = create_app({"BUILD_DIR": str(out), "FOLLOW_INTERVAL_S": 0})
    client = app.test_client()
    assert client.get("/api/health").get_json()["status"] == "ok"
    shutil.rmtree(release)                          # deleted by hand: `current` points at nothing
    response = client.get("/api/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and f"the release being served, {release}, is no longer on disk" in body["message"]


def test_pruning_spares_a_release_a_live_process_serves(tmp_path):
    import subprocess
    import sys

    from kg.build import _prune_releases, in_use, mark_in_use, unmark_in_use

    releases = tmp_path / "releases"
    for name in ("20260101T000000-a", "20260102T000000-b", "20260103T000000-c", "20260104T000000-d"):
        (releases / name).mkdir(parents=True)
    held = mark_in_use(releases / "20260101T000000-a")
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    (releases / "20260102T000000-b" / f".in-use-{dead}-0000").touch()     # a server that has ended
    assert in_use(releases / "20260101T000000-a") and not in_use(releases / "20260102T000000-b")
    _prune_releases(releases, keep={"20260104T000000-d"})
    assert sorted(p.name for p in releases.iterdir()) == ["20260101T000000-a", "20260103T000000-c", "20260104T000000-d"]
    unmark_in_use(held)
    _prune_releases(releases, keep={"20260104T000000-d"})
    assert sorted(p.name for p in releases.iterdir()) == ["20260103T000000-c", "20260104T000000-d"]


def test_pruning_keeps_the_newest_of_two_builds_in_one_second(tmp_path):
    """Two builds finished in the same second differ in their names only by a random token: the one
    whose manifest was written last is the newer, whatever the token ("…-ffffff" built first)."""
    import os

    from kg.build import _prune_releases

    releases = tmp_path / "releases"
    names = ["20260101T000000-h-ffffff-1", "20260101T000000-h-000000-1", "20260101T000000-h-777777-1"]
    for n, name in enumerate(names):                   # built in this order within one second
        (releases / name).mkdir(parents=True)
        manifest = releases / name / "manifest.json"
        manifest.write_text("{}", encoding="utf-8")
        os.utime(manifest, ns=(1_000_000_000 + n, 1_000_000_000 + n))
    _prune_releases(releases, keep={names[-1]})
    assert sorted(p.name for p in releases.iterdir()) == sorted(names[1:])
