"""Keyword backend: BM25 (bm25s) over the project's tokens (see :mod:`kg.index.text`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .text import tokenize


class KeywordIndex:
    def __init__(self, model):
        self.model = model
        self._vocab = model.vocab_dict if hasattr(model, "vocab_dict") else {}

    @classmethod
    def build(cls, texts: list[str], k1: float, b: float) -> "KeywordIndex":
        import bm25s

        model = bm25s.BM25(k1=k1, b=b)
        model.index([tokenize(text) or [""] for text in texts], show_progress=False)
        return cls(model)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (unknown tokens are ignored)."""
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)

    def has_term(self, term: str) -> bool:
        return term in self._vocab

    @property
    def size(self) -> int:
        return int(self.model.scores["num_docs"]) if hasattr(self.model, "scores") else 0

    def save(self, directory: Path) -> None:
        self.model.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> "KeywordIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(directory), show_progress=False, verbosity=0))
