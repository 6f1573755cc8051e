"""Citation lineage against a hand-made gold (benchmarks/data/citations-gold.json).

    .venv/bin/python -m benchmarks.citations_eval --build DIR [--gold FILE] [--json] [--misses]

Reports reference parsing F1 (an entry is right when its author surnames, its year with suffix and
the start of its title agree), in-text detection F1 (first author or body, year with suffix, key),
in-text → reference resolution accuracy (in documents with a list: the entry resolved, or none,
agrees with the gold), and "who cites this work" checks (the sources citing a work; where the gold
says renderings must merge, exactly one work may answer). Only the documents a gold lists are scored; a
document's citations may be scoped to the text before or from a phrase ({"until" or "from": "...", "author_year": [...]}).
Acts cited by short title and year ("the Children Act 1989", kind "legislation") and works cited by
their title and year ("Every Child Matters (2003)", kind "title") are outside the golds' scope (they
list author or body + year and keyed citations only) and are counted apart: found, and resolved to a
list entry.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from kg.citations.names import fold, surname_key
from kg.citations.works import _name_matches

GOLD = Path(__file__).resolve().parent / "data" / "citations-gold.json"


def _load(build: Path) -> dict:
    for path in (build / "current" / "citations.json", build / "citations.json"):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    raise SystemExit(f"{build} holds no citations.json (build it with `ckg build --out {build}`)")


def _scope_offset(build: Path | None, sid: str, phrase: str | None) -> int | None:
    """Offset in the built text of a phrase, where a gold covers only the part of a document before ("until") or from it ("from")."""
    if not phrase or build is None:
        return None
    for path in (build / "current" / "documents" / f"{sid}.json", build / "documents" / f"{sid}.json"):
        if path.exists():
            text = json.loads(path.read_text(encoding="utf-8"))["text"]
            match = re.search(r"\s+".join(map(re.escape, phrase.split())), text)
            if match is None:
                raise SystemExit(f"gold scope phrase {phrase!r} not found in {path}")
            return match.start()
    raise SystemExit(f"{build} holds no documents/{sid}.json to scope the gold of {sid}")


def _title_ok(gold: str, predicted: str) -> bool:
    g, p = fold(gold).split(), fold(predicted).split()
    n = min(4, len(g))
    return [w.strip(".,:;?") for w in g[:n]] == [w.strip(".,:;?") for w in p[:n]]


def _ref_ok(gold: list, ref: dict) -> bool:
    surnames, year, title, key = gold
    if [surname_key(s) for s in surnames] != [surname_key(s).removesuffix("the") for s in ref["surnames"]] and \
            [surname_key(s) for s in surnames] != [surname_key(s.replace(", The", "")) for s in ref["surnames"]]:
        return False
    return year == (ref["year"] + ref["year_suffix"]) and _title_ok(title, ref["title"]) and key == (ref.get("key") or "")


def _f1(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_gold if n_gold else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "predicted": n_pred, "gold": n_gold}


def _cite_key(first: str, year: str, key: str) -> tuple:
    return (surname_key(first), year, key)


def evaluate(data: dict, gold: dict, misses: list | None = None, build: Path | None = None) -> dict:
    misses = misses if misses is not None else []
    # references
    tp = n_pred = n_gold = 0
    for sid, entries in gold["references"].items():
        predicted = list(data["sources"].get(sid, {}).get("references", []))
        n_pred += len(predicted)
        n_gold += len(entries)
        for entry in entries:
            hit = next((r for r in predicted if _ref_ok(entry, r)), None)
            if hit is not None:
                tp += 1
                predicted.remove(hit)
            else:
                misses.append(("reference missed", sid, entry))
        misses.extend(("reference spurious", sid, r["raw"][:90]) for r in predicted)
    references = _f1(tp, n_pred, n_gold)

    # in-text detection and resolution
    legislation = {"found": 0, "resolved": 0}
    by_title = {"found": 0, "resolved": 0}
    tp = n_pred = n_gold = 0
    resolved_ok = resolved_n = 0
    for sid, items in gold["citations"].items():
        doc = data["sources"].get(sid, {"references": [], "citations": []})
        refs = doc["references"]
        if isinstance(items, dict):
            rows = [[None, "", "", k, k] for k in items.get("keyed", "").split()] + items["author_year"]
        else:
            rows = items
        # a gold may cover only the part of a document before ("until") or from ("from") a phrase
        end = _scope_offset(build, sid, items.get("until") if isinstance(items, dict) else None)
        begin = _scope_offset(build, sid, items.get("from") if isinstance(items, dict) else None)
        scoped = [c for c in doc["citations"] if (end is None or c["start"] < end) and (begin is None or c["start"] >= begin)]
        acts = [c for c in scoped if c["kind"] == "legislation"]
        legislation["found"] += len(acts)
        legislation["resolved"] += sum(c.get("reference") is not None for c in acts)
        titled = [c for c in scoped if c["kind"] == "title"]
        by_title["found"] += len(titled)
        by_title["resolved"] += sum(c.get("reference") is not None for c in titled)
        predicted = [(_cite_key(c["surnames"][0] if c["surnames"] else "", c["year"] + c["year_suffix"], c["key"]), c)
                     for c in scoped if c["kind"] not in ("legislation", "title")]
        gold_keys = [(_cite_key(r[0] or "", r[1], r[3]), r) for r in rows]
        n_pred += len(predicted)
        n_gold += len(gold_keys)
        pool = Counter(k for k, _ in predicted)
        queues: dict[tuple, list] = {}
        for k, c in predicted:
            queues.setdefault(k, []).append(c)
        for k, row in gold_keys:
            if pool[k] > 0:
                pool[k] -= 1
                tp += 1
                citation = queues[k].pop(0)
                if refs:
                    resolved_n += 1
                    target = row[4]
                    got = citation.get("reference")
                    if got is None:
                        ok = target == ""
                        label = ""
                    else:
                        ref = refs[got]
                        label = ref["key"] if ref.get("key") else f"{ref['surnames'][0] if ref['surnames'] else ''}|{ref['year']}{ref['year_suffix']}"
                        ok = bool(target) and (label == target or (
                            "|" in target and "|" in label and surname_key(label.split("|")[0].replace(", The", "")) ==
                            surname_key(target.split("|")[0]) and label.split("|")[1] == target.split("|")[1]))
                    resolved_ok += ok
                    if not ok:
                        misses.append(("resolution", sid, row, label))
            else:
                misses.append(("citation missed", sid, row))
        for k, n in pool.items():
            if n > 0:
                misses.extend(("citation spurious", sid, c["surface"]) for c in queues[k][-n:])
    detection = _f1(tp, n_pred, n_gold)
    resolution = {"accuracy": round(resolved_ok / resolved_n, 4) if resolved_n else 1.0, "right": resolved_ok, "checked": resolved_n}

    # who cites
    right = 0
    works = list(data["works"].values())
    checks = gold.get("who_cites") or []
    for check in checks:
        year = check["year"]
        candidates = [w for w in works if w["surnames"] and w["year"] == year.rstrip("abc") and
                      (_name_matches(check["first"], w["surnames"][0], w["corporate"]) or
                       surname_key(check["first"]) == surname_key(w["surnames"][0].replace(", The", "")))]
        if check["title"]:
            titled = [w for w in candidates if _title_ok(check["title"], w["title"])]
            candidates = titled
        sources = sorted({c["source_id"] for w in candidates for c in w["cited_by"]})
        ok = bool(candidates) and sources == sorted(check["cited_by"]) and (not check.get("merged") or len(candidates) == 1)
        right += ok
        if not ok:
            misses.append(("who cites", check, [w["id"] for w in candidates], sources))
    who = {"right": right, "checks": len(checks), "share": round(right / len(checks), 4) if checks else None}
    return {"references": references, "in_text_detection": detection, "resolution": resolution, "who_cites": who,
            "legislation": legislation, "by_title": by_title}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, required=True, help="a build directory (or a release directory)")
    parser.add_argument("--gold", type=Path, default=GOLD,
                        help="a gold in the same format; only the documents it lists are scored (default: %(default)s)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    gold = json.loads(args.gold.read_text(encoding="utf-8"))
    misses: list = []
    result = evaluate(_load(args.build), gold, misses, args.build)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        r, d, s, w = result["references"], result["in_text_detection"], result["resolution"], result["who_cites"]
        print(f"reference parsing   F1 {r['f1']:.3f}  (P {r['precision']:.3f} R {r['recall']:.3f}; {r['tp']}/{r['gold']} gold, {r['predicted']} predicted)")
        print(f"in-text detection   F1 {d['f1']:.3f}  (P {d['precision']:.3f} R {d['recall']:.3f}; {d['tp']}/{d['gold']} gold, {d['predicted']} predicted)")
        print(f"resolution          accuracy {s['accuracy']:.3f}  ({s['right']}/{s['checked']})")
        print(f"who cites           {w['right']}/{w['checks']} = {w['share']:.1%}" if w["checks"] else "who cites           (no checks in this gold)")
        acts = result["legislation"]
        print(f"acts by title       {acts['found']} found, {acts['resolved']} resolved to a list entry (not in the gold's scope)")
        titled = result["by_title"]
        print(f"works by title      {titled['found']} found, {titled['resolved']} resolved to a list entry (not in the gold's scope)")
    if args.misses:
        for miss in misses:
            print("  -", *miss, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
