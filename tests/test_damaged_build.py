"""A damaged or incomplete build is reported naming the file, with "rebuild with `ckg build`", never a
traceback (README, "How a build stays safe"): every file of the search index, the knowledge graph
and the library's own JSON files, missing, emptied, cut short or overwritten; through the library,
the command line and the web app. Nothing is built here: each test damages a copy of the tiny
build's release."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.library import Library, LibraryError

REBUILD = "rebuild with `ckg build`"


def _copy(tiny_build: Path, tmp_path: Path) -> Path:
    """A build folder laid out as `ckg build` writes it (releases/<release>, current → it) holding a
    copy of the tiny build's current release."""
    build = tmp_path / "build"
    (build / "releases").mkdir(parents=True)
    shutil.copytree((Path(tiny_build) / "current").resolve(), build / "releases" / "r1",
                    ignore=shutil.ignore_patterns(".in-use-*"))
    (build / "current").symlink_to(Path("releases") / "r1")
    return build


def _damage(path: Path, how: str) -> None:
    if how == "missing":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(b"garbage\n")
    elif how == "cut":            # a write cut short: the first third of the file
        data = path.read_bytes()
        assert len(data) >= 2, path
        path.write_bytes(data[:len(data) // 3])
    else:
        raise AssertionError(how)


def _says_so(message: str, name: str, how: str) -> None:
    """The message names the file (its path in the release), what is wrong, and to rebuild."""
    assert name in message, message
    assert REBUILD in message, message
    said = ("is missing",) if how == "missing" else ("is damaged", "does not match")
    assert any(words in message for words in said), message
    assert "Traceback" not in message and "std::" not in message and "\n" not in message, message


# every file the search loads when it starts (the first search, or `ckg serve`'s warm-up)
INDEX_FILES = ["index/manifest.json", "index/passage_ids.json", "index/features.json", "index/passage_vectors.npy",
               "index/window_vectors.npy", "index/window_owner.npy", "index/passages.faiss", "index/windows.faiss",
               "index/token_vectors.npy", "index/token_offsets.npy", "index/bm25/params.index.json",
               "index/bm25/vocab.index.json", "index/bm25/data.csc.index.npy", "index/bm25/indices.csc.index.npy",
               "index/bm25/indptr.csc.index.npy"]


@pytest.mark.parametrize("how", ["missing", "empty", "garbage", "cut"])
@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_damaged_index_file_is_named(tiny_build, tmp_path, name, how):
    build = _copy(tiny_build, tmp_path)
    _damage(build / "current" / name, how)
    library = Library(build)        # the library itself loads: only the search needs the index
    assert library.sources()
    with pytest.raises(LibraryError) as caught:
        library.search("trust")
    _says_so(str(caught.value), name, how)


# files read on first need, which builds made before them lack (missing is no damage there)
LAZY_FILES = {
    "index/synonyms.json": lambda library: library.searcher._synonyms_asked("trust zqxwv"),
    "index/abbreviations.json": lambda library: library.searcher._abbreviations_asked("trust"),
    "index/lead_ins.json": lambda library: library.searcher._lead_ins(),
    "index/words.json": lambda library: library.searcher._library_words(),
    "index/quote_vectors.npy": lambda library: library.search_quotes("trust"),
    "index/quote_context_vectors.npy": lambda library: library.search_quotes("trust"),
}


@pytest.mark.parametrize("how", ["garbage", "cut", "missing"])
@pytest.mark.parametrize("name", sorted(LAZY_FILES))
def test_a_damaged_file_read_on_first_need_is_named(tiny_build, tmp_path, name, how):
    build = _copy(tiny_build, tmp_path)
    library = Library(build)
    library.searcher                 # the index loads without it: it is read when a search first needs it
    _damage(build / "current" / name, how)
    if how == "missing":             # a build from before the file: searched without it
        LAZY_FILES[name](library)
        return
    with pytest.raises(LibraryError) as caught:
        LAZY_FILES[name](library)
    _says_so(str(caught.value), name, how)


@pytest.mark.parametrize("how", ["empty", "garbage", "cut"])
def test_a_damaged_graph_is_named(tiny_build, tmp_path, how):
    from kg.graph import export

    build = _copy(tiny_build, tmp_path)
    _damage(build / "current" / "graph.nq", how)
    library = Library(build)
    for use in (lambda: library.sparql("SELECT * WHERE { ?s ?p ?o } LIMIT 1"), library.studies,
                lambda: export(library.graph_path, "turtle")):
        with pytest.raises(LibraryError) as caught:
            use()
        _says_so(str(caught.value), "graph.nq", how)
    assert library.sources() and library.concepts()     # what does not need the graph still answers


@pytest.mark.parametrize("name, content", [
    ("sources.json", "{}"), ("sources.json", "[1, 2]"), ("passages.jsonl", "[1]\n"), ("manifest.json", "[]"),
    ("concepts.json", "[]"), ("links.json", "3"), ("quotes.json", "{}"), ("citations.json", "[]"),
    ("index/manifest.json", "[]"), ("index/manifest.json", '{"format": 0}'), ("index/passage_ids.json", "{}"),
    ("index/features.json", "[]"),
])
def test_a_file_holding_the_wrong_kind_of_value_is_named(tiny_build, tmp_path, name, content):
    build = _copy(tiny_build, tmp_path)
    (build / "current" / name).write_text(content, encoding="utf-8")
    with pytest.raises(LibraryError) as caught:
        library = Library(build)
        library.concepts(), library.links("x"), library.quotes(), library.works()
        library.search("trust")
    message = str(caught.value)
    assert name in message and REBUILD in message, message


def _run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def test_the_command_line_names_the_damaged_file(tiny_build, tmp_path):
    build = _copy(tiny_build, tmp_path)
    release = build / "current"
    assert _run("sources", "--build", str(build)).exit_code == 0
    _damage(release / "index" / "passages.faiss", "empty")
    for command in (("search", "trust"), ("quotes", "trust")):
        result = _run(*command, "--build", str(build))
        assert result.exit_code == 1, result.output
        _says_so(result.output.strip(), "index/passages.faiss", "empty")
    _damage(release / "index" / "passage_vectors.npy", "cut")
    result = _run("search", "trust", "--build", str(build))
    assert result.exit_code == 1
    _says_so(result.output.strip(), "index/passage_vectors.npy", "cut")
    shutil.rmtree(release / "index" / "bm25")
    (release / "index" / "passages.faiss").unlink()
    shutil.copy((Path(tiny_build) / "current" / "index" / "passages.faiss"), release / "index" / "passages.faiss")
    shutil.copy((Path(tiny_build) / "current" / "index" / "passage_vectors.npy"), release / "index" / "passage_vectors.npy")
    result = _run("search", "trust", "--build", str(build))
    assert result.exit_code == 1
    _says_so(result.output.strip(), "index/bm25", "missing")

    _damage(release / "graph.nq", "garbage")
    concept = next(iter(Library(build).concepts().values()))["pref_label"]
    for command in (("export",), ("concept", concept), ("study", "anything")):
        result = _run(*command, "--build", str(build))
        assert result.exit_code == 1, result.output
        _says_so(result.output.strip(), "graph.nq", "garbage")


def test_the_web_app_answers_503_naming_the_file_and_serves_the_rest(tiny_build, tmp_path):
    from search_app import create_app

    build = _copy(tiny_build, tmp_path)
    release = build / "current"
    _damage(release / "index" / "windows.faiss", "cut")
    _damage(release / "graph.nq", "garbage")
    app = create_app({"BUILD_DIR": str(build), "TESTING": True})
    try:
        client = app.test_client()
        for url, name in (("/api/search?q=trust", "index/windows.faiss"), ("/api/studies", "graph.nq"),
                          ("/export/turtle", "graph.nq"),
                          ("/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201", "graph.nq")):
            response = client.get(url)
            assert response.status_code == 503, (url, response.status_code)
            message = response.get_json()["error"]["message"]
            _says_so(message, name, "cut")
            assert str(release.resolve()) not in message        # named in its release, not by the server's path
        page = client.get("/search?q=trust")
        assert page.status_code == 503 and b"index/windows.faiss" in page.data and b"ckg build" in page.data
        assert client.get("/api/concepts").status_code == 200      # what needs neither file is still served
        assert client.get("/api/health").status_code == 200
    finally:
        app.extensions["ckg_sparql"].close()
