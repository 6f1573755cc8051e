"""The command line on bad input: every refusal names the option, file or setting and says what to
do; no traceback; exit 2 for a bad option, 1 for nothing found or a library that cannot be read."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.fixture()
def scorer(tmp_path) -> Path:
    path = tmp_path / "score.py"
    path.write_text("def score(queries, ranked, k=10):\n"
                    "    hits = sum(any(g in t for t in ranked[q['id']][:k] for g in q['gold']) for q in queries)\n"
                    "    row = {'n': len(queries), 'S@1': 0.0, 'S@5': hits / len(queries), 'S@10': 0.0,\n"
                    "           'MRR@10': 0.0, 'nDCG@10': 0.0}\n"
                    "    return {'all': row}, []\n", encoding="utf-8")
    return path


def test_settings_are_checked_and_named():
    with pytest.raises(SettingsError, match=r"setting workers \(CKG_WORKERS\) must be at least 1, not 0"):
        Settings().with_overrides(workers=0)
    with pytest.raises(SettingsError, match="must be more than 0"):
        Settings().with_overrides(file_timeout_s=-1)
    with pytest.raises(SettingsError, match="must be an integer, not 'abc'"):
        Settings.from_env({"CKG_MAX_RESULTS": "abc"})
    with pytest.raises(SettingsError, match="at most 1"):
        Settings().with_overrides(dense_weight=1.5)
    assert Settings().with_overrides(workers="3", dense_weight="0.5").workers == 3


def test_a_bad_setting_or_option_is_refused_before_anything_runs(tiny_build, tmp_path):
    bad_env = _run("search", "trust", "--build", str(tiny_build), env={"CKG_MAX_RESULTS": "abc"})
    assert bad_env.exit_code == 1 and "setting max_results (CKG_MAX_RESULTS) must be an integer" in bad_env.output
    encoder = _run("search", "trust", "--build", str(tiny_build), env={"CKG_QUERY_ENCODER": "foo"})
    assert encoder.exit_code == 1 and "query_encoder must be onnx or torch" in encoder.output
    out = tmp_path / "never"
    for option, value in (("--workers", "0"), ("--file-timeout", "-1"), ("--file-timeout", "0"), ("--file-memory", "0")):
        refused = _run("build", "--out", str(out), option, value)
        assert refused.exit_code == 2 and f"'{option}'" in refused.output, (option, refused.output)
    assert not out.exists()
    threads = _run("serve", "--build", str(tiny_build), "--threads", "0")
    assert threads.exit_code == 2 and "'--threads'" in threads.output
    assert _run("quotes", "trust", "-k", "0", "--build", str(tiny_build)).output.count("'-k'") == 1
    both = _run("quotes", "trust", "--json", "--export", "csv", "--build", str(tiny_build))
    assert both.exit_code == 2 and "--json and --export" in both.output
    source_id = _run("passages", str(ROOT / "tests" / "data" / "tiny" / "team-around-the-child.txt"), "--source-id", "BAD ID!")
    assert source_id.exit_code == 2 and "'--source-id'" in source_id.output and "lower-case" in source_id.output


def test_eval_refuses_what_it_cannot_score(tiny_build, tmp_path, scorer):
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps([{"id": "q1", "query": "trust", "gold": ["trust"]}]), encoding="utf-8")
    base = ("eval", "--build", str(tiny_build), "--scorer", str(scorer))
    assert _run(*base, str(queries), "--modes", "bm25").exit_code == 0
    cases = {
        ("--modes", "foo"): "'--modes'",
        ("-k", "0"): "'-k'",
    }
    for extra, named in cases.items():
        result = _run(*base, str(queries), *extra)
        assert result.exit_code == 2 and named in result.output, (extra, result.output)
    empty, latin, text_gold = tmp_path / "empty.json", tmp_path / "latin.json", tmp_path / "gold.json"
    empty.write_text("[]", encoding="utf-8")
    latin.write_bytes(b"\xff\xfe[]")
    text_gold.write_text(json.dumps([{"id": "q1", "query": "trust", "gold": "trust"}]), encoding="utf-8")
    blank_gold, blank_query, no_gold = tmp_path / "blank.json", tmp_path / "noquery.json", tmp_path / "nogold.json"
    blank_gold.write_text(json.dumps([{"id": "q1", "query": "trust", "gold": [" "]}]), encoding="utf-8")
    blank_query.write_text(json.dumps([{"id": "q1", "query": "", "gold": ["trust"]}]), encoding="utf-8")
    no_gold.write_text(json.dumps([{"id": "q1", "query": "trust", "gold": []}]), encoding="utf-8")
    for path, said in ((empty, "holds no queries"), (latin, "not valid JSON in UTF-8"), (text_gold, "gold (a list of texts)"),
                       (blank_gold, "an empty snippet is in every passage"), (blank_query, "query 'q1' needs a query text"),
                       (no_gold, "query 'q1' needs a query text and gold snippets")):
        result = _run(*base, str(path))
        assert result.exit_code == 2 and said in result.output and str(path) in result.output, result.output
    not_python, broken = tmp_path / "score.txt", tmp_path / "broken.py"
    not_python.write_text("x", encoding="utf-8")
    broken.write_text("def score(\n", encoding="utf-8")
    for path, said in ((not_python, "is not a Python file"), (broken, "could not be loaded (SyntaxError")):
        result = _run("eval", "--build", str(tiny_build), "--scorer", str(path), str(queries))
        assert result.exit_code == 2 and "'--scorer'" in result.output and said in result.output, result.output


def test_a_search_option_the_search_refuses_is_named_as_the_command_line_spells_it(tiny_build):
    for args, option, said in ((("-k", "5000"), "'-k'", "must be between 1 and"), (("--page", "0"), "'--page'", "must be between 1"),
                               (("--year", "abc"), "'--year'", "must be a year")):
        result = _run("search", "agency", *args, "--build", str(tiny_build))
        assert result.exit_code == 2 and f"Invalid value for {option}: {said}" in result.output, result.output
        assert "parameter '" not in result.output


def test_export_to_a_path_it_cannot_write_names_out(tiny_build, tmp_path):
    for out, said in ((tmp_path / "no-folder" / "graph.ttl", "cannot write"), (tmp_path, "is a directory")):
        result = _run("export", "--build", str(tiny_build), "--out", str(out))
        assert result.exit_code == 2 and "'--out'" in result.output and said in result.output, result.output
    written = _run("export", "--build", str(tiny_build), "--out", str(tmp_path / "graph.ttl"))
    assert written.exit_code == 0 and (tmp_path / "graph.ttl").stat().st_size > 0
    assert not list(tmp_path.glob(".*.partial"))


def test_a_damaged_or_misplaced_build_is_named_not_a_traceback(tiny_build, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(Path(tiny_build) / "current", damaged, symlinks=False)
    (damaged / "concepts.json").write_text("{not json", encoding="utf-8")
    (damaged / "citations.json").write_text("[", encoding="utf-8")
    for command in (("concept", "trust"), ("cites", "team-around-the-child"), ("cited-by", "Edwards")):
        result = _run(*command, "--build", str(damaged))
        assert result.exit_code == 1 and "is damaged or unreadable" in result.output and "rebuild" in result.output, result.output
    shutil.rmtree(damaged / "index")
    result = _run("search", "trust", "--build", str(damaged))
    assert result.exit_code == 1 and "rebuild" in result.output
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    misplaced = _run("sources", "--build", str(a_file))
    assert misplaced.exit_code == 1 and "is a file, not a build folder" in misplaced.output
    corpus = _run("build", "--corpus", str(a_file), "--out", str(tmp_path / "out"))
    assert corpus.exit_code == 2 and "is a file, not a corpus folder" in corpus.output


def test_nothing_found_says_so_and_exits_1(tiny_build, library):
    past = _run("search", "trust", "--page", "1000", "--build", str(tiny_build))
    assert past.exit_code == 1 and "is past the end" in past.output
    as_json = _run("search", "trust", "--page", "1000", "--json", "--build", str(tiny_build))
    assert as_json.exit_code == 1 and "is past the end" in json.loads(as_json.output)["message"]
    assert _run("search", "trust", "--source", "nosuch", "--build", str(tiny_build)).exit_code == 1
    typo = _run("quotes", "--concept", "nosuch", "--build", str(tiny_build))
    assert typo.exit_code == 1 and "check the value" in typo.output
    known = next(cid for cid in sorted(library.concepts())
                 if not library.search_quotes("", filters={"concept": cid})["results"])
    quiet = _run("quotes", "--concept", known, "--build", str(tiny_build))
    assert quiet.exit_code == 1 and "though the library knows it" in quiet.output
    for filler in ("a", "the", "of and"):
        result = _run("concept", filler, "--build", str(tiny_build))
        assert result.exit_code == 1 and "no concept matches" in result.output, filler
    nobody = _run("cited-by", "Zzyzx 1999", "--build", str(tiny_build))
    assert nobody.exit_code == 1 and "no work has the id or matches" in nobody.output and "Usage:" not in nobody.output
    # an empty label or work is a bad argument (2), named
    for command in ("concept", "lineage", "cited-by"):
        empty = _run(command, "", "--build", str(tiny_build))
        assert empty.exit_code == 2 and ("value for LABEL" in empty.output or "value for WORK" in empty.output), (command, empty.output)
    # a graph the dataset has not is a bad --graph, and the names it has are listed
    graph = _run("export", "--graph", "nope", "--build", str(tiny_build))
    assert graph.exit_code == 2 and "'--graph'" in graph.output and "ontology, build" in graph.output, graph.output
    found = _run("search", "trust", "--build", str(tiny_build))
    assert found.exit_code == 0 and " 1. " in found.output


def test_listed_entries_print_only_what_they_have(tiny_build):
    settings = _run("settings", env={"CKG_CACHE_DIR": None})     # the test session sets one; a user may not
    assert "cache_dir (CKG_CACHE_DIR) = not set  [default not set]" in settings.output and "None" not in settings.output
    from kg.cli import _described

    assert _described([], "", "Evaluation of the CWDC Social work Remodelling Pilot") == \
        "Evaluation of the CWDC Social work Remodelling Pilot"
    assert _described(["Edwards, A."], "2010", "Being an Expert") == "Edwards, A. (2010) Being an Expert"
    assert _described([], None, None) == "—"


def test_loading_the_model_prints_no_progress_bar(tmp_path):
    """`ckg build -q` (and `ckg add`, the server's log) show no "Loading weights: 100%" bar."""
    import os
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "-q", "--corpus", str(ROOT / "tests" / "data" / "tiny"),
                          "--out", str(tmp_path / "build")], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr
    assert "Loading weights" not in run.stderr and "it/s]" not in run.stderr, run.stderr


