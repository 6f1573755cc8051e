"""Catalogue entries written by `ckg add --title … --author …` (kg.corpus.with_metadata)."""
from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.corpus import MetadataError, load_metadata, with_metadata, write_metadata

ROOT = Path(__file__).resolve().parent.parent

# one line of any text (TOML strings must escape quotes, backslashes and control characters)
_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), min_size=1, max_size=40)
_LINE = _LINE.filter(lambda text: text.strip() == text and text.strip())


@settings(max_examples=150, deadline=None)
@given(title=_LINE, authors=st.lists(_LINE, max_size=3), note=st.text(max_size=60).filter(lambda t: t.strip() == t))
def test_any_text_round_trips_through_sources_toml(tmp_path_factory, title, authors, note):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(ROOT / "corpus" / "sources.toml", corpus / "sources.toml")
    before, after = with_metadata(corpus, "new.pdf", {"title": title, "authors": authors, "note": note, "year": 2011})
    entries = {e["file"]: e for e in tomllib.loads(after)["source"]}
    assert entries["new.pdf"]["title"] == title and entries["new.pdf"].get("authors", []) == authors
    assert entries["new.pdf"].get("note", "") == note and entries["new.pdf"]["year"] == 2011
    # every other entry is exactly as it was
    old = {e["file"]: e for e in tomllib.loads(before)["source"]}
    assert {f: e for f, e in entries.items() if f != "new.pdf"} == old


def test_an_entry_is_updated_in_place_and_the_file_keeps_its_comments(tmp_path):
    shutil.copy(ROOT / "corpus" / "sources.toml", tmp_path / "sources.toml")
    before, after = with_metadata(tmp_path, "jopling-vincent-2020.txt", {"pages": "201-215", "studies": ["Programme A"]})
    assert after.splitlines()[0] == before.splitlines()[0] and after.count("\n#") == before.count("\n#")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [('pages = ""', 'pages = "201-215"'), ('studies = ["Programme A", "Programme B"]', 'studies = ["Programme A"]')]
    # a key the entry lacked is added to it, and the next entry still starts after a blank line
    _, added = with_metadata(tmp_path, "chat-resilience-article.txt", {"year": 2010, "id": "chat-2010"})
    entry = next(e for e in tomllib.loads(added)["source"] if e["file"] == "chat-resilience-article.txt")
    assert entry["year"] == 2010 and entry["id"] == "chat-2010" and entry["title"].startswith("[A CHAT view")
    assert "\n\n[[source]]\nid = \"necf-prevention-report\"" in added
    # entries written one after the other, then the first given a key it lacked
    for name, fields in (("x.pdf", {"year": 2001}), ("y.pdf", {"year": 2002}), ("x.pdf", {"venue": "A journal"})):
        write_metadata(tmp_path, with_metadata(tmp_path, name, fields)[1])
    written = (tmp_path / "sources.toml").read_text(encoding="utf-8")
    assert 'venue = "A journal"\n\n[[source]]\nid = "y"' in written


