"""Concept acceptance: label resolution, sourced definitions and passage linking on our own held-out data.

    python -m benchmarks.concepts_eval --build DIR [--queries FILE] [--misses] [--json]

1. **Resolution** — every reader query of ``benchmarks/data/concept-labels.json`` goes through the real
   lookup (``GET /api/concepts?label=`` on the Flask test client); it counts when the first result is the
   expected concept. ``--queries FILE`` scores another list of reader queries of the same shape
   instead (e.g. ``concept-labels-independent.json``, written without reading the alt labels), with the
   definition judgements of ``concept-labels.json``.
2. **Definitions** — for each query, the first result shows a definition (``GET /api/concepts/<id>``)
   whose text occurs verbatim (up to case, punctuation and spacing, as the graph locates quotations) in a passage of the cited source, and that definition
   was judged, by reading the passage, to be a real definition (the ``definitions`` judgements of the
   data file). A wrong first result fails this check too.
3. **Linking** — the build's links (mentions and definitional passages) of the passages of
   ``benchmarks/data/concept-links-gold.json`` against the gold concepts: micro precision and recall,
   on the sample the linker was tuned on and on a fresh sample judged afterwards.
4. **Found definitions** — the build's definition finder run with every curated definition hidden:
   how many of the sentences it finds are curated definitions judged defining, and how many of the
   defined concepts it covers (it is meant to be precise, not complete).
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def _ws(text: str) -> str:
    return " ".join(text.split())


def _letters(text: str) -> str:
    """A text as the graph locates quotations in passages: letters and digits only, case folded
    (a list's bullets, which the cleaner drops from passages, do not count against a quotation)."""
    from kg.graph import _squash_map

    return _squash_map(text)[0]


def judgement_key(concept_id: str, text: str) -> str:
    """How a definition is named in the data file: concept id and the first 60 characters of its text."""
    return f"{concept_id}: {_ws(text)[:60]}"


def resolution(client, library, labels: dict[str, Any]) -> dict[str, Any]:
    judged: dict[str, bool] = {k: bool(v["defining"]) for k, v in labels.get("definitions", {}).items()}
    passages_by_source: dict[str, list[str]] = {}
    rows = []
    for item in labels["queries"]:
        response = client.get("/api/concepts?label=" + urllib.parse.quote(item["query"]))
        results = response.get_json()["results"]
        top = results[0]["id"] if results else None
        row = {"query": item["query"], "expected": item["concept"], "got": top, "kind": item.get("kind"),
               "resolved": top == item["concept"], "defined": False, "first_defined": False, "definition": None,
               "why": ""}
        if top is not None:
            detail = client.get(f"/api/concepts/{top}").get_json()
            reasons = []
            for rank, definition in enumerate(detail.get("definitions") or []):
                source = definition.get("source_id")
                if source not in passages_by_source:
                    passages_by_source[source] = [_letters(p["text"]) for p in library.passages(source)] if source else []
                verbatim = any(_letters(definition["text"]) in text for text in passages_by_source[source])
                key = judgement_key(top, definition["text"])
                if not verbatim:
                    reasons.append(f"not verbatim in {source}: {key}")
                elif key not in judged:
                    reasons.append(f"not judged: {key}")
                elif not judged[key]:
                    reasons.append(f"judged not defining: {key}")
                else:
                    row["definition"] = key
                    row["first_defined"] = row["resolved"] and rank == 0
                    break
            row["defined"] = row["resolved"] and row["definition"] is not None
            row["why"] = "; ".join(reasons) if not row["definition"] else ""
            if not detail.get("definitions"):
                row["why"] = "no definition"
        rows.append(row)
    n = len(rows)
    defined_somewhere = {key.split(":", 1)[0] for key, value in judged.items() if value}
    return {
        "queries": n,
        "concepts": len({r["expected"] for r in rows}),
        "resolved": round(sum(r["resolved"] for r in rows) / n, 3),
        "defined": round(sum(r["defined"] for r in rows) / n, 3),
        "first_defined": round(sum(r["first_defined"] for r in rows) / n, 3),
        # the same, over the queries whose concept the seeds really define (by the judgements)
        "defined_where_defined": round(sum(r["defined"] for r in rows if r["expected"] in defined_somewhere)
                                       / max(1, sum(r["expected"] in defined_somewhere for r in rows)), 3),
        "queries_defined_in_seeds": sum(r["expected"] in defined_somewhere for r in rows),
        "rows": rows,
    }


def linking(library, passages: list[dict[str, Any]]) -> dict[str, Any]:
    tp = fp = fn = 0
    rows = []
    for item in passages:
        links = library.links(item["passage_id"])
        if library.passage(item["passage_id"]) is None:
            raise SystemExit(f"gold passage {item['passage_id']} is not in the build (were the seeds re-segmented?)")
        got = {m["concept_id"] for m in links.get("mentions", [])} | set(links.get("defines", []))
        want = set(item["concepts"])
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        if got != want:
            rows.append({"passage_id": item["passage_id"], "extra": sorted(got - want), "missing": sorted(want - got)})
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"passages": len(passages), "gold_links": tp + fn, "predicted_links": tp + fp,
            "precision": round(precision, 3), "recall": round(recall, 3), "errors": rows}


