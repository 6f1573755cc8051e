"""Quote extraction measured against a hand-made gold list (benchmarks/data/quotes-gold.json).

    python -m benchmarks.quotes_eval --build DIR [--gold FILE] [--fresh] [--tolerance 5] [--json]

A found quote matches a gold quote of the same source when its first and last words are each
within ``--tolerance`` words of the gold's. Reports participant recall and precision, role
accuracy on matched participant quotes, literature quotes mistaken for participant quotes, and
lists the misses and false positives. ``--fresh`` runs the current extractor (kg/quotes.py) on the
build's cleaned documents instead of reading the build's quotes.json, so the extractor can be
measured without rebuilding.
"""
from __future__ import annotations

import argparse
import bisect
import json
import re
import sys
from pathlib import Path
from typing import Any

from kg.library import Library
from kg.quotes import credit_cited_works, find_quotes

GOLD = Path(__file__).resolve().parent / "data" / "quotes-gold.json"
_WORD_RE = re.compile(r"\w+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def _pattern(phrase: str) -> re.Pattern[str]:
    """The gold phrase as a regex: straight apostrophes match curly ones, any whitespace between words."""
    words = phrase.translate(_APOSTROPHES).split()
    return re.compile(r"\s+".join(re.escape(w) for w in words))


def locate(text: str, start: str, end: str, every: bool = False) -> list[tuple[int, int]]:
    """Character spans of a gold quote: its start phrase, then the first end phrase at or after it;
    the first occurrence only, or ``every`` one (a reported phrase the document repeats)."""
    plain = text.translate(_APOSTROPHES)
    spans = []
    for first in _pattern(start).finditer(plain):
        last = _pattern(end).search(plain, first.start())
        if last:
            spans.append((first.start(), last.end()))
        if not every:
            break
    return spans


class Words:
    """Character offset → index of the word at or after it, for one document."""

    def __init__(self, text: str):
        self.starts = [m.start() for m in _WORD_RE.finditer(text)]
        self.ends = [m.end() for m in _WORD_RE.finditer(text)]

    def first(self, offset: int) -> int:
        return bisect.bisect_left(self.ends, offset + 1)

    def last(self, offset: int) -> int:
        return bisect.bisect_left(self.starts, offset) - 1


def evaluate(library: Library, gold: list[dict[str, Any]], fresh: bool = False, tolerance: int = 5) -> dict[str, Any]:
    sources = {s["id"]: s for s in library.sources()}
    if fresh:
        quotes = []
        for source_id, source in sources.items():
            document = library.document(source_id)
            slides = document.get("layout") == "slides" or source.get("type") == "presentation slides"
            found = find_quotes(document["text"], source_id, library.passages(source_id), document.get("pages"), slides=slides)
            credit_cited_works(found, {source_id: library.citations(source_id) or []})    # as the build does
            quotes += [q.to_dict() for q in found]
    else:
        quotes = library.quotes()
    words = {sid: Words(library.document(sid)["text"]) for sid in sources}
    unlocated = []
    spans: list[tuple[dict[str, Any], int, int]] = []
    for item in gold:
        document = library.document(item["source"])
        found = locate(document["text"], item["start"], item["end"], every=item["kind"] == "ambiguous") if document else []
        if not found:
            unlocated.append(item)
        w = words.get(item["source"])
        spans += [(item, w.first(a), w.last(b)) for a, b in found]

    # one-to-one matching, closest pairs first
    pairs = []
    for qi, quote in enumerate(quotes):
        w = words[quote["source_id"]]
        qs, qe = w.first(quote["start"]), w.last(quote["end"])
        for gi, (item, gs, ge) in enumerate(spans):
            if item["source"] == quote["source_id"] and abs(qs - gs) <= tolerance and abs(qe - ge) <= tolerance:
                pairs.append((abs(qs - gs) + abs(qe - ge), qi, gi))
    matched_quote: dict[int, int] = {}
    matched_gold: dict[int, int] = {}
    for _, qi, gi in sorted(pairs):
        if qi not in matched_quote and gi not in matched_gold:
            matched_quote[qi], matched_gold[gi] = gi, qi

    participants = [i for i, (item, _, _) in enumerate(spans) if item["kind"] == "participant"]
    literature = [i for i, (item, _, _) in enumerate(spans) if item["kind"] == "literature"]
    found = [qi for qi, q in enumerate(quotes) if q["kind"] == "participant"]
    hits = [gi for gi in participants if gi in matched_gold and quotes[matched_gold[gi]]["kind"] == "participant"]
    as_literature = [gi for gi in participants if gi in matched_gold and quotes[matched_gold[gi]]["kind"] != "participant"]
    ambiguous = [qi for qi in found if qi in matched_quote and spans[matched_quote[qi]][0]["kind"] == "ambiguous"]
    mistaken = [qi for qi in found if qi in matched_quote and spans[matched_quote[qi]][0]["kind"] == "literature"]
    false_positives = [qi for qi in found if qi not in matched_quote or spans[matched_quote[qi]][0]["kind"] == "literature"]
    right_role, wrong_role = [], []
    for gi in hits:
        item = spans[gi][0]
        role = quotes[matched_gold[gi]].get("speaker_role")
        (right_role if role in [item["role"], *item.get("alt_roles", [])] else wrong_role).append(gi)
    literature_found = [gi for gi in literature if gi in matched_gold and quotes[matched_gold[gi]]["kind"] == "literature"]

    # a found literature quote credits the work the gold names, when the gold names a work by its year
    # ("Dartington Social Research Unit (2004)"), not by a description ("programme definition")
    dated = [gi for gi in literature_found if re.search(r"\d{4}", spans[gi][0].get("cited") or "")]

    def first_name(cited: str) -> str:
        return (re.findall(r"[^\W\d_]+", cited) or [""])[0].casefold()

    credited_right = [gi for gi in dated if first_name(spans[gi][0]["cited"])
                      in (quotes[matched_gold[gi]].get("cited") or "").casefold()]

    def show_gold(gi: int) -> dict[str, Any]:
        item = spans[gi][0]
        return {"source": item["source"], "start": item["start"], "end": item["end"], "role": item.get("role")}

    def show_quote(qi: int) -> dict[str, Any]:
        q = quotes[qi]
        text = " ".join(q["text"].split())
        return {"source": q["source_id"], "text": text if len(text) < 160 else text[:90] + " … " + text[-60:],
                "speaker": q.get("speaker"), "role": q.get("speaker_role")}

    judged = len(found) - len(ambiguous)
    return {
        "gold_participant": len(participants),
        "gold_literature": len(literature),
        "found_participant": len(found),
        "recall": len(hits) / len(participants) if participants else 0.0,
        "precision": (judged - len(false_positives)) / judged if judged else 0.0,
        "role_accuracy": len(right_role) / len(hits) if hits else 0.0,
        "literature_as_participant": len(mistaken),
        "literature_recall": len(literature_found) / len(literature) if literature else 0.0,
        "literature_credited": len(credited_right) / len(dated) if dated else 0.0,
        "literature_uncredited": [dict(show_gold(gi), cited=spans[gi][0]["cited"], found=quotes[matched_gold[gi]].get("cited"))
                                  for gi in dated if gi not in credited_right],
        "misses": [show_gold(gi) for gi in participants if gi not in hits],
        "participant_found_as_literature": [show_gold(gi) for gi in as_literature],
        "false_positives": [show_quote(qi) for qi in false_positives],
        "wrong_roles": [dict(show_gold(gi), found=quotes[matched_gold[gi]].get("speaker_role"),
                             speaker=quotes[matched_gold[gi]].get("speaker")) for gi in wrong_role],
        "unlocated_gold": [{"source": g["source"], "start": g["start"], "end": g["end"]} for g in unlocated],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="a build directory (`ckg build --out DIR`) or a release directory")
    parser.add_argument("--gold", default=str(GOLD), help="the gold list (default: %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="re-run the current extractor on the build's documents")
    parser.add_argument("--tolerance", type=int, default=5, help="words a found start or end may be off (default 5)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    gold_path = Path(args.gold)
    try:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))["quotes"]
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"--gold {gold_path}: cannot read a gold list ({exc})")
    report = evaluate(Library(args.build), gold, fresh=args.fresh, tolerance=args.tolerance)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print(f"participant quotes: gold {report['gold_participant']}, found {report['found_participant']}")
    print(f"recall {report['recall']:.3f}  precision {report['precision']:.3f}  role accuracy {report['role_accuracy']:.3f}  "
          f"literature as participant {report['literature_as_participant']}  literature recall {report['literature_recall']:.3f}  "
          f"literature credited to the gold's work {report['literature_credited']:.3f}")
    for name in ("misses", "participant_found_as_literature", "false_positives", "wrong_roles", "literature_uncredited",
                 "unlocated_gold"):
        if report[name]:
            print(f"\n{name} ({len(report[name])}):")
            for row in report[name]:
                print("  " + json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
