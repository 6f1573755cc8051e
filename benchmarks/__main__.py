"""`make bench`: build throughput, warm HTTP latency and vector-index scale. Never part of `make test`.

    python -m benchmarks [--only throughput,latency,scale] [--sizes 100000,1000000] [--out benchmarks/results.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CKG = [sys.executable, "-m", "kg.cli"]
# our own sample of the three personas' questions (not the evaluation set)
QUERIES = [
    "what does relational agency mean", "heavy-end prevention", "co-production with families",
    "parent quote about being listened to", "who introduced the idea of common knowledge",
    "how was the Children's Fund evaluated", "resilience in a cultural-historical sense",
    "board member on funding prevention", "developmental work research workshops", "social exclusion of children",
    "trust between schools and social workers", "what is the object of activity", "Every Child Matters outcomes",
    "early intervention before crisis", "headteacher on working with the whole family", "mirror data",
]


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory, 1), "python": platform.python_version()}


def throughput() -> dict:
    """Build (with an empty embedding cache) against the raw model encode rate on the same texts:
    every text the build embeds (passages, sentence windows, quotations and their settings), each once."""
    from kg.index.build import texts_to_embed
    from kg.index.embed import load_embedder

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CKG_CACHE_DIR=str(Path(tmp) / "cache"))
        started = time.perf_counter()
        subprocess.run(CKG + ["build", "-q", "--out", str(Path(tmp) / "b")], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        build_seconds = time.perf_counter() - started
        release = (Path(tmp) / "b" / "current").resolve()
        manifest = json.loads((release / "index" / "manifest.json").read_text())
        passages = [json.loads(line) for line in (release / "passages.jsonl").open()]
        quotes = json.loads((release / "quotes.json").read_text(encoding="utf-8"))
    parts = texts_to_embed(passages, quotes, manifest["sentence_windows"])
    texts = list(dict.fromkeys(t for part in (parts[0], parts[1], parts[3], parts[4]) for t in part))   # the cache embeds a text once
    if len(texts) != manifest["embedded_texts"]:
        raise RuntimeError(f"the build embedded {manifest['embedded_texts']} texts, the benchmark would encode {len(texts)}")
    model = load_embedder(manifest["model"], manifest.get("adapter"))
    model.encode(texts[:64])
    started = time.perf_counter()
    model.encode(texts, batch_size=64)
    raw_seconds = time.perf_counter() - started
    return {
        "passages": len(passages), "texts": len(texts),
        "build_seconds_total": round(build_seconds, 2),
        "build_embed_seconds": manifest["embed_seconds"],
        "build_texts_per_s": round(len(texts) / manifest["embed_seconds"], 1),
        "raw_texts_per_s": round(len(texts) / raw_seconds, 1),
        "build_vs_raw": round(raw_seconds / manifest["embed_seconds"], 3),
        "build_passages_per_s_embedding": round(len(passages) / manifest["embed_seconds"], 1),
        "build_passages_per_s_whole_build": round(len(passages) / build_seconds, 1),
    }


def latency(requests: int = 400) -> dict:
    """Warm latency of /api/search through HTTP (waitress, as `ckg serve` runs it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    build = ROOT / "build"
    if not (build / "current").exists():
        subprocess.run(CKG + ["build", "-q"], cwd=ROOT, check=True)
    server = subprocess.Popen(CKG + ["serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        for query in QUERIES:   # warm: model, caches
            urllib.request.urlopen(f"{base}/api/search?" + urllib.parse.urlencode({"q": query}), timeout=30).read()
        timings = []
        for i in range(requests):
            query = QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {i}")  # mostly unseen queries
            started = time.perf_counter()
            urllib.request.urlopen(f"{base}/api/search?" + urllib.parse.urlencode({"q": query, "k": 10}), timeout=30).read()
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)
    timings.sort()
    return {"requests": requests, "p50_ms": round(statistics.median(timings), 1),
            "p99_ms": round(timings[int(0.99 * len(timings)) - 1], 1), "max_ms": round(timings[-1], 1)}


def synthetic(n: int, dimension: int = 384, seed: int = 0) -> np.ndarray:
    """Clustered unit vectors, like sentence embeddings (many topics, each a cloud)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(64, n // 2000), dimension)).astype(np.float32)
    vectors = np.empty((n, dimension), dtype=np.float32)
    for start in range(0, n, 100_000):
        end = min(n, start + 100_000)
        pick = rng.integers(0, len(centres), end - start)
        block = centres[pick] + 0.9 * rng.standard_normal((end - start, dimension)).astype(np.float32)
        vectors[start:end] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return vectors


def scale(sizes: list[int], queries: int = 200) -> list[dict]:
    import faiss
    import resource

    from kg.index.dense import FLAT, HNSW, IVFPQ, VectorIndex

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    rows = []
    for n in sizes:
        vectors = synthetic(n)
        probe = synthetic(queries, seed=1) * 0.5 + vectors[np.random.default_rng(2).integers(0, n, queries)] * 0.5
        probe /= np.linalg.norm(probe, axis=1, keepdims=True)
        exact = VectorIndex.build(vectors, FLAT)
        _, truth = exact.search(probe, 10)
        for kind in (FLAT, HNSW, IVFPQ):
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            index = exact if kind == FLAT else VectorIndex.build(vectors, kind)
            build_seconds = time.perf_counter() - started if kind != FLAT else 0.0
            with tempfile.NamedTemporaryFile() as handle:
                index.save(Path(handle.name))
                size_mb = os.path.getsize(handle.name) / 2**20
            timings = []
            found = np.zeros((queries, 10), dtype=np.int64)
            for i in range(queries):
                started = time.perf_counter()
                _, ids = index.search(probe[i:i + 1], 10)
                timings.append((time.perf_counter() - started) * 1000)
                found[i] = ids[0]
            recall = float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(queries)]))
            rows.append({"vectors": n, "index": kind, "build_s": round(build_seconds, 1), "index_mb": round(size_mb, 1),
                         "p50_ms": round(statistics.median(timings), 2), "p99_ms": round(sorted(timings)[int(0.99 * queries) - 1], 2),
                         "recall@10": round(recall, 3),
                         "peak_rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1)})
            print(json.dumps(rows[-1]), flush=True)
            if kind != FLAT:
                del index
        del exact, vectors
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="throughput,latency,scale")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parts = set(args.only.split(","))
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    if "throughput" in parts:
        results["throughput"] = throughput()
        print("throughput", json.dumps(results["throughput"]), flush=True)
    if "latency" in parts:
        results["latency"] = latency()
        print("latency", json.dumps(results["latency"]), flush=True)
    if "scale" in parts:
        results["scale"] = scale([int(x) for x in args.sizes.split(",") if x])
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"\n{'vectors':>9} {'index':6} {'build s':>8} {'MB':>8} {'p50 ms':>8} {'p99 ms':>8} {'recall@10':>9}")
    for row in results.get("scale", []):
        print(f"{row['vectors']:>9} {row['index']:6} {row['build_s']:>8} {row['index_mb']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['recall@10']:>9}")


if __name__ == "__main__":
    main()
