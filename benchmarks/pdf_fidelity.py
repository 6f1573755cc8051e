#!/usr/bin/env python3
"""PDF fidelity: how well `ckg passages` turns rendered PDFs back into clean passages.

Runs `ckg passages PDF --json` (the ckg next to sys.executable) on every rendering made by
scripts/render_pdfs.py and compares the passages with the rendering's ground truth
(<stem>-<layout>.truth.json beside each PDF):

  snippets  the gold snippets of the queries whose "source" is the rendered seed, counted as
            found when one passage's text contains the snippet after the scorer's match_form;
            target >= 97 %. (1500: the same, reading only a passage's first 1500 characters,
            as score.py does.)
  furn      passages whose text or heading contains a running-header or footer string
  pgnum     page numbers left in passages: a number that is one of the rendering's page labels
            (or physical page numbers) and reads on into neither its left nor its right context
            (18 characters) as the document's text does
  pages     paragraphs (those whose first 40 match_form characters occur once in the document)
            whose start is found in a passage with the right page: exact when the paragraph
            opens the passage, else within [passage page, page_end or the next passage's page
            (the last page for the last passage)].
            When the start is not in any passage, 40 characters from the 8th or 16th are tried
            (an extractor may rewrite a leading marker); a heading may be found in the heading
            field. nofind counts paragraphs found nowhere.
  label     of those, how many passages also carry the printed page label (information only)

match_form is imported from score.py in the folder of the --queries file, never copied, and the
gold snippets are read from that file at run time only.

Usage:
  python benchmarks/pdf_fidelity.py --queries ../shared/eval/queries-dev.json
        [--renderings tests/data/renderings] [--only 001] [--jobs 2] [--json out.json] [-v]
  --fake truth   use the truth paragraphs as passages (checks the benchmark: all should pass)
  --fake pages   use pdfminer's text of each whole page as a passage (a naive extractor: the
                 furniture and page-number checks must fire)
Exit status is 0, or 1 with --strict when a rendering misses a target.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPET_TARGET = 0.97
PAGE_TARGET = 0.99
JUDGED_CHARS = 1500
KEY_CHARS = 40


def load_match_form(queries: Path):
    sys.path.insert(0, str(queries.resolve().parent))
    try:
        from score import match_form  # noqa: WPS433 - the scorer's own normalisation
    finally:
        sys.path.pop(0)
    return match_form


def find_ckg(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(sys.executable).parent / "ckg"


# ------------------------------------------------------------------------------------------------
# getting passages
# ------------------------------------------------------------------------------------------------

def run_ckg(ckg: Path, pdf: Path, timeout: int) -> tuple[list[dict], str | None, float]:
    t0 = time.monotonic()
    try:
        proc = subprocess.run([str(ckg), "passages", str(pdf), "--json"], capture_output=True,
                              text=True, timeout=timeout)
    except FileNotFoundError:
        return [], f"{ckg} not found", 0.0
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout}s", time.monotonic() - t0
    dt = time.monotonic() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return [], f"exit {proc.returncode}: " + " | ".join(tail), dt
    passages, bad = [], 0
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            passages.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    err = f"{bad} unparsable JSON lines" if bad and not passages else None
    return passages, err, dt


def fake_truth(truth: dict) -> list[dict]:
    return [{"passage_id": i, "page": ln["page"], "page_label": truth["page_labels"][ln["page"] - 1],
             "heading": None, "text": ln["full"]} for i, ln in enumerate(truth["lines"])]


def fake_pages(pdf: Path) -> list[dict]:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    with open(pdf, "rb") as fh:
        n = sum(1 for _ in PDFPage.create_pages(PDFDocument(PDFParser(fh))))
    return [{"passage_id": i, "page": i + 1, "page_label": None, "heading": None,
             "text": extract_text(str(pdf), page_numbers=[i])} for i in range(n)]


# ------------------------------------------------------------------------------------------------
# measuring
# ------------------------------------------------------------------------------------------------

def loose(text: str) -> str:
    """match_form text without bullet glyphs (the truth has none: bullets are drawn apart)."""
    return re.sub(r"\s+", " ", re.sub(r"\(cid:\d+\)|[•◦▪●·\u2023\u2043\ufffd]", " ", text)).strip()


def evaluate(truth: dict, passages: list[dict], golds: list[tuple[str, int, str]], mf) -> dict:
    doc_mf = mf(" ".join(ln["full"] for ln in truth["lines"]))
    doc_loose = loose(doc_mf)
    texts = [str(p.get("text") or "") for p in passages]
    texts_mf = [mf(t) for t in texts]
    heads_mf = [mf(str(p.get("heading") or "")) for p in passages]
    judged_mf = [mf(t[:JUDGED_CHARS]) for t in texts]
    res: dict = {"passages": len(passages)}

    # (i) gold snippets inside one passage
    snip = {"n": 0, "in_doc": 0, "in_passage": 0, "in_1500": 0, "missed": []}
    for qid, k, g in golds:
        m = mf(g)
        snip["n"] += 1
        snip["in_doc"] += m in doc_mf
        if any(m in t for t in texts_mf):
            snip["in_passage"] += 1
            snip["in_1500"] += any(m in t for t in judged_mf)
        else:
            snip["missed"].append(f"{qid}#{k}")   # a reference, never the snippet's text
    res["snippets"] = snip

    # (ii) furniture and page numbers inside passages
    furniture = [mf(s) for s in truth["header_texts"] + truth["footer_texts"] if mf(s)]
    furn = []
    for i, (t, h) in enumerate(zip(texts_mf, heads_mf)):
        hit = [s for s in furniture if s in t or s in h]
        if hit:
            furn.append({"passage": i, "found": hit})
    labels = {str(x) for x in truth["page_labels"]} | {str(n) for n in range(1, truth["pages"] + 1)}
    stray = []
    for i, t in enumerate(texts):
        flat = re.sub(r"\s+", " ", t)
        for m in re.finditer(r"(?<![\w.,/-])(\d{1,4})(?![\w/]|[.,]\d)", flat):
            if m.group(1) not in labels:
                continue
            left, right = flat[max(0, m.start() - 18):m.start()], flat[m.end():m.end() + 18]
            # the number is text when it reads on into its left or its right context as in the document
            sides = [loose(mf(left + m.group(1))), loose(mf(m.group(1) + right))]
            evidence = [p for p, ctx in zip(sides, (left, right)) if len(ctx.strip()) >= 4]
            if not any(p in doc_loose for p in evidence):
                stray.append({"passage": i, "number": m.group(1),
                              "context": flat[max(0, m.start() - 30):m.end() + 30]})
    res["furniture"], res["stray_numbers"] = furn, stray

    # (iii) pages of paragraph starts
    pg = {"checked": 0, "ok": 0, "not_found": 0, "label_ok": 0, "wrong": []}
    for ln in truth["lines"]:
        full = mf(ln["full"])
        keys = [(off, full[off:off + KEY_CHARS]) for off in (0, 8, 16) if off == 0 or len(full) >= off + 24]
        keys = [(off, k) for off, k in keys if len(k) >= 12 and doc_mf.count(k) == 1]
        if not keys:
            continue
        pg["checked"] += 1
        # the paragraph's start, or (if the extractor rewrote its first characters) a little later
        holders, off, key = [], 0, keys[0][1]
        for off, key in keys:
            holders = [i for i, t in enumerate(texts_mf) if key in t]
            if holders:
                break
        opens = {i: texts_mf[i].find(key) <= off + 2 for i in holders}
        if not holders and ln.get("kind") == "heading":   # a heading kept only in the heading field
            off, key = keys[0]
            holders = [i for i, h in enumerate(heads_mf) if key in h][:1]
            opens = {i: True for i in holders}
        if not holders:
            pg["not_found"] += 1
            pg["wrong"].append({"truth": ln["page"], "got": None, "text": ln["text"]})
            continue
        got, ok, label_ok = [], False, False
        for i in holders:
            p = passages[i]
            start = p.get("page")
            if not isinstance(start, int):
                got.append(start)
                continue
            if opens[i]:
                lo = hi = start
            else:
                lo = start
                hi = p.get("page_end") or p.get("end_page")
                if not isinstance(hi, int):
                    nxt = next((passages[j].get("page") for j in range(i + 1, len(passages))
                                if isinstance(passages[j].get("page"), int)), truth["pages"])
                    hi = nxt if isinstance(nxt, int) and nxt >= start else start
            got.append(start if lo == hi else f"{lo}-{hi}")
            if lo <= ln["page"] <= hi:
                ok = True
                if lo == hi and str(p.get("page_label")) == str(truth["page_labels"][ln["page"] - 1]):
                    label_ok = True
        pg["ok"] += ok
        pg["label_ok"] += label_ok
        if not ok:
            pg["wrong"].append({"truth": ln["page"], "got": got, "text": ln["text"]})
    res["pages"] = pg
    return res


def rate(a: int, b: int) -> float | None:
    return a / b if b else None


def fmt_rate(a: int, b: int) -> str:
    return f"{a:3d}/{b:<3d} {100 * a / b:5.1f}%" if b else f"{a:3d}/{b:<3d}    - "


def passed(r: dict) -> bool:
    s, p = r["snippets"], r["pages"]
    return (not r.get("error") and (rate(s["in_passage"], s["n"]) or 1.0) >= SNIPPET_TARGET
            and not r["furniture"] and not r["stray_numbers"]
            and (rate(p["ok"], p["checked"]) or 1.0) >= PAGE_TARGET)


def print_table(rows: list[tuple[str, dict]], verbose: bool, gold_text: dict[str, str]) -> None:
    head = (f"{'rendering':30s} {'pass':>5s} {'psg':>4s} {'snippets ≥97%':>16s} {'1500':>7s} "
            f"{'furn':>4s} {'pgnum':>5s} {'pages ≥99%':>16s} {'nofind':>6s} {'label':>6s} {'sec':>5s}")
    print(head)
    print("-" * len(head))
    tot = {"n": 0, "in_passage": 0, "in_1500": 0, "furn": 0, "stray": 0, "checked": 0, "ok": 0,
           "not_found": 0, "label_ok": 0, "psg": 0, "sec": 0.0, "pass": 0}
    for name, r in rows:
        if r.get("error") and not r.get("passages"):
            print(f"{name:30s} {'FAIL':>5s}  error: {r['error']}")
            continue
        s, p = r["snippets"], r["pages"]
        ok = passed(r)
        tot["pass"] += ok
        for k in ("n", "in_passage", "in_1500"):
            tot[k] += s[k]
        for k in ("checked", "ok", "not_found", "label_ok"):
            tot[k] += p[k]
        tot["furn"] += len(r["furniture"])
        tot["stray"] += len(r["stray_numbers"])
        tot["psg"] += r["passages"]
        tot["sec"] += r.get("seconds", 0.0)
        print(f"{name:30s} {'ok' if ok else 'FAIL':>5s} {r['passages']:4d} {fmt_rate(s['in_passage'], s['n']):>16s} "
              f"{s['in_1500']:3d}/{s['n']:<3d} {len(r['furniture']):4d} {len(r['stray_numbers']):5d} "
              f"{fmt_rate(p['ok'], p['checked']):>16s} {p['not_found']:6d} {p['label_ok']:6d} "
              f"{r.get('seconds', 0.0):5.1f}")
    print("-" * len(head))
    print(f"{'overall (' + str(tot['pass']) + '/' + str(len(rows)) + ' pass)':30s} {'':>5s} {tot['psg']:4d} "
          f"{fmt_rate(tot['in_passage'], tot['n']):>16s} {tot['in_1500']:3d}/{tot['n']:<3d} {tot['furn']:4d} "
          f"{tot['stray']:5d} {fmt_rate(tot['ok'], tot['checked']):>16s} {tot['not_found']:6d} "
          f"{tot['label_ok']:6d} {tot['sec']:5.1f}")
    if not verbose:
        return
    for name, r in rows:
        if r.get("error"):
            print(f"\n{name}: error: {r['error']}")
        if not r.get("snippets"):
            continue
        lines = []
        for ref in r["snippets"]["missed"]:
            lines.append(f"  snippet {ref} not in one passage: {gold_text.get(ref, '')[:90]!r}")
        for f in r["furniture"][:5]:
            lines.append(f"  furniture in passage {f['passage']}: {f['found']}")
        for s in r["stray_numbers"][:5]:
            lines.append(f"  page number {s['number']} in passage {s['passage']}: …{s['context']}…")
        for w in r["pages"]["wrong"][:8]:
            lines.append(f"  page: truth {w['truth']} got {w['got']}: {w['text'][:50]!r}")
        if lines:
            print(f"\n{name}:")
            print("\n".join(lines))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", required=True, help="queries file; its folder's score.py gives match_form")
    ap.add_argument("--renderings", default=str(ROOT / "tests" / "data" / "renderings"))
    ap.add_argument("--ckg", help="ckg executable (default: the one next to sys.executable)")
    ap.add_argument("--only", help="only renderings whose file name contains this")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per PDF")
    ap.add_argument("--fake", choices=["truth", "pages"], help="benchmark self-checks instead of ckg")
    ap.add_argument("--json", help="also write the full results here")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a rendering misses a target")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses, leaks and wrong pages")
    a = ap.parse_args(argv)

    queries = Path(a.queries)
    mf = load_match_form(queries)
    golds_by_source: dict[str, list[tuple[str, int, str]]] = {}
    gold_text: dict[str, str] = {}
    for q in json.loads(queries.read_text(encoding="utf-8")):
        for k, g in enumerate(q.get("gold", [])):
            golds_by_source.setdefault(q.get("source", ""), []).append((q["id"], k, g))
            gold_text[f"{q['id']}#{k}"] = g

    truths = sorted(Path(a.renderings).glob("*.truth.json"))
    if a.only:
        truths = [t for t in truths if a.only in t.name]
    if not truths:
        print(f"no renderings in {a.renderings}: run scripts/render_pdfs.py first", file=sys.stderr)
        return 2
    ckg = find_ckg(a.ckg)
    if not a.fake and not ckg.exists():
        print(f"{ckg} does not exist", file=sys.stderr)
        return 2

    def one(tpath: Path) -> tuple[str, dict]:
        truth = json.loads(tpath.read_text(encoding="utf-8"))
        pdf = tpath.with_name(tpath.name.replace(".truth.json", ".pdf"))
        t0 = time.monotonic()
        err = None
        if a.fake == "truth":
            passages = fake_truth(truth)
        elif a.fake == "pages":
            passages = fake_pages(pdf)
        else:
            passages, err, _ = run_ckg(ckg, pdf, a.timeout)
        dt = time.monotonic() - t0
        res = evaluate(truth, passages, golds_by_source.get(truth["source"], []), mf)
        res.update(seconds=dt, error=err)
        if not passages and not err:
            res["error"] = "no passages"
        return pdf.name[:-4], res

    with cf.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        rows = list(pool.map(one, truths))
    print_table(rows, a.verbose, gold_text)
    if a.json:
        Path(a.json).write_text(json.dumps(dict(rows), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 1 if a.strict and not all(passed(r) for _, r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
