"""PDF files → raw lines in reading order with physical pages and printed page labels (pdfminer.six)."""
from __future__ import annotations

import itertools
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
        except ExtractionError:
            raise
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


def _page_lines(layout, number: int) -> list[RawLine]:
    from pdfminer.layout import LTTextLine

    width, height = layout.width or 1.0, layout.height or 1.0
    boxes = _text_boxes(layout)
    top = [b for b in boxes if b.y0 >= height * (1 - _EDGE_ZONE)]
    bottom = [b for b in boxes if b.y1 <= height * _EDGE_ZONE and b not in top]
    body = [b for b in boxes if b not in top and b not in bottom]
    ordered = sorted(top, key=lambda b: (-b.y1, b.x0)) + _reading_order(body, width) + sorted(bottom, key=lambda b: (-b.y1, b.x0))
    out: list[RawLine] = []
    for box in ordered:
        box_lines = [ln for ln in box if isinstance(ln, LTTextLine)]
        left_edge = min((ln.x0 for ln in box_lines), default=box.x0)
        previous_text = ""
        for index, line in enumerate(box_lines):
            text = line.get_text().replace("\n", " ").rstrip()
            if not text.strip():
                continue
            first = index == 0
            indented = not first and line.x0 - left_edge > 8 and previous_text.rstrip().endswith((".", "?", "!", ":", "”", "\""))
            out.append(RawLine(text=text, page=number, gap_before=1 if first or indented else 0, box_start=first or indented))
            previous_text = text
    return out


def _reading_order(boxes: list, width: float) -> list:
    """Columns in reading order: between full-width boxes, the left column, then the right one."""
    middle = width / 2
    tolerance = width * 0.03
    ordered: list = []
    segment: list = []

    def close() -> None:
        left = [b for b in segment if b.x1 <= middle + tolerance]
        right = [b for b in segment if b not in left]
        ordered.extend(sorted(left, key=lambda b: -b.y1))
        ordered.extend(sorted(right, key=lambda b: -b.y1))
        segment.clear()

    for box in sorted(boxes, key=lambda b: -b.y1):
        spanning = box.x0 < middle - tolerance and box.x1 > middle + tolerance
        if spanning:
            close()
            ordered.append(box)
        else:
            segment.append(box)
    close()
    return ordered
