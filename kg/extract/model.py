"""What extraction produces: cleaned text with a page map and typed blocks."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class ExtractionError(Exception):
    """A file that cannot be ingested; ``reason`` is a short code, the message says what to do."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass
class RawLine:
    """One physical line as the file gives it, before cleaning."""

    text: str
    page: int | None = None          # 1-based physical page, None when the file has no page map
    gap_before: int = 0              # blank lines (or a layout gap) before this line
    box_start: bool = False          # first line of a layout box (PDF): a likely paragraph start
    edge: bool = False               # set in the page's header or footer band (PDF)
    size: float | None = None        # median font size of the line (PDF)
    bold: bool = False               # most of the line is in a bold face (PDF)


@dataclass
class Block:
    """A paragraph-level unit of cleaned text."""

    kind: str                        # heading | paragraph | bullet | list | caption | reference
    text: str
    page: int | None
    start: int = 0                   # offsets into ExtractedDocument.text
    end: int = 0
    level: int = 0                   # heading depth where it can be told (1 = chapter/section)
    breaks: list[tuple[int, int]] = field(default_factory=list)   # (offset in text, page) where a new page begins inside the block


@dataclass
class Page:
    number: int                      # 1-based physical page
    label: str | None                # printed page label (PDF /PageLabels or a page-number line)
    start: int
    end: int


@dataclass
class ExtractedDocument:
    path: str
    format: str                      # txt | md | pdf
    text: str
    blocks: list[Block]
    pages: list[Page]
    layout: str = "document"         # document | slides (one page per slide)
    title: str | None = None         # from PDF metadata or the first heading
    pdf_metadata: dict[str, str] = field(default_factory=dict)
    removed_furniture: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def page_at(self, offset: int) -> Page | None:
        for page in self.pages:
            if page.start <= offset < page.end:
                return page
        return self.pages[-1] if self.pages and offset >= self.pages[-1].start else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ExtractedDocument":
        data = dict(data)
        data["blocks"] = [Block(**b) for b in data["blocks"]]
        data["pages"] = [Page(**p) for p in data["pages"]]
        return cls(**data)
