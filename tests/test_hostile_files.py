"""Hostile files in one corpus with good ones: no crash, no hang beyond the limits, every good file
built, every bad one reported with its reason, and nothing a document smuggles in runs or leaks.

The hostile PDFs are written by the test (a few KB each, with a correct xref table), except
tests/data/hostile/flate-bomb.pdf (see the README there). The limits are made small so the
build stays fast: 15 s and 512 MB per file, 1 MB files, 50 pages.
"""
from __future__ import annotations

import os
import re
import shutil
import time
import zlib
from pathlib import Path

import pytest

from kg.build import build
from kg.library import Library
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"
SAMPLES = ROOT / "tests" / "data" / "pdf-samples"
HOSTILE = ROOT / "tests" / "data" / "hostile"

TIMEOUT_S = 15.0
LIMITS = dict(file_timeout_s=TIMEOUT_S, file_memory_mb=512, max_file_mb=1.0, max_pages=50, workers=2,
              graph_validate=False)

# what must stay out of a passage: C0/C1 controls (newlines only between paragraphs), bidi controls
# that make text display other than it reads, lone surrogates and noncharacters
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


# --- small PDFs written by hand ---------------------------------------------------------------------

def pdf(objects: list[bytes]) -> bytes:
    """A PDF whose object n is objects[n-1] (object 1 the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data: bytes, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 6)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


TEXT = b"BT /F1 12 Tf 72 720 Td (Agencies working together learn what matters to each other.) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R%s >>"


def one_page(content: bytes = TEXT, page_extra: bytes = b"", compress: bool = False) -> bytes:
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                PAGE % page_extra, stream(content, compress), FONT])


def nested_arrays(depth: int = 20_000) -> bytes:
    """Arrays nested 20,000 deep in the page dictionary and in the content stream."""
    deep = b"[" * depth + b"]" * depth
    return one_page(TEXT + b" " + deep, page_extra=b" /Deep " + deep)


def deep_page_tree(depth: int = 5_000) -> bytes:
    """A page tree 5,000 levels deep: its walk would recurse past Python's stack."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objects += [b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (3 + level) for level in range(depth)]
    page = 2 + depth
    objects.append(b"<< /Type /Page /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                   % (page + 2, page + 1))
    objects += [stream(TEXT), FONT]
    return pdf(objects)


def huge_page_tree(pages: int = 3_000) -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (5 + i) for i in range(pages)) + b"] /Count %d >>" % pages,
               stream(TEXT), FONT]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 3 0 R >>"] * pages
    return pdf(objects)


def cyclic_page_tree() -> bytes:
    """The root /Pages node lists itself (and a node that lists the root) among its kids."""
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 6 0 R 3 0 R] /Count 3 >>",
                PAGE % b"", stream(TEXT), FONT, b"<< /Type /Pages /Kids [6 0 R 2 0 R] /Count 1 >>"])


def slow_content(operators: int = 20_000_000) -> bytes:
    """80 KB compressed, a minute or more of interpreting "q Q" in flat memory: only the wall-clock limit stops it.

    (Drawn characters would grow memory too, and the memory limit might stop the file first.)"""
    return one_page(b"BT /F1 1 Tf " + b"q Q " * operators + b"ET", compress=True)


# --- the corpus ---------------------------------------------------------------------------------------

GOOD = {   # file → where it comes from; each must be ingested
    "team-around-the-child.txt": TINY / "team-around-the-child.txt",
    "practice-notes.md": TINY / "practice-notes.md",
    "contrib-pagelabels.pdf": TINY / "contrib-pagelabels.pdf",
    "simple1.pdf": SAMPLES / "simple1.pdf",
}
HOSTILE_BUT_READABLE = ["script.txt", "control-chars.txt", "invalid-utf8.txt", "one-line.txt",
                        "nested-arrays.pdf", "cyclic-page-tree.pdf", "few-nuls.md"]
