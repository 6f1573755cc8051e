"""Plain-text and Markdown files → raw lines with a page map where the file carries one."""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from .model import ExtractionError, RawLine
from .normalize import BULLET_RE, normalize_line

_NUL_TOLERANCE = 0.001
_PAGE_MARKER_RE = re.compile(r"^ \S")        # pdftotext-style dumps start each page with one space
# byte-order marks of the wide encodings, UTF-32 first: UTF-32-LE's begins with UTF-16-LE's.
# (UTF-8's mark is read by the UTF-8 decoding below, "utf-8-sig".)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def decode(data: bytes, path: Path) -> str:
    """Decode text bytes; refuse binary data that only carries a text name (see ``decode_noting``)."""
    return decode_noting(data, path)[0]


def _one_byte_as_cp1252(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("ckg-cp1252", _one_byte_as_cp1252)


def decode_noting(data: bytes, path: Path) -> tuple[str, str | None]:
    """Decode text bytes, with a note when the bytes were not all of one encoding; refuse binary data
    that only carries a text name.

    UTF-8, and UTF-16 or UTF-32 with a byte-order mark (Windows Notepad's "Unicode"), are read as
    such; UTF-16 without one when its ASCII text shows as every other byte NUL; anything else as
    UTF-8, else Windows-1252. UTF-8 with a few stray Windows-1252 bytes (text pasted together from
    two editors) is read as UTF-8 with those bytes as Windows-1252, noted: read whole as Windows-1252,
    every accented letter of the UTF-8 part was garbled ("CafÃ©").
    """
    found = _decode(data, path)
    if isinstance(found, tuple):
        return found
    return found, None


def _decode(data: bytes, path: Path) -> str | tuple[str, str]:
    if not data.strip():
        raise ExtractionError("empty", f"{path.name} has no text; add content or remove the file")
    encoding, body = _unicode_encoding(data)
    if encoding is not None:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            text = None
        # binary data that happens to start like a mark decodes badly, or to control characters
        if text is None or len(_CONTROL_RE.findall(text[:65536])) > max(1, len(text[:65536]) * _NUL_TOLERANCE * 10):
            raise ExtractionError("binary", f"{path.name} starts like {encoding.upper()} text but is not; "
                                            "if it is text, save it again as UTF-8 .txt") from None
        if not text.strip():
            raise ExtractionError("empty", f"{path.name} has no text; add content or remove the file")
        return text
    sample = data[:65536]
    if data.startswith(b"%PDF-"):      # before the binary test: a PDF is binary too, and its fix is its name
        raise ExtractionError("misnamed", f"{path.name} is a PDF with a text extension; rename it to .pdf")
    if sample.count(b"\x00") > max(1, len(sample) * _NUL_TOLERANCE):
        raise ExtractionError("binary", f"{path.name} is binary data, not text; export it as .txt or .pdf")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    as_utf8 = data.decode("utf-8-sig", errors="ckg-cp1252")
    stray = len(data.decode("utf-8-sig", errors="replace").split("\ufffd")) - 1
    utf8_letters = sum(1 for c in data.decode("utf-8-sig", errors="ignore") if ord(c) > 127)
    if utf8_letters >= stray:       # mostly UTF-8: the odd byte is another encoding's, not the whole file
        return as_utf8, (f"not all UTF-8: {stray} byte{'s' if stray != 1 else ''} (the first at byte {first_bad}) "
                         "read as Windows-1252; save the file as UTF-8 to be sure of its accented letters")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _unicode_encoding(data: bytes) -> tuple[str | None, bytes]:
    """The encoding a byte-order mark names (and the bytes after it), or UTF-16 told by its NULs."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, data[len(bom):]
    # UTF-16 without a mark: ASCII text puts a NUL in every other byte (odd ones little-endian)
    sample = data[:65536]
    if len(sample) >= 4 and len(sample) % 2 == 0:
        even, odd = sample[0::2], sample[1::2]
        even_nuls, odd_nuls = even.count(0) / len(even), odd.count(0) / len(odd)
        if odd_nuls >= 0.7 and even_nuls <= 0.02:
            return "utf-16-le", data
        if even_nuls >= 0.7 and odd_nuls <= 0.02:
            return "utf-16-be", data
    return None, data


def read_lines(path: Path, notes: list[str] | None = None) -> tuple[list[RawLine], str]:
    """The file's lines and its layout: "slides" for a deck dumped as text, else "document"; what is
    worth telling about its bytes is added to ``notes``."""
    text, note = decode_noting(path.read_bytes(), path)
    if note and notes is not None:
        notes.append(note)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix.lower() == ".md":
        text = markdown_to_text(text)
    chunks = text.split("\f")
    lines: list[RawLine] = []
    if len(chunks) > 1:
        for number, chunk in enumerate(chunks, start=1):
            lines.extend(_lines_of(chunk, number))
        return lines, "document"
    raw = text.split("\n")
    markers = _page_markers(raw)
    if markers:
        return _lines_of(text, 1, markers), "document"
    slides = _slide_breaks(raw)
    if slides:
        return _lines_of(text, 1, slides), "slides"
    return _lines_of(text, None), "document"


_FRONT_MATTER_RE = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(?:.*\n){0,80}?(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_FENCE_RE = re.compile(r"^\s{0,3}(?:```|~~~)")
_BLOCKQUOTE_RE = re.compile(r"^\s{0,3}(?:>\s?)+")
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(r"(?<!!)\[([^\]\n]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK_RE = re.compile(r"\[([^\]\n]+)\]\[([^\]\n]*)\]")
# "[label]: https://…": an address, not a keyed reference ("[S1]: Letter from the Director …" stays)
_LINK_DEFINITION_RE = re.compile(r"^\s{0,3}\[(?!\^)([^\]]+)\]:\s+<?(?:[a-z][a-z0-9+.-]*:|www\.|/|\./|\.\./|#)\S*>?"
                                 r"(?:\s+[\"'(].*)?$", re.I)
_FOOTNOTE_MARK_RE = re.compile(r"\[\^[^\]\s]+\](?!:)")
_FOOTNOTE_NOTE_RE = re.compile(r"^\s{0,3}\[\^([^\]\s]+)\]:\s*")
_RULE_RE = re.compile(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
_SETEXT_RE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HTML_BLOCK_TAG_RE = re.compile(r"</?(?:div|p|br|section|article|header|footer|details|summary|figure|figcaption|table|tr|td|th|tbody|thead|center)\b[^>]*>", re.I)


def markdown_to_text(text: str) -> str:
    """A Markdown file's text as a reader sees it rendered: no front matter, comments, image or link
    syntax, footnote marks, block-quote markers, rules or table rules; a link keeps its words, a
    footnote its text ("[^1]: Munro …" → "1 Munro …"), a table its cells (set apart as columns), a
    heading underlined with === or --- becomes a "#" heading. Line for line, so pages and the
    document's own blank lines stay."""
    text = _FRONT_MATTER_RE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    text = _HTML_COMMENT_RE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    lines = text.split("\n")
    # "[words][label]" is a link only where the file defines the label ("[label]: https://…"):
    # "[R1][S1]", an impact case study's keys side by side, stays as written
    defined = {m.group(1).strip().casefold() for m in map(_LINK_DEFINITION_RE.match, lines) if m}
    out: list[str] = []
    for index, line in enumerate(lines):
        if _FENCE_RE.match(line) or _LINK_DEFINITION_RE.match(line) or _TABLE_RULE_RE.match(line):
            out.append("")
            continue
        underline = _SETEXT_RE.match(line)
        if underline and out and out[-1].strip() and not _BLOCKQUOTE_RE.match(lines[index - 1]):
            out[-1] = ("# " if underline.group(1)[0] == "=" else "## ") + out[-1].strip()
            out.append("")
            continue
        if _RULE_RE.match(line):
            out.append("")
            continue
        line = _BLOCKQUOTE_RE.sub("", line)
        line = _FOOTNOTE_NOTE_RE.sub(lambda m: f"{m.group(1)} ", line)
        line = _IMAGE_RE.sub("", line)
        line = _LINK_RE.sub(r"\1", line)
        line = _REF_LINK_RE.sub(lambda m: m.group(1) if (m.group(2) or m.group(1)).strip().casefold() in defined
                                else m.group(0), line)
        line = _FOOTNOTE_MARK_RE.sub("", line)
        line = _HTML_BLOCK_TAG_RE.sub("", line)
        if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
            line = "   ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        out.append(line)
    return "\n".join(out)


def _lines_of(text: str, page: int | None, page_starts: list[int] | None = None) -> list[RawLine]:
    """RawLines with blank-line gaps; ``page_starts`` are raw line indexes that open a new page."""
    starts = set(page_starts or [])
    out: list[RawLine] = []
    gap = 0
    current = page
    for index, line in enumerate(text.split("\n")):
        if index in starts and index != 0 and current is not None:
            current += 1
            gap = max(gap, 1)
        if not line.strip():
            gap += 1
            continue
        out.append(RawLine(text=line.rstrip(), page=current, gap_before=gap))
        gap = 0
    return out


def _page_markers(raw: list[str]) -> list[int]:
    """Line indexes of page starts in dumps that open each page with a single space.

    Used only when the markers are sparse and regular (a page's worth of lines apart);
    indented paragraphs or lists make them irregular and the file is left without pages.
    """
    nonempty = [i for i, line in enumerate(raw) if line.strip()]
    if len(nonempty) < 60:
        return []
    marks = [i for i in nonempty if _PAGE_MARKER_RE.match(raw[i]) and not BULLET_RE.match(raw[i].strip())]
    if len(marks) < 3 or marks[0] != nonempty[0] or len(marks) > 0.05 * len(nonempty):
        return []
    position = {line_index: n for n, line_index in enumerate(nonempty)}
    gaps = [position[b] - position[a] for a, b in zip(marks, marks[1:])]
    if min(gaps) < 20:
        return []
    return marks


def _slide_breaks(raw: list[str]) -> list[int]:
    """Slide decks dumped as text: mostly bullets, slides separated by runs of 3+ blank lines."""
    nonempty = [normalize_line(line).strip() for line in raw if line.strip()]
    if not nonempty or max(len(line) for line in nonempty) > 250:
        return []   # paragraph-per-line text, not slides
    bullets = sum(1 for line in nonempty if BULLET_RE.match(line))
    if bullets < 0.15 * len(nonempty):
        return []
    starts: list[int] = []
    blank_run = 0
    for index, line in enumerate(raw):
        if not line.strip():
            blank_run += 1
            continue
        if blank_run >= 3:
            starts.append(index)
        blank_run = 0
    return starts if len(starts) >= 3 else []
