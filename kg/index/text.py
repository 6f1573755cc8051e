"""Tokens for the keyword index: case and accents folded, compounds split and joined,
British and American spellings brought together, stop words dropped, words stemmed."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD_RE = re.compile(r"[^\W_]+(?:['’\-‐‑][^\W_]+)*")
_STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves also may might must shall us one s t
""".split())


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # pragma: no cover - PyStemmer is a dependency
        return None
    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=200_000)
def _spelling(word: str) -> str:
    """One spelling for British and American variants (applied to documents and queries alike)."""
    if len(word) > 5:
        word = re.sub(r"is(ation|ations|e|es|ed|ing|er|ers)$", r"iz\1", word)
        word = re.sub(r"our(s|ed|ing|al|ite|ites)?$", r"or\1", word) if not word.endswith(("four", "hour")) else word
        word = re.sub(r"tre(s)?$", r"ter\1", word)
        word = word.replace("programme", "program")
    return word


def _stem(word: str) -> str:
    stemmer = _stemmer()
    return stemmer.stemWord(word) if stemmer else word


@lru_cache(maxsize=200_000)
def word_terms(word: str) -> frozenset[str]:
    """Index terms of a single word (cached: used to find which words of a result matched)."""
    return frozenset(tokenize(word))


def tokenize(text: str) -> list[str]:
    """Index terms of a text; a compound "co-configuration" gives co, configuration and coconfiguration."""
    tokens: list[str] = []
    for match in _WORD_RE.finditer(fold(text)):
        word = match.group(0).replace("’", "'")
        word = re.sub(r"'s$", "", word)
        parts = [p for p in re.split(r"['\-‐‑]", word) if p]
        forms = parts + (["".join(parts)] if len(parts) > 1 else [])
        for form in forms:
            if form in _STOPWORDS or (len(form) < 2 and not form.isdigit()):
                continue
            tokens.append(_stem(_spelling(form)))
    return tokens


def word_counts(texts: list[str]) -> dict[str, int]:
    """How often each word (letters only, case folded) occurs: the spellings a misspelt query is
    compared with."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", text):
            word = word.casefold()
            counts[word] = counts.get(word, 0) + 1
    return counts
