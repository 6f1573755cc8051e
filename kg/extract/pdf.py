"""PDF files → raw lines in reading order with physical pages and printed page labels (pdfminer.six)."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from .model import ExtractionError, RawLine

_EDGE_ZONE = 0.07        # share of the page height treated as header/footer zone


@dataclass
class PdfText:
    lines: list[RawLine]
    labels: dict[int, str]
    metadata: dict[str, str]
    page_count: int
    layout: str = "document"


def read_pdf(path: Path, max_pages: int) -> PdfText:
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser, PDFSyntaxError
    from pdfminer.psparser import PSException

    with path.open("rb") as handle:
        head = handle.read(1024)
        if b"%PDF-" not in head:
            raise ExtractionError("not-pdf", f"{path.name} is not a PDF (no %PDF header); check the file or its extension")
        handle.seek(0)
        try:
            document = PDFDocument(PDFParser(handle), password="")
        except PDFPasswordIncorrect:
            raise ExtractionError("encrypted", f"{path.name} is encrypted with a password; save an unprotected copy") from None
        except PDFEncryptionError as exc:
            raise ExtractionError("encrypted", f"{path.name} uses unsupported encryption ({exc}); save an unprotected copy") from None
        except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError) as exc:
            raise ExtractionError("corrupt", f"{path.name} is not a readable PDF ({type(exc).__name__}: {exc})") from None
        metadata = _metadata(document)
        labels: dict[int, str] = {}
        try:
            for number, label in enumerate(itertools.islice(document.get_page_labels(), max_pages + 1), start=1):
                labels[number] = str(label)
        except Exception:  # no /PageLabels tree, or a broken one: printed numbers are read from the text
            labels = {}
        manager = PDFResourceManager()
        device = PDFPageAggregator(manager, laparams=LAParams(detect_vertical=True, all_texts=True))
        interpreter = PDFPageInterpreter(manager, device)
        lines: list[RawLine] = []
        page_count = 0
        landscape_pages = 0
        try:
            for number, page in enumerate(PDFPage.create_pages(document), start=1):
                if number > max_pages:
                    raise ExtractionError("too-large", f"{path.name} has more than {max_pages} pages (setting max_pages)")
                page_count = number
                interpreter.process_page(page)
                layout = device.get_result()
                landscape_pages += layout.width > layout.height
                lines.extend(_page_lines(layout, number))
        except (ExtractionError, MemoryError):
            raise        # a memory blow-up (a compression bomb) is reported as such by the worker
        except (PDFSyntaxError, PSException) as exc:
            if not lines:
                raise ExtractionError("corrupt", f"{path.name} is damaged ({type(exc).__name__}: {exc})") from None
        except Exception as exc:  # pdfminer raises many kinds on damaged files; keep the pages read so far
            if not lines:
                raise ExtractionError("corrupt", f"{path.name} could not be parsed ({type(exc).__name__}: {exc})") from None
    if page_count == 0:
        raise ExtractionError("corrupt", f"{path.name} has no pages")
    if not any(line.text.strip() for line in lines):
        if getattr(document, "encryption", None):
            raise ExtractionError("encrypted", f"{path.name} is encrypted and gives no text without its password; save an unprotected copy")
        raise ExtractionError("no-text", f"{path.name} has no text layer (scanned images?); run OCR first")
    if labels and all(labels.get(n) == str(n) for n in range(1, page_count + 1)):
        labels = {}   # the default labels say nothing the physical numbers don't
    words_per_page = sum(len(line.text.split()) for line in lines) / page_count
    slides = page_count >= 3 and landscape_pages > page_count / 2 and words_per_page < 150
    return PdfText(lines=lines, labels=labels, metadata=metadata, page_count=page_count, layout="slides" if slides else "document")


def _metadata(document) -> dict[str, str]:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    out: dict[str, str] = {}
    for info in document.info or []:
        try:
            info = resolve1(info)
            for key in ("Title", "Author", "Subject", "Keywords", "CreationDate"):
                value = resolve1(info.get(key)) if hasattr(info, "get") else None
                if isinstance(value, bytes):
                    text = decode_text(value).strip()
                    if text:
                        out[key.lower()] = text
        except Exception:
            continue
    return out


def _text_boxes(layout) -> list:
    """Text boxes of a page; text inside figures (chart labels) only when the page has no other."""
    from pdfminer.layout import LTFigure, LTTextBox

    boxes = [item for item in layout if isinstance(item, LTTextBox)]
    if boxes:
        return boxes
    nested: list = []
    stack = [item for item in layout if isinstance(item, LTFigure)]
    while stack:
        figure = stack.pop()
        for item in figure:
            if isinstance(item, LTTextBox):
                nested.append(item)
            elif isinstance(item, LTFigure):
                stack.append(item)
    return nested


@dataclass
class _Fragment:
    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    size: float = 0.0
    bold: bool = False

    @property
    def height(self) -> float:
        return max(1.0, self.top - self.bottom)


def _fragments(layout) -> list[_Fragment]:
    from pdfminer.layout import LTTextLine

    out: list[_Fragment] = []
    for box in _text_boxes(layout):
        for line in box:
            if not isinstance(line, LTTextLine):
                continue
            text = " ".join(line.get_text().split())
            if text:
                size, bold = _style(line)
                out.append(_Fragment(line.x0, line.x1, line.y1, line.y0, text, size, bold))
    return out


def _style(line) -> tuple[float, bool]:
    """Median character size and whether most characters are in a bold face."""
    from pdfminer.layout import LTChar

    chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
    if not chars:
        return 0.0, False
    sizes = sorted(round(c.size, 1) for c in chars)
    bold = sum(1 for c in chars if re.search(r"bold|black|heavy|semibold|,b\b", c.fontname or "", re.I))
    return sizes[len(sizes) // 2], bold >= 0.8 * len(chars)


def _page_lines(layout, number: int) -> list[RawLine]:
    """Lines of one page in reading order.

    Works on text lines rather than pdfminer's boxes: pieces of one visual line that justified
    spacing split apart are joined again, columns are found from the gutter no line crosses, and
    paragraph starts come from vertical gaps and first-line indents.
    """
    height = layout.height or 1.0
    fragments = _fragments(layout)
    top = [f for f in fragments if f.bottom >= height * (1 - _EDGE_ZONE)]
    bottom = [f for f in fragments if f.top <= height * _EDGE_ZONE and f not in top]
    body = [f for f in fragments if f not in top and f not in bottom]
    gutter = _gutter(body, layout.width or 1.0)
    if gutter is not None:
        # a column's first or last line that reaches into the page's edge band is body text, not a
        # running head: merged with the other column's line on its baseline it would run two columns together
        while True:     # line by line up (or down) the column, as far as it runs into the band
            inside = [f for f in top + bottom if _continues_column(f, body, gutter)]
            # the other column's line on the same baseline is its column's line too ("…the first time" | "team's view …")
            inside += [f for f in top + bottom if f not in inside and not f.x0 < gutter < f.x1
                       and any((g.x1 <= gutter) != (f.x1 <= gutter) and _same_baseline(f, g) for g in inside)]
            if not inside:
                break
            top = [f for f in top if f not in inside]
            bottom = [f for f in bottom if f not in inside]
            body += inside
    out: list[RawLine] = []
    for zone, edge in ((_visual_lines(top), True), (_ordered_body(body, layout.width or 1.0), False), (_visual_lines(bottom), True)):
        for line in _as_raw_lines(zone, number):
            line.edge = edge
            out.append(line)
    return out


def _continues_column(fragment: _Fragment, body: list[_Fragment], gutter: float) -> bool:
    """Whether an edge-band fragment is a line of a column: on one side of the gutter, with a body
    line of that column right above or below it, a line's pitch away and starting where it starts
    (or a paragraph indent off). A running head stands further off the text."""
    if fragment.x0 < gutter < fragment.x1:
        return False
    left = fragment.x1 <= gutter
    pitch = 1.6 * fragment.height
    for other in body:
        if (other.x1 <= gutter) != left or other.x0 < gutter < other.x1:
            continue
        distance = max(fragment.bottom - other.top, other.bottom - fragment.top)     # the gap between the two lines
        if -0.5 * fragment.height < distance <= pitch - fragment.height and abs(other.x0 - fragment.x0) <= 3 * fragment.height:
            return True
    return False


def _same_baseline(a: _Fragment, b: _Fragment) -> bool:
    return min(a.top, b.top) - max(a.bottom, b.bottom) > 0.5 * min(a.height, b.height)


def _visual_lines(fragments: list[_Fragment]) -> list[_Fragment]:
    """Fragments on the same baseline merged left to right into one line, top to bottom."""
    lines: list[list[_Fragment]] = []
    for fragment in sorted(fragments, key=lambda f: -f.top):
        if lines:
            last = lines[-1]
            if _same_baseline(last[0], fragment):
                last.append(fragment)
                continue
        lines.append([fragment])
    merged: list[_Fragment] = []
    for group in lines:
        group.sort(key=lambda f: f.x0)
        main = max(group, key=lambda f: len(f.text))
        merged.append(_Fragment(min(f.x0 for f in group), max(f.x1 for f in group), max(f.top for f in group),
                                min(f.bottom for f in group), " ".join(f.text for f in group), main.size,
                                all(f.bold for f in group)))
    return merged


def _gutter(fragments: list[_Fragment], width: float) -> float | None:
    """x of a vertical gap between two columns, or None for a single-column page."""
    if len(fragments) < 8:
        return None
    best, best_crossing = None, None
    steps = 40
    for step in range(steps + 1):
        x = width * (0.3 + 0.4 * step / steps)
        crossing = sum(1 for f in fragments if f.x0 < x < f.x1)
        if best_crossing is None or crossing < best_crossing:
            best, best_crossing = x, crossing
    left = sum(1 for f in fragments if f.x1 <= best)
    right = sum(1 for f in fragments if f.x0 >= best)
    if best_crossing > 0.15 * len(fragments) or min(left, right) < 0.2 * len(fragments):
        return None
    return best


def _ordered_body(fragments: list[_Fragment], width: float) -> list[_Fragment]:
    gutter = _gutter(fragments, width)
    if gutter is None:
        return _visual_lines(fragments)
    ordered: list[_Fragment] = []
    segment: list[_Fragment] = []

    def close() -> None:
        ordered.extend(_visual_lines([f for f in segment if f.x1 <= gutter]))
        ordered.extend(_visual_lines([f for f in segment if f.x1 > gutter]))
        segment.clear()

    for fragment in sorted(fragments, key=lambda f: -f.top):
        if fragment.x0 < gutter < fragment.x1:   # a full-width line (title, figure, table) ends a column run
            close()
            ordered.append(fragment)
        else:
            segment.append(fragment)
    close()
    return ordered


def _as_raw_lines(lines: list[_Fragment], number: int) -> list[RawLine]:
    """RawLines with a paragraph start wherever the vertical gap or a first-line indent says so."""
    if not lines:
        return []
    pitches = sorted(a.bottom - b.bottom for a, b in zip(lines, lines[1:]) if 0 < a.bottom - b.bottom < 3 * a.height)
    pitch = pitches[len(pitches) // 2] if pitches else lines[0].height * 1.2
    out: list[RawLine] = []
    previous: _Fragment | None = None
    left_edge = min(f.x0 for f in lines)
    for line in lines:
        if previous is None:
            start = True
        else:
            gap = previous.bottom - line.bottom
            new_column = gap < 0 or abs(line.x0 - previous.x0) > 0.3 * (previous.x1 - previous.x0) and gap < 0
            indented = line.x0 - min(previous.x0, left_edge if previous.x0 - left_edge < 20 else previous.x0) > 8
            ended = previous.text.rstrip().endswith((".", "?", "!", ":", "”", "\"", ")"))
            start = (not new_column and gap > 1.45 * pitch) or (indented and ended)
        out.append(RawLine(text=line.text, page=number, gap_before=1 if start else 0, box_start=start,
                           size=line.size or None, bold=line.bold))
        previous = line
    return out
