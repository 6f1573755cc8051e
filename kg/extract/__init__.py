"""Extraction stage: a file (.txt, .md, .pdf) → cleaned text with blocks and a page map.

Entry point: :func:`extract`. Formats are backends (``text``, ``pdf``) that produce raw lines;
cleaning (:mod:`.clean`) is shared so every format gets the same repairs.
"""
from __future__ import annotations

import logging
from pathlib import Path

from .clean import clean
from .model import Block, ExtractedDocument, ExtractionError, Page, RawLine
from .pdf import read_pdf
from .text import read_lines

logging.getLogger("pdfminer").setLevel(logging.ERROR)   # its warnings about damaged files are reported as our own

SUPPORTED_SUFFIXES = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".pdf": "pdf"}

__all__ = ["extract", "ExtractedDocument", "ExtractionError", "Block", "Page", "RawLine", "SUPPORTED_SUFFIXES"]


def extract(path: str | Path, *, max_pages: int = 2000, max_bytes: int | None = None) -> ExtractedDocument:
    """Read and clean one file. Raises :class:`ExtractionError` with a reason for unusable files."""
    path = Path(path)
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ExtractionError("unsupported", f"{path.name}: only .txt, .md and .pdf files are read")
    if not path.is_file():
        raise ExtractionError("missing", f"{path} does not exist or is not a file")
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise ExtractionError("too-large", f"{path.name} is {path.stat().st_size / 1048576:.3g} MB, over the limit of "
                                            f"{max_bytes / (1024 * 1024):.3g} MB (setting max_file_mb)")
    metadata: dict[str, str] = {}
    labels: dict[int, str] = {}
    notes: list[str] = []
    if kind == "pdf":
        pdf = read_pdf(path, max_pages=max_pages)
        raw, labels, metadata, layout = pdf.lines, pdf.labels, pdf.metadata, pdf.layout
    else:
        raw, layout = read_lines(path, notes)
    blocks, pages, removed = clean(raw, slides=layout == "slides", page_labels=labels)
    if not blocks:
        raise ExtractionError("no-text", f"{path.name} has no readable text after cleaning")
    for page in pages:
        if page.number in labels:
            page.label = labels[page.number]   # the PDF's own /PageLabels beat numbers read off the page
    text = "\n\n".join(block.text for block in blocks)
    return ExtractedDocument(
        path=str(path),
        format=kind,
        text=text,
        blocks=blocks,
        pages=pages,
        layout=layout,
        title=_title(metadata, blocks),
        pdf_metadata=metadata,
        removed_furniture=removed,
        warnings=notes,
    )


def _title(metadata: dict[str, str], blocks: list[Block]) -> str | None:
    """The document's title, on one line (a PDF's first block may run over several)."""
    title = _one_line(metadata.get("title", ""))
    if title and not title.lower().startswith(("microsoft word", "untitled")) and not title.lower().endswith((".doc", ".docx", ".pdf")):
        return title
    for block in blocks[:20]:
        if block.kind == "heading" and len(block.text) > 3:
            return _one_line(block.text)[:200]
    for block in blocks[:1]:
        # a first line that reads as a title; a sentence ("Relational agency is the capacity …") is none,
        # and the file's name says more
        first = _one_line(block.text)
        if first and len(first.split()) <= 15 and not first.endswith((".", "!", "?")):
            return first[:120]
    return None


def _one_line(text: str) -> str:
    return " ".join((text or "").split())