def test_a_second_removal_of_a_file_of_the_same_name_is_kept_beside_the_first(tmp_path):
    from kg.cli import removal_path

    corpus = tmp_path / "corpus"
    assert removal_path(corpus, "notes.md") == corpus / ".removed" / "notes.md"
    (corpus / ".removed").mkdir(parents=True)
    (corpus / ".removed" / "notes.md").write_text("first", encoding="utf-8")
    assert removal_path(corpus, "notes.md") == corpus / ".removed" / "notes-2.md"
    (corpus / ".removed" / "notes-2.md").write_text("second", encoding="utf-8")
    assert removal_path(corpus, "notes.md") == corpus / ".removed" / "notes-3.md"
    assert removal_path(corpus, "sub/report.pdf") == corpus / ".removed" / "sub" / "report.pdf"


def test_build_names_files_as_written_and_refuses_a_catalogue_it_cannot_read(tmp_path):
    """File names with square brackets are printed as they are (not read as console markup); --strict
    publishes nothing when a file fails; a sources.toml that is not valid TOML stops the build with
    exit 1, naming it, and the last build stays."""
    import os

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "tiny" / "team-around-the-child.txt", corpus / "notes [v2].txt")
    (corpus / "broken [draft].pdf").write_text("not a PDF", encoding="utf-8")
    out = tmp_path / "build"
    result = _run("build", "--corpus", str(corpus), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert "notes [v2].txt" in result.output and "broken [draft].pdf is not a PDF" in result.output
    good = os.readlink(out / "current")
    (corpus / "more notes.txt").write_text("More notes on the team around the child and its meetings.\n", encoding="utf-8")
    strict = _run("build", "--corpus", str(corpus), "--out", str(out), "-q", "--strict")
    assert strict.exit_code == 1 and "nothing published" in strict.output and os.readlink(out / "current") == good
    (corpus / "sources.toml").write_text('[[source]]\nfile = "notes [v2].txt"\ntitle = "Notes\n', encoding="utf-8")
    broken = _run("build", "--corpus", str(corpus), "--out", str(out), "-q")
    assert broken.exit_code == 1 and "sources.toml is not valid TOML" in broken.output
    assert "the last build is kept" in broken.output and os.readlink(out / "current") == good
