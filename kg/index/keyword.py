"""Keyword backend: BM25 (bm25s) over the project's tokens (see :mod:`kg.index.text`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .text import stem_word, tokenize, unglued


class KeywordIndex:
    def __init__(self, model):
        self.model = model
        self._vocab = model.vocab_dict if hasattr(model, "vocab_dict") else {}
        self._glued: dict[str, list[str]] | None = None

    @classmethod
    def build(cls, texts: list[str], k1: float, b: float) -> "KeywordIndex":
        import bm25s

        model = bm25s.BM25(k1=k1, b=b)
        model.index([tokenize(text) or [""] for text in texts], show_progress=False)
        return cls(model)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens. A token the index lacks counts through
        the index's terms that are it glued to a short word ("climbie" finds "Climbiéand"); other
        unknown tokens are ignored."""
        known = self.searched_terms(tokens)
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)

    def searched_terms(self, tokens: list[str]) -> list[str]:
        """The index terms a query's tokens are searched as: those the index has, and for one it
        lacks, the terms that are it glued to a short word."""
        known = [t for t in tokens if t in self._vocab]
        return known + [g for t in tokens if t not in self._vocab for g in self.glued_terms().get(t, ())]

    def has_term(self, term: str) -> bool:
        return term in self._vocab or term in self.glued_terms()

    def glued_terms(self) -> dict[str, list[str]]:
        """The index's terms that are a word and a short word run together by a space the PDF's text
        lost ("climbieand", "managersthat"), by the word's own term ("climbi", "manag"). A term that
        is itself a word ("often", "england", "theory") is not one. Found once, on first need."""
        if self._glued is None:
            glued: dict[str, list[str]] = {}
            for term in self._vocab:
                for rest in unglued(term):
                    glued.setdefault(stem_word(rest), []).append(term)
            self._glued = glued
        return self._glued

    @property
    def size(self) -> int:
        return int(self.model.scores["num_docs"]) if hasattr(self.model, "scores") else 0

    def save(self, directory: Path) -> None:
        self.model.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, count: int | None = None) -> "KeywordIndex":
        """The index saved in ``directory`` (of ``count`` passages, when given). A file of it missing,
        cut short or garbled is a :class:`kg.library.LibraryError` naming that file."""
        import bm25s

        from ..library import READ_ERRORS, LibraryError, damaged

        try:
            model = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
            scores = model.scores
            data, indices, indptr = (np.asarray(scores[name]) for name in ("data", "indices", "indptr"))
            held = int(scores["num_docs"])
        except (*READ_ERRORS, KeyError, IndexError, TypeError, AttributeError) as exc:    # the last: JSON of another shape
            raise damaged(_unreadable_file(directory), exc) from None
        if not (len(data) == len(indices) == (int(indptr[-1]) if len(indptr) else 0)) \
                or (count is not None and held != count) or (len(indices) and int(indices.max()) >= held):
            raise LibraryError(f"{directory} does not match the passages of its build ({held} documents, "
                               f"{len(data)} scores); rebuild with `ckg build`")
        return cls(model)


# the files bm25s saves, in the order it reads them
_SAVED = (("params.index.json", "json"), ("vocab.index.json", "json"), ("data.csc.index.npy", "npy"),
          ("indices.csc.index.npy", "npy"), ("indptr.csc.index.npy", "npy"))


def _unreadable_file(directory: Path) -> Path:
    """Which saved file of a keyword index bm25s could not load: the first missing or unreadable one
    (read again only after a load failed), else the folder."""
    import json

    if not directory.is_dir():
        return directory
    for name, kind in _SAVED:
        path = directory / name
        try:
            if kind == "json":
                json.loads(path.read_text(encoding="utf-8"))
            else:
                np.load(path)
        except Exception:
            return path
    return directory