def test_written_entries_are_what_the_build_reads(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\ntext\n", encoding="utf-8")
    _, text = with_metadata(tmp_path, "a.md", {"title": "A study", "authors": ["Edwards, Anne"], "year": 2009,
                                               "type": "journal article", "studies": ["LIW"]})
    write_metadata(tmp_path, text)
    entries, warnings = load_metadata(tmp_path)
    assert not warnings
    assert entries["a.md"] == {"id": "a", "file": "a.md", "title": "A study", "title_supplied": False,
                               "authors": ["Edwards, Anne"], "year": 2009, "type": "journal article", "studies": ["LIW"]}
    write_metadata(tmp_path, None)          # what `ckg add` puts back when there was no sources.toml
    assert not (tmp_path / "sources.toml").exists()


@pytest.mark.parametrize("fields, message", [
    ({"year": 20}, "year 20 must be a whole number"),
    ({"year": True}, "year True must be a whole number"),
    ({"type": "blog post"}, "type 'blog post' must be one of"),
    ({"url": "www.example.org"}, "must be a web address"),
    ({"pages": "abc"}, r"pages 'abc' must be a page or a page range, .*e.g. '123-140' or '12'"),
    ({"pages": "140-123"}, "pages '140-123' must be a page or a page range, first page first"),
    ({"pages": "12-"}, "pages '12-' must be a page or a page range"),
    ({"id": "Edwards 2009"}, "id 'Edwards 2009' must be lower-case"),
    ({"id": "necf-prevention-report"}, "already used by necf-prevention-report.txt"),
    ({"id": "loose-file"}, "already used by loose-file.txt"),       # a file without an entry is named by its file
    ({"authors": ["Edwards, Anne", " "]}, "authors must be a list of non-empty names"),
    ({"title": "two\nlines"}, "title must be one line"),
    ({"colour": "blue"}, "unknown catalogue field"),
])
def test_values_the_build_would_misread_are_refused(tmp_path, fields, message):
    shutil.copy(ROOT / "corpus" / "sources.toml", tmp_path / "sources.toml")
    (tmp_path / "loose-file.txt").write_text("text", encoding="utf-8")
    with pytest.raises(MetadataError, match=message):
        with_metadata(tmp_path, "new.pdf", fields)


def test_page_ranges_as_references_give_them_are_accepted(tmp_path):
    for pages in ("12", "123-140", "123–140", "123 - 140"):
        _, text = with_metadata(tmp_path, "new.pdf", {"pages": pages})
        assert tomllib.loads(text)["source"][0]["pages"] == pages


def test_ckg_add_refuses_pages_that_are_not_pages_before_anything_changes(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.txt").write_text("Some text.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["add", str(corpus / "x.txt"), "--pages", "abc", "--corpus", str(corpus),
                                       "--build", str(tmp_path / "build")])
    # a bad option value: exit 2 naming the option, as click's own checks do
    assert result.exit_code == 2 and "pages 'abc' must be a page or a page range" in result.output
    assert "Invalid value for '--pages'" in result.output
    assert "'123-140' or '12'" in result.output and "unchanged" in result.output
    for option, value, said in (("--year", "99999", "must be a whole number"), ("--author", " ", "non-empty names"),
                                ("--url", "ftp://example.org/x", "must be a web address")):
        bad = CliRunner().invoke(main, ["add", str(corpus / "x.txt"), option, value, "--corpus", str(corpus),
                                        "--build", str(tmp_path / "build")])
        assert bad.exit_code == 2 and f"'{option}'" in bad.output and said in bad.output, bad.output
    assert not (corpus / "sources.toml").exists() and not (tmp_path / "build" / "current").exists()


def test_a_broken_sources_toml_is_named_and_left_alone(tmp_path):
    (tmp_path / "sources.toml").write_text("[[source]\nfile = ", encoding="utf-8")
    with pytest.raises(MetadataError, match=r"sources.toml is not valid TOML .*fix it"):
        with_metadata(tmp_path, "new.pdf", {"year": 2001})
    assert (tmp_path / "sources.toml").read_text(encoding="utf-8") == "[[source]\nfile = "


def test_an_entry_is_taken_out_and_the_rest_kept(tmp_path):
    from kg.corpus import without_entry

    shutil.copy(ROOT / "corpus" / "sources.toml", tmp_path / "sources.toml")
    before, after = without_entry(tmp_path, "jopling-vincent-2020.txt")
    old = [e for e in tomllib.loads(before)["source"] if e["file"] != "jopling-vincent-2020.txt"]
    assert tomllib.loads(after)["source"] == old and len(old) == 4
    assert after.splitlines()[:5] == before.splitlines()[:5]           # the header comment stays
    assert without_entry(tmp_path, "not-listed.pdf") == (before, before)
    (tmp_path / "sources.toml").write_text('# only one\n[[source]]\nid = "a"\nfile = "a.md"\n', encoding="utf-8")
    assert without_entry(tmp_path, "a.md")[1] == "# only one\n"           # not "source = []"
    (tmp_path / "sources.toml").unlink()
    assert without_entry(tmp_path, "a.md") == (None, None)


def _catalogued_corpus(tmp_path: Path, name: str, source_id: str) -> Path:
    """A corpus folder with one document, ``name``, catalogued under ``source_id``."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / name).write_text("Catalogued text.\n", encoding="utf-8")
    (corpus / "sources.toml").write_text(f'[[source]]\nid = "{source_id}"\nfile = "{name}"\ntitle = "Catalogued"\n',
                                         encoding="utf-8")
    return corpus


@pytest.mark.parametrize("catalogued, newcomer", [
    ("jopling-vincent-2020.txt", "jopling-vincent-2020.md"),      # ".md" sorts first: it used to take the id
    ("smith-2011-family.txt", "Smith-2011-Family.txt"),           # names differing only in case slug alike
    ("Smith-2011-Family.txt", "smith-2011-family.txt"),
])
def test_an_id_sources_toml_gives_keeps_its_file(tmp_path, catalogued, newcomer):
    from kg.corpus import plan, slugify

    source_id = slugify(Path(catalogued).stem)
    corpus = _catalogued_corpus(tmp_path, catalogued, source_id)
    (corpus / newcomer).write_text("# My notes\n\nReading notes.\n", encoding="utf-8")
    result = plan(corpus)
    ids = {meta.file: meta.id for _, meta in result.files}
    assert ids == {catalogued: source_id, newcomer: f"{source_id}-2"}
    assert any(f"{newcomer}: source id {source_id!r} is already used by {catalogued}" in w for w in result.warnings)


def test_an_id_the_catalogue_gives_twice_stays_with_its_first_entry(tmp_path):
    """Two entries giving one id: the entry written first keeps it, whatever the files' names, and
    the other file is named with the id it gets instead."""
    from kg.corpus import plan

    for name in ("osei-2021-early-help.txt", "nakamura-2018.txt"):
        (tmp_path / name).write_text("Text.\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "osei-2021"\nfile = "osei-2021-early-help.txt"\n\n'
        '[[source]]\nid = "osei-2021"\nfile = "nakamura-2018.txt"\n', encoding="utf-8")
    result = plan(tmp_path)
    assert {meta.file: meta.id for _, meta in result.files} == {"osei-2021-early-help.txt": "osei-2021",
                                                                "nakamura-2018.txt": "osei-2021-2"}
    assert any("nakamura-2018.txt: source id 'osei-2021' is already used by osei-2021-early-help.txt" in w
               for w in result.warnings)


def test_catalogue_values_the_build_cannot_take_are_named_and_left_out(tmp_path):
    """As `ckg add` refuses them: a year out of range or not a number, a type that is none of the
    document types; a type written in capitals is read as the type it names."""
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text("Text.\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "a"\nfile = "a.txt"\nyear = 20211\n\n'
        '[[source]]\nid = "b"\nfile = "b.txt"\ntype = "poster"\nyear = 2019\n\n'
        '[[source]]\nid = "c"\nfile = "c.txt"\ntype = "Journal Article"\n\n'
        '[[source]]\nid = "lost"\ntitle = "No file named"\n', encoding="utf-8")
    entries, warnings = load_metadata(tmp_path)
    assert "year" not in entries["a.txt"] and entries["b.txt"]["year"] == 2019 and "type" not in entries["b.txt"]
    assert entries["c.txt"]["type"] == "journal article"
    assert any("a.txt: year 20211 must be a whole number between 1500" in w and w.endswith("it is ignored") for w in warnings)
    assert any("b.txt: type 'poster' must be one of" in w and w.endswith("it is ignored") for w in warnings)
    assert any("[[source]] #4 (id 'lost') has no 'file' key" in w for w in warnings)


def test_every_catalogue_value_of_the_wrong_kind_is_named_and_left_out(tmp_path):
    """Found by QA: an id "../../x" wrote files outside the build, authors = [1] stopped every build,
    title = 42 lost the citations and venue = 3 the graph of every source, authors = "Smith, J." became
    its letters, and "[[sources]]" dropped the whole catalogue unsaid."""
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Text.\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[sources]]\nid = "x"\nfile = "x.txt"\n\n'
        '[[source]]\nid = "../../escape"\nfile = "a.txt"\nauthors = [1]\ntitle = 42\neditors = [1, 2]\nvenue = 3\n'
        'studies = "NECF"\ntitle_supplied = "no"\npages = ""\nurl = ""\n\n'
        '[[source]]\nid = 5\nfile = "b.txt"\nauthors = "Smith, J."\nyear = "2001"\ntitle = ["a", "b"]\n\n'
        '[[source]]\nfile = 7\n', encoding="utf-8")
    entries, warnings = load_metadata(tmp_path)
    assert entries["a.txt"] == {"file": "a.txt", "studies": ["NECF"], "pages": "", "url": ""}
    assert entries["b.txt"] == {"file": "b.txt", "authors": ["Smith, J."], "year": 2001}
    said = "\n".join(warnings)
    assert "unknown top-level key 'sources' (the entries are [[source]] tables)" in said
    for field in ("id '../../escape'", "authors must be", "title must be", "editors must be", "venue must be",
                  "title_supplied 'no' must be true or false", "for b.txt: id 5 must be"):
        assert field in said, field
    assert "(the file name gives the id)" in said and "[[source]] #3 has a 'file' that is no file name" in said

    from kg.corpus import plan

    assert sorted(meta.id for _, meta in plan(tmp_path).files) == ["a", "b"]


def test_two_files_without_entries_named_alike_get_ids_in_the_order_of_their_names(tmp_path):
    from kg.corpus import plan

    for name in ("smith-2011-family.txt", "Smith-2011-Family.txt"):
        (tmp_path / name).write_text("Text.\n", encoding="utf-8")
    assert [(meta.file, meta.id) for _, meta in plan(tmp_path).files] == [
        ("Smith-2011-Family.txt", "smith-2011-family"), ("smith-2011-family.txt", "smith-2011-family-2")]


@pytest.mark.parametrize("catalogued, newcomer, entry", [
    ("jopling-vincent-2020.txt", "jopling-vincent-2020.md", True),
    ("smith-2011-family.txt", "Smith-2011-Family.txt", True),
    ("smith-2011-family.txt", "Smith-2011-Family.txt", False),    # the other file has no entry: its name gives its id
])
def test_ckg_add_refuses_a_file_whose_name_gives_another_sources_id(tmp_path, catalogued, newcomer, entry):
    from click.testing import CliRunner

    from kg.cli import main

    corpus = _catalogued_corpus(tmp_path, catalogued, Path(catalogued).stem.lower())
    if not entry:
        (corpus / "sources.toml").unlink()
    before = sorted(p.name for p in corpus.iterdir())
    new = tmp_path / "elsewhere" / newcomer
    new.parent.mkdir()
    new.write_text("# My notes on it\n\nReading notes.\n", encoding="utf-8")
    options = ["--corpus", str(corpus), "--build", str(tmp_path / "build")]
    for extra in ([], ["--year", "2020"], ["--replace"]):           # with or without catalogue options, or --replace
        result = CliRunner().invoke(main, ["add", str(new), *extra, *options])
        assert result.exit_code == 1, result.output
        assert f"source id '{Path(catalogued).stem.lower()}' is already used by {catalogued}" in result.output
        assert "choose another with --id" in result.output and "unchanged" in result.output
    assert sorted(p.name for p in corpus.iterdir()) == before and not (tmp_path / "build" / "current").exists()


def test_a_copy_of_a_document_under_another_name_is_refused_and_a_build_names_copies(tmp_path):
    """"Copy of report (final).txt" beside "report.txt": every passage, quote and citation would show
    twice, so ckg add refuses it (naming the document it copies), --replace of that same document takes
    it, and a build finding two copies in the corpus says so in its warnings."""
    from click.testing import CliRunner

    from kg.cli import main
    from kg.corpus import plan

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.txt").write_text("A report on joint work.\n\nIts findings.\n", encoding="utf-8")
    copy = tmp_path / "Copy of report (final).txt"
    shutil.copy2(corpus / "report.txt", copy)
    options = ["--corpus", str(corpus), "--build", str(tmp_path / "build")]
    result = CliRunner().invoke(main, ["add", str(copy), *options])
    assert result.exit_code == 1, result.output
    assert "same content as report.txt" in result.output and "unchanged" in result.output
    assert sorted(p.name for p in corpus.iterdir()) == ["report.txt"]
    shutil.copy2(copy, tmp_path / "report.txt")          # the same file again, replacing itself: no copy made
    from kg.corpus import same_content
    assert same_content(corpus, tmp_path / "report.txt", besides=corpus / "report.txt") is None
    shutil.copy2(copy, corpus / "report-v2.txt")
    copies = plan(corpus).copy_warnings()
    assert len(copies) == 1 and "report-v2.txt" in copies[0] and "report.txt" in copies[0] and "ckg remove" in copies[0]
    # a copy that is not read (a PDF named .txt beside its .pdf fails) shows nothing twice: no warning
    from kg.build import build
    from kg.settings import Settings

    (corpus / "report-v2.txt").unlink()
    pdf = ROOT / "tests" / "data" / "tiny" / "contrib-pagelabels.pdf"
    shutil.copy2(pdf, corpus / "slides.pdf")
    shutil.copy2(pdf, corpus / "slides-misnamed.txt")
    report = build(Settings.from_env().with_overrides(workers=1, graph_validate=False), corpus, tmp_path / "build")
    assert {r.file for r in report.failed} == {"slides-misnamed.txt"} and plan(corpus).copy_warnings()
    assert not [w for w in report.warnings if "same content" in w], report.warnings


def test_a_file_replacing_itself_keeps_its_id(tmp_path):
    from kg.corpus import check_source_id

    corpus = _catalogued_corpus(tmp_path, "jopling-vincent-2020.txt", "jopling-vincent-2020")
    assert check_source_id(corpus, "jopling-vincent-2020.txt") == "jopling-vincent-2020"     # `ckg add --replace`
    assert check_source_id(corpus, "jopling-vincent-2020.md", "jv-notes") == "jv-notes"      # another id given
    with pytest.raises(MetadataError, match="already used by jopling-vincent-2020.txt"):
        check_source_id(corpus, "jopling-vincent-2020.md")


def test_a_source_id_keeps_its_letters_and_never_depends_on_the_other_files():
    from kg.corpus import slugify

    assert slugify("Ünïcode notes – résumé 2020") == "unicode-notes-resume-2020"
    assert (slugify("Ökonomie"), slugify("Straße"), slugify("team-around-the-child")) == ("okonomie", "strasse", "team-around-the-child")
    # no Latin letter: an id made from the name itself, the same whatever else the folder holds
    assert slugify("報告") == slugify("報告") != slugify("研究") and slugify("報告").startswith("source-")
    assert slugify("a 報告") != slugify("a 研究")      # the Latin part alone would make them one
