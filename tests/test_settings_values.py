"""Settings values: every value a setting cannot take is refused by name (a yes/no setting's typo, nan,
a store it does not know), a CKG_ variable that is no setting is warned about, and the ontology folder
is the one the build really reads, named by its absolute path, wherever ckg runs from."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
import kg.settings as settings_module
from kg.cli import main
from kg.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "ontology"


@pytest.fixture()
def fresh_warnings(monkeypatch):
    """The unknown-variable warnings are said once a process: each test starts with none said."""
    monkeypatch.setattr(settings_module, "_warned", set())


# --- yes/no settings ------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["1", "true", "True", "YES", "on", " On "])
def test_a_yes_is_read_in_any_of_its_spellings(word):
    assert Settings.from_env({"CKG_GRAPH_VALIDATE": word}).graph_validate is True
    assert Settings.from_env({"CKG_SENTENCE_WINDOWS": word}).sentence_windows is True


@pytest.mark.parametrize("word", ["0", "false", "FALSE", "no", "Off"])
def test_a_no_is_read_in_any_of_its_spellings(word):
    assert Settings.from_env({"CKG_GRAPH_VALIDATE": word}).graph_validate is False


@pytest.mark.parametrize("word", ["maybe", "ture", "", "2", "enabled"])
def test_any_other_word_for_a_yes_no_setting_is_refused_by_name(word):
    with pytest.raises(SettingsError, match=r"setting graph_validate \(CKG_GRAPH_VALIDATE\) must be one of "
                                            r"1/0, true/false, yes/no, on/off \(in any case\), not " + repr(word)):
        Settings.from_env({"CKG_GRAPH_VALIDATE": word})


def test_python_values_still_work_for_yes_no_settings():
    assert Settings().with_overrides(graph_validate=False).graph_validate is False
    assert Settings().with_overrides(graph_validate=0).graph_validate is False
    assert Settings().with_overrides(sentence_windows=True).sentence_windows is True


# --- numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_nan_and_infinity_are_refused_for_a_number_setting(word):
    with pytest.raises(SettingsError, match=r"setting file_timeout_s \(CKG_FILE_TIMEOUT_S\) must be"):
        Settings.from_env({"CKG_FILE_TIMEOUT_S": word})
    with pytest.raises(SettingsError, match=r"setting quote_boost \(CKG_QUOTE_BOOST\) must be"):
        Settings().with_overrides(quote_boost=float(word))


def test_nan_is_refused_as_not_finite_and_a_bounded_inf_as_before():
    with pytest.raises(SettingsError, match="file_timeout_s .* must be a finite number, not nan"):
        Settings.from_env({"CKG_FILE_TIMEOUT_S": "nan"})
    with pytest.raises(SettingsError, match="dense_weight .* must be a finite number, not nan"):
        Settings.from_env({"CKG_DENSE_WEIGHT": "nan"})
    with pytest.raises(SettingsError, match="dense_weight .* must be at most 1, not inf"):
        Settings.from_env({"CKG_DENSE_WEIGHT": "inf"})
    assert Settings.from_env({"CKG_FILE_TIMEOUT_S": "1e3"}).file_timeout_s == 1000.0


def test_every_float_setting_refuses_nan():
    for f in fields(Settings):
        if f.type in ("float", float):
            with pytest.raises(SettingsError, match=f"setting {f.name} "):
                Settings.from_env({f"CKG_{f.name.upper()}": "nan"})


# --- settings with a fixed set of values ------------------------------------------------------------

def test_settings_with_a_fixed_set_of_values_are_checked_alike():
    with pytest.raises(SettingsError, match=r"setting graph_store must be oxigraph or rdflib, not 'foo' \(CKG_GRAPH_STORE\)"):
        Settings.from_env({"CKG_GRAPH_STORE": "foo"})
    with pytest.raises(SettingsError, match=r"setting query_encoder must be onnx or torch, not 'foo' \(CKG_QUERY_ENCODER\)"):
        Settings.from_env({"CKG_QUERY_ENCODER": "foo"})
    assert Settings.from_env({"CKG_GRAPH_STORE": " RDFLib"}).graph_store == "rdflib"
    assert Settings.from_env({"CKG_QUERY_ENCODER": "Torch"}).query_encoder == "torch"
    declared = {f.name for f in fields(Settings) if f.metadata.get("choices")}
    assert {"graph_store", "query_encoder"} <= declared
    for f in fields(Settings):      # every default is one of its own choices
        if f.metadata.get("choices"):
            assert f.default in f.metadata["choices"], f.name


def test_ckg_settings_refuses_a_store_it_does_not_know(fresh_warnings):
    result = CliRunner().invoke(main, ["settings"], env={"CKG_GRAPH_STORE": "foo"})
    assert result.exit_code == 1 and "graph_store must be oxigraph or rdflib, not 'foo'" in result.output
    assert "Traceback" not in result.output
    refused = CliRunner().invoke(main, ["settings"], env={"CKG_GRAPH_VALIDATE": "maybe"})
    assert refused.exit_code == 1 and "CKG_GRAPH_VALIDATE" in refused.output and "on/off" in refused.output


# --- unknown CKG_ variables -------------------------------------------------------------------------

def test_a_misspelt_variable_is_warned_about_with_the_setting_it_probably_means(fresh_warnings, capsys):
    settings = Settings.from_env({"CKG_WORKER": "4"})
    assert settings.workers == Settings().workers       # ignored, not failed
    err = capsys.readouterr().err
    assert "CKG_WORKER is not a setting" in err and "did you mean CKG_WORKERS" in err


def test_an_unknown_variable_is_warned_about_once_a_process(fresh_warnings, capsys):
    Settings.from_env({"CKG_FOO": "1"})
    first = capsys.readouterr().err
    assert "CKG_FOO is not a setting" in first and "did you mean" not in first and "ckg settings" in first
    Settings.from_env({"CKG_FOO": "1"})
    assert capsys.readouterr().err == ""


def test_settings_and_other_variables_are_not_warned_about(fresh_warnings, capsys):
    Settings.from_env({f"CKG_{f.name.upper()}": str(f.default) for f in fields(Settings)
                       if f.default is not None and f.name != "ontology_dir"}
                      | {"HOME": "/root", "PATH": "/bin", "CKGX": "1"})
    Settings.from_env()     # this process's environment: whatever conftest.py and the Makefile set
    assert capsys.readouterr().err == ""


def test_every_ckg_variable_the_code_reads_is_a_setting_or_listed():
    """A CKG_ variable read elsewhere in the code must not be warned about: it is a setting or is in
    kg.settings.OTHER_VARIABLES."""
    import re

    known = {f"CKG_{f.name.upper()}" for f in fields(Settings)} | settings_module.OTHER_VARIABLES
    read, skipped = set(), {Path(__file__).resolve(), ROOT / "kg" / "settings.py"}     # these name typos on purpose
    for folder in ("kg", "search_app", "scripts", "benchmarks", "tests"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".sh", ".js", ".html", ".toml") and path not in skipped:
                read |= set(re.findall(r"\bCKG_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8", errors="replace")))
    read |= set(re.findall(r"\bCKG_[A-Z0-9_]*[A-Z0-9]", (ROOT / "Makefile").read_text(encoding="utf-8")))
    assert read - known == set()


def test_the_cli_warns_on_stderr_and_goes_on():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CKG_")} | {"CKG_WORKER": "4", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "kg.cli", "settings"], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("CKG_WORKER is not a setting") == 1 and "CKG_WORKERS" in done.stderr
    assert "workers (CKG_WORKERS) = 2" in done.stdout


# --- the ontology folder ------------------------------------------------------------------------------

def test_the_shipped_ontology_is_the_project_folder():
    assert settings_module.SHIPPED_ONTOLOGY == Path(kg.__file__).resolve().parent.parent / "ontology" == SHIPPED


def test_from_the_repository_the_ontology_folder_is_its_own(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert Settings().ontology_dir == SHIPPED
    assert Settings.from_env({}).ontology_dir == SHIPPED


def test_from_another_folder_the_default_is_the_shipped_ontology(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert Settings().ontology_dir == SHIPPED
    assert Settings.from_env({}).with_overrides(workers=1).ontology_dir == SHIPPED


def test_a_folder_with_its_own_ontology_uses_it(monkeypatch, tmp_path):
    (tmp_path / "ontology").mkdir()
    monkeypatch.chdir(tmp_path)
    assert Settings().ontology_dir == tmp_path / "ontology"
    assert Settings.from_env({"CKG_ONTOLOGY_DIR": "ontology"}).ontology_dir == tmp_path / "ontology"


def test_a_given_ontology_folder_is_absolute_and_must_exist(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    assert Settings.from_env({"CKG_ONTOLOGY_DIR": "mine"}).ontology_dir == tmp_path / "mine"
    assert Settings().with_overrides(ontology_dir=tmp_path / "mine").ontology_dir == tmp_path / "mine"
    with pytest.raises(SettingsError, match=r"setting ontology_dir \(CKG_ONTOLOGY_DIR\) must be a folder that exists, "
                                            r"not '" + str(tmp_path / "nope") + "'"):
        Settings.from_env({"CKG_ONTOLOGY_DIR": "nope"})
    with pytest.raises(SettingsError, match=str(tmp_path / "ontology")):      # the default named, but not there
        Settings.from_env({"CKG_ONTOLOGY_DIR": "ontology"})


def test_ckg_build_with_a_missing_ontology_folder_names_it_and_builds_nothing(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--corpus", str(ROOT / "tests" / "data" / "tiny"), "--out", "out"],
                                env={"CKG_ONTOLOGY_DIR": "nope"})
    assert result.exit_code == 1 and str(tmp_path / "nope") in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_without_any_ontology_the_build_warning_names_the_real_path(monkeypatch, tmp_path):
    from kg.build import BuildReport, _load_concepts

    monkeypatch.setattr(settings_module, "SHIPPED_ONTOLOGY", tmp_path / "not-shipped")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    settings = Settings()
    assert settings.ontology_dir == work / "ontology"
    report = BuildReport(out_dir=work / "build", release_dir=None)
    assert _load_concepts(settings, report) == {}
    assert report.warnings == [f"{work / 'ontology' / 'concepts.ttl'} not found: passages are built without concept links"]


def test_shacl_validation_names_the_shapes_file_it_looked_for(monkeypatch, tmp_path):
    from rdflib import Dataset

    from kg.graph import validate_dataset

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(FileNotFoundError, match=str(work / "nope" / "shapes.ttl")):
        validate_dataset(Dataset(), "nope")       # rdflib alone would name <tmp_path>/nope/shapes.ttl