BAD = {    # file → the reason the build must report
    "encryption-rc4-40.pdf": "encrypted",
    "encryption-aes-256.pdf": "encrypted",
    "truncated.pdf": "corrupt",
    "garbage.pdf": "not-pdf",
    "garbage-with-header.pdf": "corrupt",
    "garbage.txt": "binary",
    "pdf-named.txt": "misnamed",
    "empty.txt": "empty",
    "blank.md": "empty",
    "huge.txt": "too-large",
    "huge-page-tree.pdf": "too-large",
    "deep-page-tree.pdf": "corrupt",
    "slow.pdf": "timeout",
    "flate-bomb.pdf": {"memory", "crashed"},   # which one depends on where the allocation fails
    "outside-link.txt": "outside-corpus",
    "notes.docx": "unsupported",
}

PROSE = ("Practitioners from health, education and social care met every week to talk about the families "
         "they worked with, and over time they built a shared sense of what mattered to each service. ")


def _write_corpus(corpus: Path, outside: Path) -> None:
    for name, source in GOOD.items():
        shutil.copy(source, corpus / name)
    for name in ("encryption-rc4-40.pdf", "encryption-aes-256.pdf"):
        shutil.copy(SAMPLES / name, corpus / name)
    shutil.copy(HOSTILE / "flate-bomb.pdf", corpus / "flate-bomb.pdf")
    (corpus / "script.txt").write_text(
        "A document that tries to run code\n\n" + PROSE * 2
        + "<script>window.__pwned = 1; alert(1)</script> and a <img src=x onerror=alert(2)> tag.\n\n"
        + "Read more at javascript:alert(3) or [click](javascript:alert(4)) or <a href=\"javascript:alert(5)\">here</a>.\n\n"
        + PROSE * 2, encoding="utf-8")
    (corpus / "control-chars.txt").write_text(
        "Control characters\n\n" + PROSE + "Bell\x07 escape\x1b[31m red\x1b[0m backspace\x08 vertical\x0btab "
        + "delete\x7f C1\x85\x9b text; right-to-left \u202eoverride\u202c and isolate \u2066x\u2069 marks; "
        + "a line\u2028separator and a NUL\x00 byte.\n\n" + PROSE, encoding="utf-8")
    (corpus / "invalid-utf8.txt").write_bytes(
        b"Invalid UTF-8\n\n" + PROSE.encode() + b"bytes \xff\xfe\x81\x8d\x90\x9d and \xc3( and \xed\xa0\x80 here.\n\n"
        + PROSE.encode())
    (corpus / "few-nuls.md").write_bytes(b"# Notes with a stray NUL\n\n" + (PROSE.encode() * 20) + b"\x00 end.\n")
    words = (PROSE * 1000).replace(". ", "; ")          # 200 KB, one line, no sentence end until the last
    (corpus / "one-line.txt").write_text(words[:200_000] + ".", encoding="utf-8")
    (corpus / "nested-arrays.pdf").write_bytes(nested_arrays())
    (corpus / "cyclic-page-tree.pdf").write_bytes(cyclic_page_tree())
    (corpus / "truncated.pdf").write_bytes((SAMPLES / "simple1.pdf").read_bytes()[:300])
    (corpus / "garbage.pdf").write_bytes(os.urandom(20_000))
    (corpus / "garbage-with-header.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(20_000))
    (corpus / "garbage.txt").write_bytes(os.urandom(8_000) + b"\x00" * 64)
    (corpus / "pdf-named.txt").write_bytes((SAMPLES / "simple1.pdf").read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text(" \n\t\n\n", encoding="utf-8")
    (corpus / "huge.txt").write_text(PROSE * 8_000, encoding="utf-8")       # 1.6 MB, over max_file_mb = 1
    (corpus / "huge-page-tree.pdf").write_bytes(huge_page_tree())
    (corpus / "deep-page-tree.pdf").write_bytes(deep_page_tree())
    (corpus / "slow.pdf").write_bytes(slow_content())
    secret = outside / "secret.txt"
    secret.write_text("A private key the server must never publish. " * 20, encoding="utf-8")
    (corpus / "outside-link.txt").symlink_to(secret)
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04" + os.urandom(100))


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    _write_corpus(corpus, tmp_path_factory.mktemp("outside"))
    out = tmp_path_factory.mktemp("hostile-build")
    started = time.monotonic()
    report = build(Settings.from_env().with_overrides(**LIMITS), corpus, out)
    return report, out, time.monotonic() - started


def test_every_good_file_builds_and_every_bad_one_is_reported_with_its_reason(hostile_build):
    report, out, _ = hostile_build
    assert report.release_dir is not None
    ingested = {r.file for r in report.ingested}
    assert set(GOOD) | set(HOSTILE_BUT_READABLE) <= ingested, {r.file: r.message for r in report.failed}
    reasons = {r.file: r.reason for r in report.failed}
    assert set(reasons) == set(BAD), reasons
    for name, expected in BAD.items():
        assert reasons[name] in (expected if isinstance(expected, set) else {expected}), (name, reasons[name])
    for result in report.failed:    # one line that names the file and says what to do or what went wrong
        assert result.message and "\n" not in result.message and Path(result.file).name in result.message
    manifest = Library(out).manifest
    assert {f["file"]: f["reason"] for f in manifest["failures"]} == reasons
    assert manifest["counts"]["sources"] == len(ingested)


def test_no_file_holds_the_build_beyond_its_limit(hostile_build):
    report, _, seconds = hostile_build
    for result in report.results:
        assert result.seconds < TIMEOUT_S + 5, (result.file, result.seconds)
    slow = next(r for r in report.failed if r.file == "slow.pdf")
    assert TIMEOUT_S <= slow.seconds < TIMEOUT_S + 5
    assert seconds < 240      # the whole build, model and graph included, on a busy 2-core machine


def test_passages_hold_no_control_characters(hostile_build):
    _, out, _ = hostile_build
    library = Library(out)
    for passage in library.passages():
        assert not UNSAFE.search(passage["text"]), (passage["source_id"], passage["text"][:200])
    control = " ".join(p["text"] for p in library.passages("control-chars"))
    assert "Bell escape[31m red[0m backspace verticaltab delete C1 text" in control
    assert "right-to-left override and isolate x marks" in control
    invalid = " ".join(p["text"] for p in library.passages("invalid-utf8"))
    assert "bytes" in invalid and "here." in invalid


def test_the_secret_behind_the_link_is_never_read(hostile_build):
    _, out, _ = hostile_build
    library = Library(out)
    assert "outside-link" not in {s["id"] for s in library.sources()}
    for path in (out / "current").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".nq"):
            assert "private key the server must never publish" not in path.read_text(encoding="utf-8", errors="replace")


def test_one_enormous_line_becomes_bounded_passages(hostile_build):
    _, out, _ = hostile_build
    passages = Library(out).passages("one-line")
    assert len(passages) > 100
    assert max(len(p["text"]) for p in passages) <= Settings().max_passage_chars


def test_scripts_and_javascript_links_in_a_document_show_as_text(hostile_build):
    from search_app import create_app

    _, out, _ = hostile_build
    client = create_app({"BUILD_DIR": str(out), "TESTING": True}).test_client()
    html = client.get("/sources/script").get_data(as_text=True)
    assert "&lt;script&gt;window.__pwned = 1; alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>window" not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html and "href='javascript:" not in html
    assert "javascript:alert(3)" in html
    found = client.get("/api/search?q=window.__pwned+alert&k=5").get_json()
    assert any("<script>" in r["text"] for r in found["results"])     # JSON carries the text as it is…
    page = client.get("/search?q=window.__pwned+alert").get_data(as_text=True)
    assert "<script>window" not in page                              # …and pages escape it


def test_ckg_passages_reads_a_file_under_the_builds_limits(tmp_path):
    """`ckg passages FILE` extracts in a worker with the build's limits, as `ckg build` and `ckg add`
    do: a flate bomb is refused for memory, a slow PDF for time, each named with its setting (it
    had read them in its own process, with no limit, for as long as they took)."""
    import subprocess
    import sys
    import time

    slow = tmp_path / "slow.pdf"
    slow.write_bytes(slow_content())
    env = {**os.environ, "CKG_FILE_MEMORY_MB": "512", "CKG_FILE_TIMEOUT_S": "5", "HF_HUB_OFFLINE": "1"}
    for path, setting in ((HOSTILE / "flate-bomb.pdf", "file_memory_mb"), (slow, "file_timeout_s")):
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "kg.cli", "passages", str(path)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and run.stdout == "", (path, run.stderr)
        assert path.name in run.stderr and (setting in run.stderr or "killed by signal" in run.stderr), run.stderr
        assert time.monotonic() - started < 60
