"""`ckg build`: every good file built, every bad one reported, builds atomic and repeatable."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.build import build
from kg.library import Library, LibraryError
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PDF_SAMPLES = ROOT / "tests" / "data" / "pdf-samples"
CKG = [sys.executable, "-m", "kg.cli"]


def _settings(**kw) -> Settings:
    return Settings.from_env().with_overrides(**kw)   # the test run's shared embedding cache


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory) -> Path:
    """The seed corpus plus every sample PDF (several encrypted or corrupt) and a few hostile files."""
    corpus = tmp_path_factory.mktemp("mixed")
    for path in CORPUS.iterdir():
        shutil.copy(path, corpus / path.name)
    for path in PDF_SAMPLES.glob("*.pdf"):
        shutil.copy(path, corpus / path.name)
    (corpus / "binary.txt").write_bytes(os.urandom(4096) + b"\x00" * 100)
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    return corpus


@pytest.fixture(scope="module")
def mixed_build(mixed_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("mixed-build")
    report = build(_settings(), mixed_corpus, out)
    return report, out


def test_good_files_build_and_bad_ones_are_reported(mixed_build):
    report, out = mixed_build
    library = Library(out)
    ids = {s["id"] for s in library.sources()}
    assert {"chat-resilience-article", "necf-prevention-report", "collaborative-agency-slides",
            "jopling-vincent-2020", "oxford-ref2014-impact", "simple1", "contrib-pagelabels"} <= ids
    reasons = {r.file: r.reason for r in report.failed}
    assert reasons["encryption-rc4-40.pdf"] == "encrypted"
    assert reasons["encryption-aes-256.pdf"] == "encrypted"
    assert reasons["binary.txt"] == "binary"
    assert reasons["empty.md"] == "empty"
    assert reasons["notes.docx"] == "unsupported"
    for result in report.failed:
        assert result.message and "\n" not in result.message and result.file.split("/")[-1] in result.message
    failures = {f["file"] for f in library.failures()}
    assert failures == set(reasons)


def test_manifest_and_metadata(mixed_build):
    _, out = mixed_build
    library = Library(out)
    manifest = library.manifest
    assert manifest["counts"]["sources"] == len(library.sources())
    assert manifest["counts"]["passages"] == len(library.passages())
    assert len(manifest["corpus_hash"]) == 64
    chapter = library.source("jopling-vincent-2020")
    assert chapter["year"] == 2020 and chapter["type"] == "book chapter" and chapter["has_metadata"]
    untitled = library.source("simple1")
    assert untitled["has_metadata"] is False and untitled["title"]


def test_building_twice_gives_identical_passage_ids(tmp_path):
    # passage ids, not the graph, are under test: SHACL validation (covered by the mixed build) is skipped
    first = build(_settings(graph_validate=False), CORPUS, tmp_path / "a")
    second = build(_settings(graph_validate=False), CORPUS, tmp_path / "b")
    ids_a = [p["passage_id"] for p in Library(first.out_dir).passages()]
    ids_b = [p["passage_id"] for p in Library(second.out_dir).passages()]
    assert ids_a == ids_b and len(ids_a) > 300


def test_a_new_build_replaces_the_old_one_atomically(tmp_path):
    out = tmp_path / "build"
    build(_settings(graph_validate=False), CORPUS, out)
    first = os.readlink(out / "current")
    build(_settings(graph_validate=False), CORPUS, out)
    second = os.readlink(out / "current")
    assert first != second
    assert Library(out).counts["sources"] == 5
    assert not list((out / "releases").glob(".partial-*"))


def test_time_limit_per_file(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "jopling-vincent-2020.txt", corpus)
    # a large file of long lines takes far longer than the limit to clean
    line = "word " * 40 + "-\n"
    (corpus / "slow.txt").write_text(line * 200_000, encoding="utf-8")
    report = build(_settings(file_timeout_s=1.0), corpus, tmp_path / "out")
    reasons = {r.file: r.reason for r in report.failed}
    assert reasons == {"slow.txt": "timeout"}
    assert [r.file for r in report.ingested] == ["jopling-vincent-2020.txt"]


def test_memory_limit_per_file(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "jopling-vincent-2020.txt", corpus)
    (corpus / "big.txt").write_text("A sentence of text. " * 3_000_000, encoding="utf-8")
    report = build(_settings(file_memory_mb=400), corpus, tmp_path / "out")
    reasons = {r.file: r.reason for r in report.failed}
    assert reasons.get("big.txt") in {"memory", "crashed"}
    assert [r.file for r in report.ingested] == ["jopling-vincent-2020.txt"]


def test_size_limit(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Some text here. " * 100000, encoding="utf-8")
    shutil.copy(CORPUS / "oxford-ref2014-impact.txt", corpus)
    report = build(_settings(max_file_mb=0.5), corpus, tmp_path / "out")
    assert {r.file: r.reason for r in report.failed} == {"a.txt": "too-large"}
    # the message gives the size and the limit in one unit, neither rounded to nothing ("0.0 MB")
    assert report.failed[0].message == "a.txt is 1.53 MB, over the limit of 0.5 MB (setting max_file_mb)"


def test_nothing_built_leaves_no_release(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.txt").write_bytes(b"\x00" * 1000)
    report = build(_settings(), corpus, tmp_path / "out")
    assert not report.ingested and report.release_dir is None
    with pytest.raises(LibraryError):
        Library(tmp_path / "out")


def test_a_broken_sources_toml_stops_the_build_and_keeps_the_last_good_one(tmp_path):
    """A catalogue that is not valid TOML would strip every source of its title, authors and year:
    the build refuses, naming the file, and the last good build goes on serving."""
    from kg.corpus import MetadataError

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "oxford-ref2014-impact.txt", corpus)
    (corpus / "sources.toml").write_text('[[source]]\nid = "ox"\nfile = "oxford-ref2014-impact.txt"\n'
                                         'title = "Impact case study"\n', encoding="utf-8")
    out = tmp_path / "out"
    build(_settings(graph_validate=False), corpus, out)
    good = os.readlink(out / "current")
    (corpus / "sources.toml").write_text('[[source]]\nid = "ox"\nfile = "oxford-ref2014-impact.txt"\n'
                                         'title = "Impact case study\n', encoding="utf-8")       # the closing quote lost
    with pytest.raises(MetadataError, match=r"sources.toml is not valid TOML .*the last build is kept"):
        build(_settings(graph_validate=False), corpus, out)
    assert os.readlink(out / "current") == good
    assert Library(out).source("ox")["title"] == "Impact case study"


def test_strict_publishes_nothing_when_a_file_fails(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "oxford-ref2014-impact.txt", corpus)
    out = tmp_path / "out"
    build(_settings(graph_validate=False), corpus, out)
    good = os.readlink(out / "current")
    (corpus / "draft.pdf").write_text("not a PDF at all", encoding="utf-8")
    report = build(_settings(graph_validate=False), corpus, out, strict=True)
    assert report.release_dir is None and "nothing published" in report.withheld and len(report.failed) == 1
    assert os.readlink(out / "current") == good
    # without --strict the good file is built and published, the bad one reported
    report = build(_settings(graph_validate=False), corpus, out)
    assert report.release_dir is not None and report.withheld is None and os.readlink(out / "current") != good


def test_kill_9_during_a_build_keeps_the_last_good_build(tmp_path):
    """kill -9 from outside, of the build's whole process group (its extraction workers too);
    tests/test_build_crash.py kills builds at each of their moments."""
    tiny = ROOT / "tests" / "data" / "tiny"
    out = tmp_path / "build"
    build(_settings(graph_validate=False), tiny, out)
    good = os.readlink(out / "current")
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny, corpus)
    (corpus / "slow.txt").write_text(("word " * 40 + "-\n") * 200_000, encoding="utf-8")
    process = subprocess.Popen(CKG + ["build", "--corpus", str(corpus), "--out", str(out), "-q"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120      # the CLI's imports take a while on a busy machine
    while not list((out / "releases").glob(".partial-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((out / "releases").glob(".partial-*")), "the build never started"
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert os.readlink(out / "current") == good
    assert Library(out).counts["sources"] == 3
    report = build(_settings(file_timeout_s=2.0, graph_validate=False), tiny, out)
    assert report.release_dir is not None and not list((out / "releases").glob(".partial-*"))
    assert Library(out).counts["sources"] == 3


def test_the_build_directory_is_locked_while_a_build_runs(tmp_path):
    from kg.build import LOCK_FILE, BuildLocked, build_lock

    tiny = ROOT / "tests" / "data" / "tiny"
    out = tmp_path / "build"
    with build_lock(out):
        started = time.monotonic()
        with pytest.raises(BuildLocked, match=rf"another build is running in {out} \(pid {os.getpid()}\); wait for it to finish"):
            build(_settings(graph_validate=False), tiny, out)
        assert time.monotonic() - started < 2 and not (out / "releases").exists()     # refused before any work
    assert (out / LOCK_FILE).exists()
    report = build(_settings(graph_validate=False), tiny, out)          # released: the next build runs
    assert report.release_dir is not None


def test_a_second_build_add_or_remove_is_refused_while_a_build_runs_and_a_dead_ones_lock_never_blocks(tmp_path):
    """A real `ckg build` holds the lock; `ckg build`, `ckg add` and `ckg remove` in the same build
    directory are refused at once, naming it, and change nothing; once it is killed (kill -9 leaves
    its lock file and pid behind) the next build runs."""
    tiny = ROOT / "tests" / "data" / "tiny"
    out = tmp_path / "build"
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny, corpus)
    slow = tmp_path / "slow" / "slow.txt"
    slow.parent.mkdir()
    slow.write_text(("word " * 40 + "-\n") * 200_000, encoding="utf-8")
    running = subprocess.Popen(CKG + ["build", "--corpus", str(slow.parent), "--out", str(out), "-q"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120      # the CLI's imports take a while on a busy machine
        while not list((out / "releases").glob(".partial-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list((out / "releases").glob(".partial-*")), "the build never started"
        message = f"another build is running in {out} (pid {running.pid}); wait for it to finish"
        note = tmp_path / "note.md"
        note.write_text("# A note\n\nA carer said it mattered most.\n", encoding="utf-8")
        listing = sorted(p.name for p in corpus.iterdir())
        for command in (["build", "--corpus", str(corpus), "--out", str(out)],
                        ["add", str(note), "--corpus", str(corpus), "--build", str(out)],
                        ["remove", "practice-notes", "--corpus", str(corpus), "--build", str(out)]):
            refused = subprocess.run(CKG + command, cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert refused.returncode == 1 and message in " ".join(refused.stderr.split()), (command, refused.stderr)
        assert sorted(p.name for p in corpus.iterdir()) == listing and not (out / "current").exists()
        assert running.poll() is None           # the first build was not disturbed
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.wait()
    assert str(running.pid) in (out / ".build.lock").read_text(encoding="ascii")    # a dead build's lock file…
    report = build(_settings(graph_validate=False), corpus, out)                    # …does not block the next
    assert report.release_dir is not None and Library(out).counts["sources"] == 3


def test_cli_build_report_and_exit_status(tmp_path):
    result = subprocess.run(CKG + ["build", "--corpus", str(CORPUS), "--out", str(tmp_path / "b")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "5 files ingested, 0 failed" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.txt").write_bytes(b"\x00" * 100)
    failed = subprocess.run(CKG + ["build", "--corpus", str(empty), "--out", str(tmp_path / "c")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1 and "binary" in failed.stderr
    missing = subprocess.run(CKG + ["build", "--corpus", str(tmp_path / "nope")], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_cli_strict_fails_on_any_bad_file(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "oxford-ref2014-impact.txt", corpus)
    shutil.copy(PDF_SAMPLES / "encryption-rc4-40.pdf", corpus)
    plain = subprocess.run(CKG + ["build", "--corpus", str(corpus), "--out", str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True)
    strict = subprocess.run(CKG + ["build", "--strict", "--corpus", str(corpus), "--out", str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True)
    assert plain.returncode == 0 and strict.returncode == 1
    assert "encrypted" in strict.stderr


def test_cli_passages_json_lines():
    result = subprocess.run(CKG + ["passages", str(CORPUS / "jopling-vincent-2020.txt"), "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and set(rows[0]) >= {"passage_id", "source_id", "page", "start", "end", "heading", "text"}
    assert all(r["source_id"] == "jopling-vincent-2020" for r in rows)


def test_cli_passages_reports_a_bad_file(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.4\n garbage")
    result = subprocess.run(CKG + ["passages", str(path), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "x.pdf" in result.stderr


def test_cli_help_everywhere():
    for command in ([], ["build"], ["passages"], ["serve"], ["sources"], ["settings"]):
        result = subprocess.run(CKG + command + ["--help"], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0 and "Usage" in result.stdout


def test_blank_arguments_and_a_build_directory_that_is_a_file_get_a_clear_error(tiny_build, tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}

    def ckg(*args):
        return subprocess.run([sys.executable, "-m", "kg.cli", *args], cwd=root, capture_output=True, text=True, env=env, timeout=300)

    for command in (["concept", ""], ["concept", "  ", "--json"], ["lineage", ""], ["cited-by", " "]):
        done = ckg(*command, "--build", str(tiny_build))
        assert done.returncode != 0 and "Traceback" not in done.stderr and "give" in done.stderr, (command, done.stderr)
    named = ckg("concept", "NECF", "--build", str(tiny_build))     # no concept, but a study: say so
    assert named.returncode == 1 and "'NECF' is a study: National Evaluation of the Children's Fund: ckg study necf" in named.stderr
    in_the_way = tmp_path / "afile"
    in_the_way.write_text("not a build")
    done = ckg("build", "--corpus", str(root / "tests" / "data" / "tiny"), "--out", str(in_the_way))
    assert done.returncode != 0 and "Traceback" not in done.stderr and f"{in_the_way} is a file" in done.stderr
    assert in_the_way.read_text() == "not a build"


def test_a_title_read_from_a_document_is_one_line():
    from kg.extract import _title
    from kg.extract.model import Block

    blocks = [Block("paragraph", "Hello\nHello\nH e l l o\nWorld", 1)]
    assert _title({}, blocks) == "Hello Hello H e l l o World"
    assert _title({"title": "  A report\n on  prevention "}, []) == "A report on prevention"


@pytest.mark.parametrize("field, authors", [
    ("Hana Nakamura; Peter Lindqvist", ["Nakamura, Hana", "Lindqvist, Peter"]),
    ("Nakamura, Hana", ["Nakamura, Hana"]),
    ("M. Jopling and S. Vincent", ["Jopling, M.", "Vincent, S."]),
    ("Yawney, John", ["Yawney, John"]),
    ("Edwards, Anne and Daniels, Harry", ["Edwards, Anne", "Daniels, Harry"]),      # was four "authors"
    ("Edwards, A. & Daniels, H. R.", ["Edwards, A.", "Daniels, H. R."]),
    ("Anne Edwards and Harry Daniels", ["Edwards, Anne", "Daniels, Harry"]),
    ("Anne Edwards, Harry Daniels", ["Edwards, Anne", "Daniels, Harry"]),
    ("UNICEF", ["UNICEF"]),
    ("Microsoft Office User", []), ("Administrator", []), ("jsmith", []), ("NECF report series", []),
    ("Slides and handout", []), ("", []),
])
def test_an_uncatalogued_pdf_takes_its_authors_from_its_metadata(field, authors):
    """Until a catalogue entry says better, a PDF's own Author field gives its authors (so its quotes
    are cited "quoted in Nakamura and Lindqvist", not by title); what software writes there does not."""
    from kg.build import authors_from_pdf

    assert authors_from_pdf(field) == authors


def test_the_pdf_s_authors_reach_the_source_record(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PDF_SAMPLES / "contrib-issue-449-vertical.pdf", corpus)
    shutil.copy(CORPUS / "oxford-ref2014-impact.txt", corpus)
    report = build(_settings(graph_validate=False), corpus, tmp_path / "out")
    assert len(report.ingested) == 2, [r.message for r in report.failed]
    library = Library(tmp_path / "out")
    pdf = library.source("contrib-issue-449-vertical")
    assert pdf["authors"] == ["Yawney, John"] and pdf["authors_from"] == "pdf metadata"
    assert not library.source("oxford-ref2014-impact")["authors"]      # a text file has no such field


def test_add_and_remove_refuse_another_corpus_and_a_build_directory_they_cannot_use(tiny_build, tmp_path):
    """`ckg add FILE --corpus corpsu` (a typo) made a folder holding FILE alone and published it as the whole
    library; `--build` naming a file, or a folder that cannot be made, gave a traceback."""
    library = tmp_path / "build"
    shutil.copytree(tiny_build, library, symlinks=True)
    built_from = json.loads((library / "current" / "manifest.json").read_text(encoding="utf-8"))["corpus_dir"]
    note = tmp_path / "note.md"
    note.write_text("# A note\n\nA carer said it mattered most.\n", encoding="utf-8")
    typo = tmp_path / "corpsu"
    before = sorted(p.name for p in (library / "releases").iterdir())
    for command in (["add", str(note), "--corpus", str(typo), "--build", str(library)],
                    ["remove", "practice-notes", "--corpus", str(typo), "--build", str(library)]):
        refused = subprocess.run(CKG + command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        said = " ".join(refused.stderr.split())
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, said
        assert f"the library in {library} was built from {built_from}, not from {typo}" in said
        assert f"Give --corpus {built_from}" in said and said.endswith("nothing was changed")
    assert not typo.exists() and sorted(p.name for p in (library / "releases").iterdir()) == before
    a_file = tmp_path / "afile"
    a_file.write_text("not a build")
    for command, unusable, why in [(["add", str(note)], a_file, "is a file, not a folder"),
                                   (["remove", "practice-notes"], a_file, "is a file, not a folder"),
                                   (["add", str(note)], Path("/proc/no-such-build"), "cannot be used")]:
        refused = subprocess.run(CKG + command + ["--corpus", str(tmp_path / "corpus"), "--build", str(unusable)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr and why in refused.stderr, refused.stderr
    assert a_file.read_text() == "not a build"


def test_sigterm_is_an_interruption_the_corpus_and_the_last_build_survive(tmp_path):
    """SIGTERM (timeout, systemd, docker) during `ckg add`'s rebuild left the file in the corpus with no
    library built from it, and a build's partial release behind: it now does what Ctrl-C does."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "slow.txt").write_text(("word " * 40 + "-\n") * 200_000, encoding="utf-8")
    note = tmp_path / "note.md"
    note.write_text("# A note\n\nA carer said it mattered most.\n", encoding="utf-8")
    out = tmp_path / "build"
    for command, said in [(["add", str(note), "--title", "A note", "--corpus", str(corpus), "--build", str(out)],
                           "interrupted: the corpus is as it was and the last build is kept"),
                          (["build", "--corpus", str(corpus), "--out", str(out), "-q"],
                           "interrupted: nothing was published; the last build is kept")]:
        running = subprocess.Popen(CKG + command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not list((out / "releases").glob(".partial-*")) and time.monotonic() < deadline and running.poll() is None:
            time.sleep(0.05)
        assert list((out / "releases").glob(".partial-*")), "the rebuild never started"
        running.send_signal(signal.SIGTERM)
        _, stderr = running.communicate(timeout=120)
        assert running.returncode == 130 and said in stderr, stderr
        assert sorted(p.name for p in corpus.iterdir()) == ["slow.txt"]        # no note, no sources.toml left
        assert not list((out / "releases").glob(".partial-*")) and not (out / "current").exists()
