"""Shared fixtures: the tiny corpus built once per session, the web app, and a live server.

``tests/data/tiny/`` holds a .txt article, a .md note (with a ``<script>`` line that must show
as text), a PDF with page labels, an unsupported .docx (reported as not ingested) and a
sources.toml describing two of the three ingestible files; practice-notes.md has no entry.
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY_CORPUS = ROOT / "tests" / "data" / "tiny"


@pytest.hookimpl(trylast=True)   # after the terminal reporter is set up, to say how long the warm-up took
def pytest_configure(config):
    """One embedding cache for the whole run (and the CLI processes it starts): each text is
    embedded once, however many builds the tests make."""
    if "CKG_CACHE_DIR" not in os.environ:
        os.environ["CKG_CACHE_DIR"] = tempfile.mkdtemp(prefix="ckg-test-cache-")
        config._ckg_own_cache = os.environ["CKG_CACHE_DIR"]
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        _prepare_parallel_run(config)


def _prepare_parallel_run(config) -> None:
    """Under pytest-xdist (`make test` runs `-n auto`), before the workers start: embed the test
    corpora once, on every core, into the run's cache, so that no two workers embed the same texts
    at once; then give each worker's maths (and the `ckg` processes it starts) one thread, since
    workers already run side by side and more threads would spin against each other."""
    import time
    import warnings

    from kg.build import build
    from kg.settings import Settings

    started = time.monotonic()
    settings = Settings.from_env().with_overrides(workers=2, file_timeout_s=60)
    try:
        with tempfile.TemporaryDirectory(prefix="ckg-warm-") as scratch, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)     # rdflib's, which the tests report where they arise
            for corpus in (ROOT / "corpus", TINY_CORPUS, GRAPH_CORPUS):
                build(settings, corpus, Path(scratch) / corpus.name)
        said = f"embedding cache filled with the test corpora in {time.monotonic() - started:.0f} s"
    except Exception as error:      # the tests that build will meet it too, and report it where it matters
        said = f"embedding cache not filled ({type(error).__name__}: {error}); the workers embed as they go"
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():     # configure-time output is otherwise captured
            reporter.write_line(said)


def pytest_unconfigure(config):
    """The run's own cache (embeddings, the exported ONNX query encoder: ~100 MB) goes with it."""
    own = getattr(config, "_ckg_own_cache", None)
    if own:
        import shutil

        shutil.rmtree(own, ignore_errors=True)


def build_corpus(tmp_path_factory, corpus: Path, name: str, files: int, workers: int = 2):
    """Build ``corpus`` with the real build into a fresh temporary folder; every one of its ``files``
    must ingest. Returns (build directory, build report)."""
    from kg.build import build
    from kg.settings import Settings

    out_dir = tmp_path_factory.mktemp(name)
    report = build(Settings.from_env().with_overrides(workers=workers, file_timeout_s=60), corpus, out_dir)
    assert report.release_dir is not None and len(report.ingested) == files, [r.message for r in report.failed]
    return out_dir, report


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory) -> Path:
    """Build directory of the tiny corpus, made once per session with the real build."""
    return build_corpus(tmp_path_factory, TINY_CORPUS, "tiny-build", 3)[0]


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> Path:
    """Build directory of the seed corpus (corpus/: five documents), made once per session with the
    real build (the run's embedding cache makes it quick after test_build's)."""
    return build_corpus(tmp_path_factory, ROOT / "corpus", "seed-build", 5)[0]


@pytest.fixture(scope="session")
def library(tiny_build):
    from kg.library import Library

    return Library(tiny_build)


@pytest.fixture(scope="session")
def app(tiny_build):
    from search_app import create_app

    return create_app({"BUILD_DIR": str(tiny_build), "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


def _serve(build_dir: Path, name: str):
    """The app over ``build_dir`` served by waitress (as `ckg serve` does) on a free port in a
    thread: yields the base URL, then shuts the server and the SPARQL workers down."""
    import waitress
    from waitress import wasyncore

    from search_app import create_app

    from kg.cli import server_options
    from kg.settings import Settings

    app = create_app({"BUILD_DIR": str(build_dir)})
    # the limits of `ckg serve` (request body, headers, timeouts), on a free port with 4 threads
    options = dict(server_options(Settings()), host="127.0.0.1", port=0, threads=4, ident=name)
    server = waitress.create_server(app, **options)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.task_dispatcher.shutdown()
    wasyncore.close_all(server._map)   # listening socket and open keep-alive channels: the loop ends
    sparql = app.extensions.get("ckg_sparql")
    if sparql is not None:
        sparql.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(tiny_build):
    """The tiny corpus served live; yields its base URL."""
    yield from _serve(tiny_build, "ckg-live-server")


# --- the real browser (Debian's chromium through Playwright; never a Playwright download) ---

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- the knowledge-graph corpus (tests/data/graph: sentences of two seed documents, with pages) ---

GRAPH_CORPUS = ROOT / "tests" / "data" / "graph"


@pytest.fixture(scope="session")
def graph_build(tmp_path_factory) -> Path:
    """Build directory of tests/data/graph, whose texts quote curated definitions on known pages."""
    return build_corpus(tmp_path_factory, GRAPH_CORPUS, "graph-build", 2)[0]


@pytest.fixture(scope="session")
def graph_server(graph_build):
    """The app over graph_build served live; yields its base URL."""
    yield from _serve(graph_build, "ckg-graph-server")