def found_definitions(library, labels: dict[str, Any]) -> dict[str, Any]:
    """The definition finder (sentences that open with a concept and say what it is) run over the
    build's passages with every curated definition hidden, as if no curator had read the seeds: how
    many of the sentences it finds are curated definitions judged defining (precision, the rest listed
    for reading), and for how many of the concepts so defined it finds one (recall)."""
    from kg.concepts import link_concepts, load_scheme

    root = Path(__file__).resolve().parent.parent
    scheme = load_scheme(root / "ontology" / "concepts.ttl")
    judged = {k for k, v in labels.get("definitions", {}).items() if v["defining"]}
    defining: dict[str, list[str]] = {}
    for concept in scheme.values():
        defining[concept.id] = [_letters(d["text"]) for d in concept.definitions
                                if judgement_key(concept.id, d["text"]) in judged]
        concept.definitions = []
    found = [f for link in link_concepts(library.passages(), scheme).values() for f in link.get("found_definitions", [])]
    rows, hit_concepts = [], set()
    for item in found:
        text = _letters(item["text"])
        is_defining = any(text in d or d in text for d in defining.get(item["concept_id"], []) if d)
        if is_defining:
            hit_concepts.add(item["concept_id"])
        rows.append({"concept_id": item["concept_id"], "text": item["text"], "judged_defining": is_defining})
    defined = [c for c, texts in defining.items() if texts]
    return {"found": len(rows), "judged_defining": sum(r["judged_defining"] for r in rows),
            "concepts_defined": len(defined), "concepts_found": len(hit_concepts), "rows": rows}


def run(build: str, queries: Path | None = None) -> dict[str, Any]:
    from search_app import create_app

    app = create_app({"BUILD_DIR": build, "TESTING": True})
    library = app.extensions["ckg_library"]
    labels = json.loads((DATA / "concept-labels.json").read_text())
    if queries is not None:     # another reader-query list, judged by the same definition judgements
        labels = {**labels, "queries": json.loads(queries.read_text(encoding="utf-8"))["queries"]}
    gold = json.loads((DATA / "concept-links-gold.json").read_text())
    with app.test_client() as client:
        return {"resolution": resolution(client, library, labels),
                "linking": linking(library, gold["passages"]),
                "linking_fresh": linking(library, gold.get("fresh_passages") or []),
                "found_definitions": found_definitions(library, labels)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="a build directory (ckg build --out DIR)")
    parser.add_argument("--queries", type=Path, help="reader queries to resolve instead of data/concept-labels.json's "
                        "(same shape: {\"queries\": [{\"query\", \"concept\", \"kind\"}]})")
    parser.add_argument("--misses", action="store_true", help="list every failed query and linking error")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    if not Path(args.build).exists():
        parser.error(f"--build: no such directory: {args.build}")
    if args.queries is not None and not args.queries.is_file():
        parser.error(f"--queries: no such file: {args.queries}")
    result = run(args.build, args.queries)
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
        return 0
    res = result["resolution"]
    print(f"resolution: {res['resolved']:.1%} of {res['queries']} queries ({res['concepts']} concepts) resolve first to the right concept")
    print(f"definitions: {res['defined']:.1%} show a verbatim definition judged defining "
          f"({res['first_defined']:.1%} as the first definition shown; {res['defined_where_defined']:.1%} of the "
          f"{res['queries_defined_in_seeds']} queries whose concept the seeds define)")
    for name, link in (("linking (tuning sample)", result["linking"]), ("linking (fresh sample)", result["linking_fresh"])):
        print(f"{name}: precision {link['precision']:.1%}, recall {link['recall']:.1%} "
              f"({link['gold_links']} gold links, {link['predicted_links']} predicted, {link['passages']} passages)")
    found = result["found_definitions"]
    print(f"found definitions (curated ones hidden): {found['found']} sentences found, {found['judged_defining']} of "
          f"them curated definitions judged defining; they cover {found['concepts_found']} of the "
          f"{found['concepts_defined']} concepts the seeds define")
    if args.misses:
        for row in found["rows"]:
            if not row["judged_defining"]:
                print(f"  found for {row['concept_id']}, not a judged definition: {row['text'][:160]!r}")
        for row in res["rows"]:
            if not row["resolved"] or not row["defined"]:
                print(f"  query {row['query']!r}: expected {row['expected']}, got {row['got']}"
                      + (f" — {row['why']}" if row["why"] else ""))
        for row in result["linking"]["errors"] + result["linking_fresh"]["errors"]:
            print(f"  {row['passage_id']}: extra {row['extra']} missing {row['missing']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
