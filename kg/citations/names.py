"""Name and title normalisation shared by the parsers and the resolver."""
from __future__ import annotations

import re
import unicodedata

APOSTROPHES = "'’‘`´ʼ"
CONNECTORS = {"of", "for", "and", "the", "on", "in", "&", "to", "de", "van", "von", "der", "la", "le", "du"}
TITLE_STOP = {"a", "an", "the", "of", "and", "in", "on", "for", "to", "&", "with", "by", "at", "from"}


def fold(text: str) -> str:
    """Lower case, diacritics and apostrophes removed: "Leont’ev" → "leontev", "Ødegard" → "odegard"."""
    text = unicodedata.normalize("NFKD", text.replace("Ø", "O").replace("ø", "o").replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(f"[{APOSTROPHES}]", "", text)
    return text.casefold()


def surname_key(name: str) -> str:
    """A surname or corporate name as a comparison key (letters and digits only)."""
    return re.sub(r"[^a-z0-9]+", "", fold(name))


def acronym(name: str) -> str:
    """Initials of the capitalised words of a corporate name: "Department for Education and Skills" → "DES"."""
    return "".join(w[0] for w in re.findall(r"[A-Z][\w’'-]*", name))


def acronym_letters(token: str) -> str:
    """The capitals of an acronym as written: "DfES" → "DES"."""
    return "".join(c for c in token if c.isupper())


def is_acronym(token: str) -> bool:
    """"DfES", "NECF", "OECD" — not "O'Neill" or "DeHaan": capitals are at least half the letters."""
    letters = [c for c in token if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return len(token) <= 8 and " " not in token and capitals >= 2 and capitals * 2 >= len(letters)


def title_words(title: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", fold(title))]


def title_similarity(a: str, b: str) -> float:
    """Overlap of content words (Dice), ignoring stop words; 0 when either is empty."""
    wa = {w for w in title_words(a) if w not in TITLE_STOP}
    wb = {w for w in title_words(b) if w not in TITLE_STOP}
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))


def slug(text: str, limit: int = 60) -> str:
    """Words of ``text`` joined by hyphens, at most ``limit`` characters, cut between words (only a
    first word longer than ``limit`` is cut inside): "Department for Education and Skills" at 30 is
    "department-for-education-and", never "department-for-education-and-s"."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    out = ""
    for word in words:
        longer = f"{out}-{word}" if out else word
        if len(longer) > limit:
            break
        out = longer
    return out or (words[0][:limit] if words else "") or "x"


def key_words(words: list[str]) -> list[str]:
    """``words`` without the stop words they end with: a key made of them does not stop on a word
    that leads on ("leontev-1978-activity-consciousness", not "…-consciousness-and")."""
    words = list(words)
    while words and words[-1] in TITLE_STOP:
        words.pop()
    return words
