"""Character-level repairs shared by every format: Unicode, Markdown residue, bullet glyphs."""
from __future__ import annotations

import re
import unicodedata

# Presentation forms that PDFs emit for ligatures; NFKC would also rewrite quotes and ellipses,
# which must stay as the source has them for verbatim quoting.
_LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
})
_SPACES_RE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\u2028\u2029]")
# invisible characters, and bidi controls, which can make a passage display other than it reads
_INVISIBLE_RE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# C0/C1 controls, lone surrogates (which cannot be written as UTF-8) and noncharacters
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")

# A bullet as the seeds show it after a Symbol-font bullet went through a wrong decoding
# ("\ufffd\u0192"), private-use Wingdings/Symbol bullets, and the ordinary bullet characters.
_BULLET_GLYPHS = "\u2022\u25aa\u25a0\u25cf\u25e6\u2023\u2043\u2219\u00b7\u27a2\u2713\u2714\u25ba\u25b8\u2027"
BULLET_RE = re.compile(
    "^(?:\ufffd\\s*[\u0192\u00a7\u00d8\u00fc\u00a8\u00b7]?|[\uf000-\uf0ff]|[" + _BULLET_GLYPHS + "]|[-*+](?=\\s))\\s*"
)

_MD_BOLD_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_UNDERSCORE_BOLD_RE = re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)")
_MD_EM_RE = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?!\*)")
_HTML_INLINE_RE = re.compile(r"</?(?:u|b|i|em|strong|sup|sub|span)\b[^>]*>", re.I)
_MD_AUTOLINK_RE = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$&|>~])")
_KEY_DOLLAR_RE = re.compile(r"\[\$(\d+)\]")   # "[S1]" whose S an OCR or Markdown step turned into "$"


def normalize_line(text: str) -> str:
    """Unicode and Markdown clean-up of one line; quote marks and dashes are kept as written."""
    text = unicodedata.normalize("NFC", text).translate(_LIGATURES)
    text = _INVISIBLE_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)
    text = _CONTROL_RE.sub("", text)
    text = strip_markdown(text)
    return text


def strip_markdown(text: str) -> str:
    text = _HTML_INLINE_RE.sub("", text)
    text = _MD_AUTOLINK_RE.sub(r"\1", text)
    text = _MD_BOLD_RE.sub(r"\1", text)
    text = _MD_UNDERSCORE_BOLD_RE.sub(r"\1", text)
    text = _MD_EM_RE.sub(r"\1", text)
    text = _MD_ESCAPE_RE.sub(r"\1", text)
    return text


def repair_keys(lines: list[str]) -> list[str]:
    """Keyed references such as [S1] that came through as [$1], when the file also uses [S…] keys."""
    if not any(_KEY_DOLLAR_RE.search(line) for line in lines) or not any(re.search(r"\[S\d+", line) for line in lines):
        return lines
    return [_KEY_DOLLAR_RE.sub(r"[S\1]", line) for line in lines]


def split_bullet(text: str) -> tuple[bool, str]:
    """(is a bullet item, the text without its glyph)."""
    stripped = text.strip()
    match = BULLET_RE.match(stripped)
    if not match:
        return False, stripped
    rest = stripped[match.end():].strip()
    if not rest:
        return False, ""
    return True, rest
