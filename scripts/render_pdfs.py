#!/usr/bin/env python3
"""Render the seed texts as PDFs with known layouts and ground truth (a dev tool).

The seeds in shared/seeds/ are text extracted from PDFs: wrapped lines, line-break hyphens,
blank lines between wrapped lines, broken bullet glyphs, some markdown. This script recovers
paragraphs with its own simple cleaning, then typesets each document in several layouts with
reportlab and records, for every paragraph, the physical page on which its first line is drawn
(each paragraph, or the first part of a split paragraph, notes the canvas page when it is drawn,
so the page is the one reportlab actually drew it on).

Layouts:
  a  one column, A4, justified and hyphenated; running header on every page but the first
     (short title left, author right, with a rule) and a footer (series text left, page number right)
  b  two columns, A4, justified and hyphenated; journal-style running header from page 2
     (even pages: page number + journal name on the left; odd pages: short title + page number
     on the right); page 1 has its printed number at the bottom centre; printed numbers start
     at 45 and no /PageLabels are set (printed labels differ from physical pages)
  c  one column, Letter, ragged right, no header, printed page number at the bottom centre,
     starting at 23, with PDF /PageLabels set to match (first page labelled "23")
  d  two columns, A4, ragged right, not hyphenated; one running header line on every page
     ("short title | page number", centred) and a footer line (rights text), numbers from 1

Output, per seed and layout, in tests/data/renderings/:
  <stem>-<layout>.pdf
  <stem>-<layout>.truth.json  {"source": seed file, "layout": x, "pages": N,
                               "header_texts": [...], "footer_texts": [...],
                               "page_labels": [...], "pdf_page_labels": bool,
                               "headers_by_page": [[...], ...],
                               "lines": [{"page": p, "text": first 60 chars, "kind": k,
                                          "full": whole paragraph text}, ...]}
  header_texts / footer_texts hold the fixed furniture strings (page numbers are in page_labels);
  "text" and "full" are the paragraph's text without the hyphens added at line ends.

Needs reportlab and pyphen (dev only, not in pyproject):
  .venv/bin/pip install reportlab pyphen
and the DejaVu fonts (Debian: fonts-dejavu-core) for the curly quotes, dashes and ellipses.

Cleaning (class Cleaner): running heads of the source (short lines repeated 3+ times before
blank runs) and lone page numbers are dropped; lines are joined into paragraphs, breaking at
whitespace-only separator lines (when the text uses them), at runs of blank lines, before bullets
and numbered items, after short lines that end a sentence, and around headings (in double-spaced
text: short unpunctuated lines glued to the next line); "Figure N." captions that interrupt a
paragraph are moved after it; a paragraph cut by a page break (the next starts in lower case) is
rejoined. A word split by a line-break hyphen is rejoined when the whole word occurs elsewhere in
the text or pyphen has a break there, and keeps its hyphen when written so elsewhere or when it
looks like a compound. Markdown ** * <u> is turned into bold/italic/underline.

The PDFs are reproducible (reportlab's invariant mode): re-running gives identical files.

Usage:
  .venv/bin/python scripts/render_pdfs.py [--seeds ../shared/seeds] [--out tests/data/renderings]
                                          [--layouts a,b,c,d] [--only STEM] [--dump]
  --dump prints the cleaned paragraphs with their kinds instead of rendering.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import sys
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

try:
    import pyphen
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph
    from reportlab.lib.fonts import addMapping
except ImportError as exc:  # pragma: no cover - dev tool
    sys.exit(f"render_pdfs.py needs reportlab and pyphen: .venv/bin/pip install reportlab pyphen ({exc})")

ROOT = Path(__file__).resolve().parent.parent
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]

# Running-header strings per seed: invented, and checked at run time not to occur in the body,
# so that any occurrence inside a passage is leakage.
META = {
    "000_72bd2051d5980bda": ("A cultural-historical view of resilience", "A. Edwards"),
    "001_400d1972066010d1": ("Prevention in six Children’s Fund partnerships", "NECF report series"),
    "002_75ab2c940f341aa8": ("Collaborative agency: a practitioner workshop", "Slides and handout"),
    "003_c37945f982ca0d4e": ("Education and social work: benefits and tensions", "M. Jopling and S. Vincent"),
    "004_73f4a3d735f3d3c3": ("REF2014 case study: co-constructing collaboration", "University of Oxford, UoA 25"),
}
JOURNAL = "Journal of Interagency Practice, Vol. 3, No. 2"
FOOTER_A = "Working paper series — draft for discussion"
FOOTER_D = "© 2024 The authors. Reproduced for testing only."

# ----------------------------------------------------------------------------------------------
# cleaning
# ----------------------------------------------------------------------------------------------

BULLET_GLYPH = re.compile(r"^(?:\ufffd\u0192|\ufffd|\u2022|\u25aa|\u25cf|\u0192|\uf0b7|\uf0a7)\s*")
DASH_BULLET = re.compile(r"^-\s+")
ENUM = re.compile(r"^(?:\(?[a-z]\)|\(?[ivx]{1,4}\)|\d{1,2}(?:\.\d{1,2})*\.?\s|\[[^\]\s]{1,6}\]\s|Level (?:One|Two|Three|Four):)")
TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
WORD = re.compile(r"[A-Za-z]+")
COMPOUND_PREFIXES = {"co", "multi", "socio", "non", "self", "cross", "well", "anti", "semi", "inter", "intra",
                     "post", "pre", "sub", "long", "short", "high", "low", "child", "family", "user"}


def strip_markdown(s: str) -> tuple[str, str]:
    """Return (plain text, reportlab markup) for one paragraph."""
    s = re.sub(r"<(https?://[^>\s]+)>", r"\1", s)
    s = s.replace("\\$", "$").replace("\\*", "\x00")
    markup = escape(s)
    markup = re.sub(r"&lt;u&gt;(.*?)&lt;/u&gt;", r"<u>\1</u>", markup)
    markup = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", markup)
    markup = re.sub(r"(?<![\w*])\*(?![\s*])([^*]+?)(?<![\s*])\*", r"<i>\1</i>", markup)
    plain = re.sub(r"</?u>", "", s)
    plain = re.sub(r"\*\*(.+?)\*\*", r"\1", plain)
    plain = re.sub(r"(?<![\w*])\*(?![\s*])([^*]+?)(?<![\s*])\*", r"\1", plain)
    return plain.replace("\x00", "*"), markup.replace("\x00", "*")


class Cleaner:
    """Recover paragraphs from PDF-extracted text (one seed)."""

    def __init__(self, text: str):
        self.raw = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\f", "\n"))
        self.hy = pyphen.Pyphen(lang="en_GB")
        words = collections.Counter(w.lower() for w in WORD.findall(re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", self.raw)))
        self.words = words
        self.hyphened = collections.Counter(m.lower() for m in re.findall(r"[A-Za-z]+-[A-Za-z]+", self.raw))

    # -- line level ------------------------------------------------------------------------
    def join_hyphen(self, left: str, right: str) -> str:
        """left ends with 'x-', right starts a word: decide between 'xy' and 'x-y'."""
        a = re.search(r"([A-Za-z]+)-$", left)
        b = re.match(r"([A-Za-z]+)", right)
        if not a or not b:
            return left + right
        wa, wb = a.group(1), b.group(1)
        joined, dashed = (wa + wb).lower(), f"{wa}-{wb}".lower()
        solid = self.words.get(joined, 0) - 1          # the split occurrence itself counts once
        if self.hyphened.get(dashed, 0) > max(solid, 0):
            return left + right                          # written with a hyphen elsewhere
        if solid > 0:
            return left[:-1] + right                     # written solid elsewhere
        if len(wa) in self.hy.positions(wa + wb):
            return left[:-1] + right                     # a hyphenation point
        if wa.lower() in COMPOUND_PREFIXES or (self.words.get(wa.lower(), 0) >= 2
                                                and self.words.get(wb.lower(), 0) >= 2 and len(wb) > 3):
            return left + right                          # looks like a compound
        return left[:-1] + right

    def paragraphs(self) -> list[dict]:
        lines = self.raw.split("\n")
        furniture = self.furniture(lines)
        recs = []                       # nonblank lines, with the blank lines before them
        empty = ws = 0
        for ln in lines:
            if not ln.strip():
                if ln == "":
                    empty += 1
                else:
                    ws += 1
                continue
            if ln.strip() in furniture or re.fullmatch(r"\s*\d{1,3}\s*", ln):
                empty += 2                    # running head or page number of the source PDF
                continue
            recs.append({"t": ln.strip(), "empty": empty, "ws": ws, "lead": ln[:1].isspace()})
            empty = ws = 0
        lengths = [len(r["t"]) for r in recs]
        long_mode = statistics.median(lengths) > 120
        ws_seps = sum(1 for r in recs if r["ws"]) >= 20
        width = sorted(lengths)[int(len(lengths) * 0.9)] if lengths else 80
        gaps = [r["empty"] + r["ws"] for r in recs[1:]]
        double_spaced = bool(gaps) and sum(g == 1 for g in gaps) > 0.6 * len(gaps)
        captions: dict[int, list[str]] = {}
        if double_spaced:
            recs, captions = self.lift_captions(recs)
            self.mark_headings(recs, width)

        blocks: list[list[str]] = []
        starts: list[int] = []
        for i, r in enumerate(recs):
            t = r["t"]
            if not blocks:
                blocks.append([t]); starts.append(i)
                continue
            prev = blocks[-1][-1]
            prec = recs[i - 1]
            gap = r["empty"] + r["ws"]
            if long_mode:
                brk = gap > 0 or self.is_item_start(t)
            elif r.get("heading") or prec.get("heading"):
                brk = not (r.get("heading") and prec.get("heading") and gap == 0)
            elif ws_seps and r["ws"]:
                brk = True
            elif gap >= 2:
                brk = True
            elif self.is_item_start(t):
                brk = True
            elif TERMINAL.search(prev) and len(prev) < 0.8 * width:
                brk = True
            elif re.fullmatch(r"\(.*\)", prev) and len(prev) < 0.8 * width:
                brk = True
            elif len(blocks[-1]) == 1 and re.fullmatch(r"[A-Z][\w’'-]*(?: [\w’'-]+){0,3}", prev) \
                    and t[:1].isupper():
                brk = True          # a one-line title of a few words
            elif not double_spaced and not ws_seps and self.heading_line(prev, blocks[-1], width) \
                    and (t[:1].isupper() or t[:1].isdigit()):
                brk = True
            else:
                brk = False
            if brk:
                blocks.append([t]); starts.append(i)
            else:
                blocks[-1].append(t)
        if captions:   # a figure caption goes after the paragraph it interrupted
            out_blocks = []
            for k, b in enumerate(blocks):
                out_blocks.append(b)
                end = starts[k + 1] if k + 1 < len(starts) else len(recs) + 1
                out_blocks.extend(captions[pos] for pos in sorted(captions) if starts[k] < pos <= end
                                  and not (pos == end and k + 1 < len(starts)))
            blocks = out_blocks

        # an indented block quote of a wrapped text: every line but the last clearly shorter than
        # the text's lines, after a paragraph that ends with a colon
        narrow = set()
        if not long_mode:
            for k, b in enumerate(blocks[1:], 1):
                if len(b) >= 2 and max(map(len, b[:-1])) < 0.93 * width and blocks[k - 1][-1].endswith(":") \
                        and not self.is_item_start(b[0]):
                    narrow.add(k)
        paras = []
        for b in blocks:
            text = b[0]
            for nxt in b[1:]:
                if re.search(r"(https?://|www\.)\S*$", text) and not re.match(r"https?:|www\.", nxt) and (
                        re.search(r"[/_.%=?&-]$", text) or re.fullmatch(r"[^\s]*[/.%_=][^\s]*", nxt)):
                    text = text + nxt         # a URL wrapped over lines
                elif re.search(r"[A-Za-z]-$", text) and re.match(r"[A-Za-z]", nxt):
                    text = self.join_hyphen(text, nxt)
                else:
                    text = text + " " + nxt
            text = re.sub(r"\s+", " ", text).strip()
            paras.append(text)
        quoted = {paras[k] for k in narrow if k < len(paras)}

        # merge continuations split by a page break: next starts lower-case, previous unfinished
        merged: list[str] = []
        for p in paras:
            if merged and re.match(r"[a-z]", p) and not TERMINAL.search(merged[-1]) \
                    and not self.is_heading_text(merged[-1]):
                if re.search(r"[A-Za-z]-$", merged[-1]):
                    merged[-1] = self.join_hyphen(merged[-1], p)
                else:
                    merged[-1] = merged[-1] + " " + p
            else:
                merged.append(p)

        out = []
        for n, p in enumerate(merged):
            kind = "para"
            m = BULLET_GLYPH.match(p) or DASH_BULLET.match(p)
            if re.fullmatch(r"\d{1,3}", p):
                continue                      # a page number left in the seed
            if m:
                kind, p = "bullet", p[m.end():]
            elif re.match(r"(Figure|Fig\.|Table) \d", p) and len(p) < 200:
                kind = "caption"
            elif re.match(r"\d+(\.\d+)*\.?\s", p) and len(p.split()) <= 9 and self.is_heading_text(re.sub(r"^[\d.]+\s*", "", p)):
                kind = "heading"
            elif ENUM.match(p):
                kind = "item"
            elif self.is_heading_text(p):
                kind = "heading"
            elif p in quoted or self.is_quote(p) or n + 1 < len(merged) and len(p) > 150 \
                    and re.fullmatch(r"\([^()]*\d{4}[^()]*\)", merged[n + 1]):
                kind = "quote"                # a block quote followed by its citation line
            if not p.strip():
                continue
            plain, markup = strip_markdown(p)
            out.append({"kind": kind, "text": plain, "markup": markup})
        return out

    @staticmethod
    def lift_captions(recs: list[dict]) -> tuple[list[dict], dict[int, list[str]]]:
        """Take 'Figure N. ...' captions (lines glued without blank lines) out of the text flow."""
        out, captions, i = [], {}, 0
        while i < len(recs):
            r = recs[i]
            if re.match(r"(Figure|Fig\.|Table) \d", r["t"]) and i + 1 < len(recs) \
                    and recs[i + 1]["empty"] + recs[i + 1]["ws"] == 0:
                cap = [r["t"]]
                i += 1
                while i < len(recs) and recs[i]["empty"] + recs[i]["ws"] == 0 and not recs[i]["lead"]:
                    cap.append(recs[i]["t"]); i += 1
                captions[len(out)] = cap
                if i < len(recs):
                    recs[i] = dict(recs[i], empty=max(recs[i]["empty"], 1), lead=False)
                continue
            out.append(r); i += 1
        return out, captions

    @staticmethod
    def mark_headings(recs: list[dict], width: int) -> None:
        """In double-spaced text a heading is a short unpunctuated line glued to the next line."""
        for i, r in enumerate(recs[:-1]):
            nxt = recs[i + 1]
            t = r["t"]
            if nxt["empty"] + nxt["ws"] or nxt["lead"]:
                continue
            if len(t) >= 0.75 * width or TERMINAL.search(t) or re.search(r"[,\-–]$", t):
                continue
            cont = i > 0 and recs[i - 1].get("heading") and r["empty"] + r["ws"] == 0
            if t[:1].isupper() or t[:1].isdigit() or cont:
                r["heading"] = True

    @staticmethod
    def furniture(lines: list[str]) -> set[str]:
        """Short lines repeated 3+ times, each time followed by 2+ blank lines: running heads."""
        seen = collections.defaultdict(list)
        for i, ln in enumerate(lines):
            s = ln.strip()
            if s and len(s) < 60:
                after = 0
                for nxt in lines[i + 1:i + 4]:
                    if nxt.strip():
                        break
                    after += 1
                seen[s].append(after)
        return {s for s, a in seen.items() if len(a) >= 3 and min(a) >= 2}

    @staticmethod
    def is_item_start(t: str) -> bool:
        return bool(BULLET_GLYPH.match(t) or DASH_BULLET.match(t) or ENUM.match(t))

    @staticmethod
    def heading_line(prev: str, block: list[str], width: int) -> bool:
        if len(prev) >= 0.7 * width or TERMINAL.search(prev) or re.search(r"[,\-–(]$", prev):
            return False
        if len(" ".join(block)) > 120:
            return False
        first = block[0]
        return bool(re.match(r"[A-Z0-9]", first)) and not Cleaner.is_item_start(first)

    @staticmethod
    def is_heading_text(p: str) -> bool:
        if len(p) > 100 or TERMINAL.search(p) or re.search(r"[,\-–]$", p):
            return False
        if not re.match(r"[A-Z0-9]", p) or re.match(r"\d{4}\b", p) or re.search(r"https?:|www\.", p):
            return False
        if BULLET_GLYPH.match(p) or DASH_BULLET.match(p):
            return False
        return len(p.split()) <= 14

    @staticmethod
    def is_quote(p: str) -> bool:
        return bool(re.match(r"^[“\"‘']", p) and re.search(r"[”\"’'][).]?$", p) and len(p) > 80)


# ----------------------------------------------------------------------------------------------
# typesetting
# ----------------------------------------------------------------------------------------------

def register_fonts() -> None:
    for d in FONT_DIRS:
        if (d / "DejaVuSerif.ttf").exists():
            break
    else:
        sys.exit("DejaVu fonts not found: apt-get install fonts-dejavu-core")
    for fam, files in {
        "DejaVuSerif": ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic"),
        "DejaVuSans": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),
    }.items():
        for name in files:
            pdfmetrics.registerFont(TTFont(name, str(d / f"{name}.ttf")))
        addMapping(fam, 0, 0, files[0]); addMapping(fam, 1, 0, files[1])
        addMapping(fam, 0, 1, files[2]); addMapping(fam, 1, 1, files[3])


LAYOUTS = {
    "a": dict(pagesize=A4, columns=1, font="DejaVuSerif", size=10.5, leading=14.2, align=TA_JUSTIFY,
              hyphenate=True, margins=(25 * mm, 25 * mm, 27 * mm, 25 * mm), first_label=1, pdf_labels=False),
    "b": dict(pagesize=A4, columns=2, font="DejaVuSerif", size=9, leading=11.2, align=TA_JUSTIFY,
              hyphenate=True, margins=(17 * mm, 17 * mm, 22 * mm, 20 * mm), first_label=45, pdf_labels=False),
    "c": dict(pagesize=LETTER, columns=1, font="DejaVuSans", size=10.5, leading=14.5, align=TA_LEFT,
              hyphenate=False, margins=(28 * mm, 28 * mm, 22 * mm, 25 * mm), first_label=23, pdf_labels=True),
    "d": dict(pagesize=A4, columns=2, font="DejaVuSans", size=8.8, leading=11.5, align=TA_LEFT,
              hyphenate=False, margins=(18 * mm, 18 * mm, 22 * mm, 22 * mm), first_label=1, pdf_labels=False),
}


def styles(cfg: dict) -> dict[str, ParagraphStyle]:
    hy = dict(hyphenationLang="en_GB", embeddedHyphenation=1, uriWasteReduce=0.3) if cfg["hyphenate"] \
        else dict(hyphenationLang="")
    f, s, l = cfg["font"], cfg["size"], cfg["leading"]
    bold = f + "-Bold"
    body = ParagraphStyle("body", fontName=f, fontSize=s, leading=l, alignment=cfg["align"],
                          spaceAfter=l * 0.45, firstLineIndent=0, **hy)
    return {
        "para": body,
        "heading": ParagraphStyle("heading", parent=body, fontName=bold, fontSize=s * 1.2, leading=l * 1.2,
                                  alignment=TA_LEFT, spaceBefore=l * 0.8, spaceAfter=l * 0.4, keepWithNext=1,
                                  hyphenationLang=""),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=s * 1.6, bulletIndent=s * 0.4, bulletFontName=f,
                                 spaceAfter=l * 0.25),
        "item": ParagraphStyle("item", parent=body, leftIndent=s * 1.2, firstLineIndent=-s * 1.2,
                               spaceAfter=l * 0.3),
        "caption": ParagraphStyle("caption", parent=body, fontName=cfg["font"] + ("-Oblique" if f == "DejaVuSans" else "-Italic"),
                                  fontSize=s * 0.9, leading=l * 0.9, alignment=TA_CENTER, hyphenationLang=""),
        "quote": ParagraphStyle("quote", parent=body, fontSize=s * 0.92, leading=l * 0.92,
                                leftIndent=s * 2.2, rightIndent=s * 2.2, textColor=colors.HexColor("#222222")),
    }


class MarkedParagraph(Paragraph):
    """A Paragraph that records the page on which its first line is drawn.

    (An inline <onDraw> marker would do the same, but it upsets reportlab's splitting of
    hyphenated paragraphs.) The index travels to the first part when the paragraph is split."""

    def __init__(self, *args, ck_index=None, ck_marks=None, **kw):
        super().__init__(*args, **kw)
        self.ck_index, self.ck_marks = ck_index, ck_marks

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for k, part in enumerate(parts):
            if isinstance(part, MarkedParagraph):
                part.ck_index = self.ck_index if k == 0 else None
                part.ck_marks = self.ck_marks
        return parts

    def draw(self):
        if self.ck_index is not None and self.ck_marks is not None:
            self.ck_marks.setdefault(self.ck_index, self.canv.getPageNumber())
            for line in getattr(getattr(self, "blPara", None), "lines", []):
                extra = line[0] if isinstance(line, tuple) else getattr(line, "extraSpace", 0)
                if extra < -6:   # a line wider than its column (justified lines may shrink a little)
                    self.ck_marks.setdefault("overflow", []).append(self.ck_index)
        super().draw()


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower()
    s = re.sub(r"[\u2018\u2019']", "'", s)
    return re.sub(r"\s+", " ", s)


class Renderer:
    def __init__(self, stem: str, paras: list[dict], layout: str, out: Path):
        self.stem, self.paras, self.layout, self.out = stem, paras, layout, out
        self.cfg = LAYOUTS[layout]
        self.short, self.author = META.get(stem, (paras[0]["text"][:50], "Anonymous"))
        self.marks: dict = {}   # paragraph index -> page; "overflow" -> paragraph indexes
        self.labels: dict[int, str] = {}
        self.headers_by_page: dict[int, list[str]] = {}

    def header_texts(self) -> list[str]:
        return {"a": [self.short, self.author], "b": [JOURNAL, self.short], "c": [],
                "d": [self.short]}[self.layout]

    def footer_texts(self) -> list[str]:
        return {"a": [FOOTER_A], "b": [], "c": [], "d": [FOOTER_D]}[self.layout]

    def check_furniture(self) -> None:
        body = norm(" ".join(p["text"] for p in self.paras))
        for h in self.header_texts() + self.footer_texts():
            if norm(h) in body:
                raise SystemExit(f"{self.stem}: furniture string occurs in the body: {h!r}")

    # page decoration -------------------------------------------------------------------------
    def decorate(self, canv: Canvas, doc) -> None:
        cfg = self.cfg
        pw, ph = cfg["pagesize"]
        left, right, top, bottom = cfg["margins"]
        n = canv.getPageNumber()
        label = str(cfg["first_label"] + n - 1)
        self.labels[n] = label
        small = cfg["size"] * 0.82
        canv.saveState()
        canv.setFillColor(colors.black)
        hy = ph - top + 8 * mm
        fy = bottom - 12 * mm
        drawn = []
        if self.layout == "a":
            if n > 1:
                canv.setFont(cfg["font"] + "-Oblique" if cfg["font"] == "DejaVuSans" else "DejaVuSerif-Italic", small)
                canv.drawString(left, hy, self.short)
                canv.drawRightString(pw - right, hy, self.author)
                canv.setLineWidth(0.4)
                canv.line(left, hy - 2.5 * mm, pw - right, hy - 2.5 * mm)
                drawn = [self.short, self.author]
            canv.setFont(cfg["font"], small)
            canv.drawString(left, fy, FOOTER_A)
            canv.drawRightString(pw - right, fy, label)
        elif self.layout == "b":
            canv.setFont(cfg["font"], small)
            if n == 1:
                canv.drawCentredString(pw / 2, fy, label)
            elif n % 2 == 0:
                canv.drawString(left, hy, label)
                canv.drawString(left + 12 * mm, hy, JOURNAL)
                drawn = [JOURNAL]
            else:
                canv.drawRightString(pw - right - 12 * mm, hy, self.short)
                canv.drawRightString(pw - right, hy, label)
                drawn = [self.short]
        elif self.layout == "c":
            canv.setFont(cfg["font"], cfg["size"])
            canv.drawCentredString(pw / 2, fy, label)
        elif self.layout == "d":
            canv.setFont(cfg["font"], small)
            canv.drawCentredString(pw / 2, hy, f"{self.short}  |  {label}")
            canv.setFont(cfg["font"], small * 0.9)
            canv.drawCentredString(pw / 2, fy, FOOTER_D)
            drawn = [self.short]
        self.headers_by_page[n] = drawn
        canv.restoreState()

    def build(self) -> dict:
        cfg = self.cfg
        self.check_furniture()
        marks = self.marks

        pw, ph = cfg["pagesize"]
        left, right, top, bottom = cfg["margins"]
        pdf = self.out / f"{self.stem}-{self.layout}.pdf"
        doc = BaseDocTemplate(str(pdf), pagesize=cfg["pagesize"], leftMargin=left, rightMargin=right,
                              topMargin=top, bottomMargin=bottom, title=self.short, author=self.author,
                              pageCompression=1, invariant=1)
        if cfg["columns"] == 1:
            frames = [Frame(left, bottom, pw - left - right, ph - top - bottom, id="body",
                            leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)]
        else:
            gap = 6 * mm
            cw = (pw - left - right - gap) / 2
            frames = [Frame(left + i * (cw + gap), bottom, cw, ph - top - bottom, id=f"col{i}",
                            leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0) for i in range(2)]
        doc.addPageTemplates([PageTemplate(id="page", frames=frames, onPage=self.decorate)])
        st = styles(cfg)
        story = []
        for i, p in enumerate(self.paras):
            style = st[p["kind"]]
            if style.hyphenationLang and max(map(len, p["text"].split()), default=0) > 28:
                # reportlab's hyphenating wrapper lets a long URL overrun the column; its plain
                # wrapper splits long words, so such paragraphs are set without hyphenation
                style = ParagraphStyle(style.name + "-nohy", parent=style, hyphenationLang="",
                                       embeddedHyphenation=0, uriWasteReduce=0)
            story.append(MarkedParagraph(p["markup"], style, ck_index=i, ck_marks=marks,
                                         bulletText="•" if p["kind"] == "bullet" else None))
        if cfg["pdf_labels"]:   # /PageLabels: physical page 1 is labelled first_label, in arabic numerals
            decorate = self.decorate

            def on_page(canv, _doc):
                if canv.getPageNumber() == 1:
                    canv.addPageLabel(0, "D", cfg["first_label"])
                decorate(canv, _doc)
            doc.pageTemplates[0].onPage = on_page
        doc.build(story)
        if marks.get("overflow"):
            print(f"warning: {pdf.name}: lines wider than the column in paragraphs "
                  f"{sorted(set(marks['overflow']))[:10]}", file=sys.stderr)
        missing = [i for i in range(len(self.paras)) if i not in marks]
        if missing:
            raise SystemExit(f"{pdf.name}: no page recorded for paragraphs {missing[:10]}")
        pages = max(self.labels)
        truth = {
            "source": f"{self.stem}.txt",
            "layout": self.layout,
            "pages": pages,
            "header_texts": self.header_texts(),
            "footer_texts": self.footer_texts(),
            "page_labels": [self.labels[n] for n in range(1, pages + 1)],
            "pdf_page_labels": cfg["pdf_labels"],
            "headers_by_page": [self.headers_by_page.get(n, []) for n in range(1, pages + 1)],
            "lines": [{"page": marks[i], "text": p["text"][:60], "kind": p["kind"], "full": p["text"]}
                      for i, p in enumerate(self.paras)],
        }
        head = {k: v for k, v in truth.items() if k != "lines"}
        body = ",\n".join(json.dumps(ln, ensure_ascii=False) for ln in truth["lines"])
        (self.out / f"{self.stem}-{self.layout}.truth.json").write_text(
            json.dumps(head, ensure_ascii=False)[:-1] + ',\n"lines": [\n' + body + "\n]}\n", encoding="utf-8")
        return {"pdf": pdf, "pages": pages, "bytes": pdf.stat().st_size, "paras": len(self.paras)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default=str(ROOT.parent / "shared" / "seeds"))
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "renderings"))
    ap.add_argument("--layouts", default=",".join(LAYOUTS))
    ap.add_argument("--only", help="render only seeds whose stem starts with this")
    ap.add_argument("--dump", action="store_true", help="print the cleaned paragraphs and stop")
    a = ap.parse_args(argv)
    register_fonts()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for seed in sorted(Path(a.seeds).glob("*.txt")):
        if a.only and not seed.stem.startswith(a.only):
            continue
        paras = Cleaner(seed.read_text(encoding="utf-8")).paragraphs()
        if a.dump:
            for p in paras:
                print(f"[{p['kind']}] {p['text']}")
            continue
        for layout in a.layouts.split(","):
            r = Renderer(seed.stem, paras, layout, out).build()
            total += r["bytes"]
            print(f"{r['pdf'].name:36s} {r['pages']:3d} pages {r['paras']:4d} paragraphs {r['bytes'] / 1024:7.1f} KB")
    if not a.dump:
        print(f"total {total / 1024:.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
