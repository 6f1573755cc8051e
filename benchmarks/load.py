"""Load: `ckg serve` on loopback driven by concurrent clients with a bounded, mixed workload.

    python -m benchmarks.load --build DIR [--clients 50] [--seconds 60] [--think-ms 1000] [--threads N] [--out FILE]

The server runs as a subprocess exactly as `ckg serve` runs it. Each client keeps one keep-alive
connection and loops: pick a request, wait for the answer, pause a random think time (uniform
between 0 and twice --think-ms; 0 gives a closed loop with no pause), so at most one request per
client is in flight. The workload is bounded: a fixed set of requests, drawn from the build
itself (never from an evaluation file):

* search      GET /api/search — queries made of concept labels and of 2–6 word windows of passages
* search_page GET /search — the HTML results page for the same kind of queries
* concept     GET /concepts/<id> — concept pages
* quotes      GET /api/quotes — words from the quotations themselves, some with a role filter
* sparql      GET /sparql — the example queries of the /sparql page, as JSON
* source      GET /sources/<id> — the reader

Reported: requests, throughput, errors (status >= 400 or no answer), p50/p90/p99/max latency per
kind and overall, and the server's resident memory (VmRSS from /proc, the server process and its
SPARQL workers) after warm-up and at the end.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"search": 35, "search_page": 10, "concept": 15, "quotes": 15, "sparql": 10, "source": 15}
ROLES = ["parent", "practitioner", "headteacher", "manager or senior officer", "child"]


# --- the workload -----------------------------------------------------------------------------------

def workload(build: Path, seed: int = 7, per_kind: int = 200) -> dict[str, list[str]]:
    """Request paths per kind, made from the build's own passages, concepts, quotes and sources."""
    release = (build / "current").resolve()
    rng = random.Random(seed)
    passages = [json.loads(line) for line in (release / "passages.jsonl").read_text(encoding="utf-8").splitlines() if line]
    sources = json.loads((release / "sources.json").read_text(encoding="utf-8"))
    concepts = json.loads((release / "concepts.json").read_text(encoding="utf-8")) if (release / "concepts.json").exists() else {}
    quotes = json.loads((release / "quotes.json").read_text(encoding="utf-8")) if (release / "quotes.json").exists() else []

    def window(text: str, low: int, high: int) -> str:
        words = re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text)
        if not words:
            return "children"
        size = rng.randint(low, high)
        start = rng.randrange(max(1, len(words) - size))
        return " ".join(words[start:start + size]).lower()

    labels = [label for c in concepts.values() for label in [c.get("pref_label", "")] + list(c.get("alt_labels", [])) if label]
    queries = []
    for n in range(per_kind):
        if labels and n % 3 == 0:
            queries.append(rng.choice(labels))
        else:
            queries.append(window(rng.choice(passages)["text"], 2, 6))
    quote_queries = [window(rng.choice(quotes)["text"], 1, 4) for _ in range(per_kind)] if quotes else ["family"]

    def q(params: dict) -> str:
        return urllib.parse.urlencode(params)

    from kg.sparql_examples import EXAMPLES

    paths = {
        "search": [f"/api/search?{q({'q': text, 'k': 10})}" for text in queries],
        "search_page": [f"/search?{q({'q': text})}" for text in queries[: per_kind // 2]],
        "concept": [f"/concepts/{urllib.parse.quote(cid)}" for cid in sorted(concepts)] or ["/concepts"],
        "quotes": [f"/api/quotes?{q({'q': text, 'k': 10, **({'speaker_role': rng.choice(ROLES)} if n % 4 == 0 else {})})}"
                   for n, text in enumerate(quote_queries)],
        "sparql": [f"/sparql?{q({'query': example.query, 'format': 'json'})}" for example in EXAMPLES],
        "source": [f"/sources/{urllib.parse.quote(s['id'])}" for s in sources],
    }
    return paths


# --- the server ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def memory(pid: int) -> dict[str, float]:
    workers = children(pid)
    return {"server_mb": round(rss_mb(pid), 1), "sparql_workers_mb": round(sum(rss_mb(w) for w in workers), 1),
            "sparql_workers": len(workers)}


def get(connection: http.client.HTTPConnection, path: str) -> int:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status


def start_server(build: Path, port: int, threads: int | None, log: Path) -> subprocess.Popen:
    """`ckg serve` with its output in ``log``: a pipe nobody reads would fill with waitress's
    "Task queue depth" warnings under load and stall the server."""
    command = [sys.executable, "-m", "kg.cli", "serve", "--build", str(build), "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        command += ["--threads", str(threads)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    with log.open("wb") as handle:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_ready(port: int, paths: dict[str, list[str]], timeout: float = 180) -> None:
    """Health first, then one request of each kind until all answer 200 (SPARQL workers load in the background)."""
    deadline = time.monotonic() + timeout
    pending = {kind: options[0] for kind, options in paths.items()}
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit(f"the server did not get ready in {timeout:.0f} s: {sorted(pending)}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if get(connection, "/api/health") == 200:
                for kind, path in list(pending.items()):
                    if get(connection, path) == 200:
                        del pending[kind]
            connection.close()
        except OSError:
            pass
        time.sleep(0.5)


# --- the clients ----------------------------------------------------------------------------------------

def client(port: int, paths: dict[str, list[str]], deadline: float, think_s: float, seed: int,
           records: list[tuple[str, float, int]]) -> None:
    rng = random.Random(seed)
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    local = []
    time.sleep(rng.uniform(0, think_s * 2))          # clients do not all start in the same millisecond
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        path = rng.choice(paths[kind])
        started = time.perf_counter()
        try:
            status = get(connection, path)
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local.append((kind, time.perf_counter() - started, status))
        if think_s:
            time.sleep(rng.uniform(0, think_s * 2))
    connection.close()
    records.extend(local)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(records: list[tuple[str, float, int]], seconds: float) -> dict:
    def stats(rows):
        latencies = [r[1] * 1000 for r in rows]
        return {"requests": len(rows), "errors": sum(1 for r in rows if not 200 <= r[2] < 400),
                "p50_ms": round(percentile(latencies, 0.50), 1), "p90_ms": round(percentile(latencies, 0.90), 1),
                "p99_ms": round(percentile(latencies, 0.99), 1), "max_ms": round(max(latencies), 1),
                "mean_ms": round(statistics.fmean(latencies), 1)} if rows else {"requests": 0}
    out = {"overall": stats(records) | {"throughput_rps": round(len(records) / seconds, 1)}}
    for kind in WEIGHTS:
        out[kind] = stats([r for r in records if r[0] == kind])
    statuses: dict[str, int] = {}
    for _, _, status in records:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    out["statuses"] = statuses
    return out


def run(build: Path, clients: int, seconds: float, think_ms: float, threads: int | None) -> dict:
    paths = workload(build)
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"ckg-load-server-{port}.log"
    server = start_server(build, port, threads, log)
    try:
        wait_ready(port, paths)
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for options in paths.values():          # one pass over a sample of each kind: caches and lazy loads
            for path in options[:10]:
                get(warm, path)
        warm.close()
        before = memory(server.pid)
        records: list[tuple[str, float, int]] = []
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        pool = [threading.Thread(target=client, args=(port, paths, deadline, think_ms / 1000, n, records))
                for n in range(clients)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.monotonic() - started
        after = memory(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    result = summary(records, elapsed)
    growth = (after["server_mb"] - before["server_mb"]) / before["server_mb"] * 100 if before["server_mb"] else 0.0
    result["memory"] = {"before": before, "after": after, "server_growth_pct": round(growth, 1)}
    queued = log.read_text(encoding="utf-8", errors="replace").count("Task queue depth") if log.exists() else 0
    result["server_log"] = {"file": str(log), "task_queue_warnings": queued}
    result["setup"] = {"clients": clients, "seconds": seconds, "think_ms_mean": think_ms, "server_threads": threads or "default",
                       "build": str(build), "distinct_requests": {k: len(v) for k, v in paths.items()},
                       "load_average_at_end": os.getloadavg()}
    result["acceptance"] = {"errors_0": result["overall"]["errors"] == 0,
                            "p99_le_500ms": result["overall"].get("p99_ms", 1e9) <= 500,
                            "rss_growth_lt_10pct": growth < 10}
    return result


def print_table(result: dict) -> None:
    print(f"{'kind':<12} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in ["overall", *WEIGHTS]:
        row = result[kind]
        if row.get("requests"):
            print(f"{kind:<12} {row['requests']:>8} {row['errors']:>6} {row['p50_ms']:>8} {row['p90_ms']:>8} "
                  f"{row['p99_ms']:>8} {row['max_ms']:>8}")
    print(f"throughput {result['overall']['throughput_rps']} req/s; statuses {result['statuses']}")
    memory = result["memory"]
    print(f"server RSS {memory['before']['server_mb']} → {memory['after']['server_mb']} MB "
          f"({memory['server_growth_pct']:+.1f}%); SPARQL workers {memory['before']['sparql_workers_mb']} → "
          f"{memory['after']['sparql_workers_mb']} MB")
    print(f"acceptance: {result['acceptance']}; load average at the end {result['setup']['load_average_at_end']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", type=Path, default=ROOT / "build", help="built library to serve [build]")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think-ms", type=float, default=1000, help="mean pause between a client's requests [1000]")
    parser.add_argument("--threads", type=int, help="waitress threads (default: the server_threads setting)")
    parser.add_argument("--out", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    if not (args.build / "current").exists():
        raise SystemExit(f"{args.build} holds no build: run `ckg build --out {args.build}` first")
    result = run(args.build, args.clients, args.seconds, args.think_ms, args.threads)
    print_table(result)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
