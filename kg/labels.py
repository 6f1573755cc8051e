"""A concept label typed the way a reader types it → the concepts it names, best first.

Case, hyphenation (``co-production``, ``co production``, ``coproduction``), plurals and
British/American spelling are folded by the concept linker's own tokens
(:class:`kg.concepts.ConceptMatcher`); typos and unfinished words are caught by prefix and
edit-distance matching on the folded labels.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from .concepts import QUALIFIED_LABEL_RE, Concept, ConceptMatcher, _tokens

_ARTICLES = re.compile(r"^\s*(?:the|a|an)\s+", re.I)
# A label typed as a question or a request for its meaning: "what is relational agency?",
# "define co-production", "meaning of common knowledge", "the idea of third space".
_ASKING = re.compile(
    r"^\s*(?:(?:what|who)\s+(?:is|are|was|does|do)(?:\s+(?:meant\s+by|the\s+meaning\s+of))?|define|definition\s+of"
    r"|meaning\s+of|explain|the\s+(?:concept|idea|notion|term)\s+of|(?:concept|idea|notion|term)\s+of)\s+"
    r"|\s+(?:mean|means|definition|meaning|defined|concept)?\s*\??\s*$",
    re.I,
)


def bare_name(text: str) -> str:
    """A name without the words that ask about it and without a leading article: "what is the
    NECF?" → "NECF", "define co-production" → "co-production"."""
    return _ARTICLES.sub("", _ASKING.sub("", text))


@dataclass(frozen=True)
class _Label:
    concept_id: str
    label: str
    keys: tuple[str, ...]
    squashed: str
    preferred: bool
    loose: tuple[str, ...]      # _loose(keys): its words in any order, numbers as digits, small words left out
    numbers: frozenset[str]     # _numbers(keys), worked out once: resolve compares them for every label


_NUMBER_WORDS = frozenset({
    "one", "two", "three", "four", "five", "six", "first", "second", "third", "fourth", "fifth", "3rd",
})


def _numbers(keys: tuple[str, ...]) -> set[str]:
    """Numbers in a label: a typo is forgiven, "four" for "fourth" is not (levels of prevention)."""
    return {k for k in keys if k.isdigit() or k in _NUMBER_WORDS}


_DIGITS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
           "nine": "9", "ten": "10", "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th"}
# inside a name a reader may add or leave out ("bending the rules" for "rule-bending")
_FILLERS = frozenset({"the", "a", "an", "of", "to", "for", "in", "and", "&"})


def _loose(keys: tuple[str, ...]) -> tuple[str, ...]:
    """A label's words in any order, numbers as digits and the small words left out: "bending the
    rules" and "rule-bending", "5 outcomes" and "five outcomes" are one. A name with a number keeps
    its order: "the four levels of prevention" are not "level four prevention"."""
    kept = tuple(_DIGITS.get(k, k) for k in keys if k not in _FILLERS)
    if not any(k[:1].isdigit() for k in kept):
        kept = tuple(sorted(kept))
    return kept or keys


def _same_family(a: str, b: str) -> bool:
    """Words of one family, as a reader turns a name into another part of speech: "socially" and
    "social", "excluded" and "exclusion" (a common beginning of five letters or more, at most four
    letters after it in either)."""
    if a == b:
        return True
    common = len(os.path.commonprefix([a, b]))
    return common >= 5 and len(a) - common <= 4 and len(b) - common <= 4


# "inter-agency" and "multi-agency", "interprofessional" and "multi-professional": the documents use
# them interchangeably, a name written with one is looked up with the other too (a little below)
_INTER_MULTI = re.compile(r"\b(inter|multi)(\s*-?\s*)(?=agen|profession|disciplin)", re.I)


def _other_prefix(text: str) -> str | None:
    swapped = _INTER_MULTI.sub(lambda m: ("multi" if m.group(1).lower() == "inter" else "inter") + m.group(2), text)
    return swapped if swapped != text else None


def _one_family(words: tuple[str, ...], others: tuple[str, ...]) -> bool:
    """Each word paired with one of the other name's words of its family, in any order (in order where
    the names hold a number, as _loose keeps them); not both the same."""
    if len(words) != len(others) or words == others:
        return False
    if any(w[:1].isdigit() for w in words + others):
        return all(_same_family(a, b) for a, b in zip(words, others))
    left = list(others)
    for word in words:
        match = next((i for i, other in enumerate(left) if _same_family(word, other)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def _only_function_words(text: str) -> bool:
    from .index.text import _STOPWORDS

    words = re.findall(r"[^\W_]+", text.casefold())
    return bool(words) and all(word in _STOPWORDS for word in words)


def _keys(text: str) -> tuple[str, ...]:
    return tuple(key for key, _, _ in _tokens(text))


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (a transposition counts one), or limit + 1 when larger
    (rapidfuzz's, in C: the concept finder compares a name with every label)."""
    return OSA.distance(a, b, score_cutoff=limit)


class LabelResolver:
    """Resolves typed labels against the concepts of a build (dicts as in concepts.json, or Concepts)."""

    def __init__(self, concepts: dict[str, Any]):
        self.concepts: dict[str, Concept] = {
            cid: c if isinstance(c, Concept) else Concept(**{k: v for k, v in c.items() if k in Concept.__dataclass_fields__})
            for cid, c in concepts.items()
        }
        self.matcher = ConceptMatcher(self.concepts)
        self.labels: list[_Label] = []
        for concept in self.concepts.values():
            for label in dict.fromkeys(concept.labels):
                keys = _keys(label)
                if keys:
                    self.labels.append(_Label(concept.id, label, keys, "".join(keys), label == concept.pref_label, _loose(keys),
                                              frozenset(_numbers(keys))))
                # a homonym qualified in the thesaurus way, "mediation (activity theory)", is also the bare term
                qualified = QUALIFIED_LABEL_RE.fullmatch(label)
                bare = _keys(qualified.group(1)) if qualified else ()
                if bare and bare != keys:
                    self.labels.append(_Label(concept.id, label, bare, "".join(bare), False, _loose(bare), frozenset(_numbers(bare))))
        self.by_keys: dict[tuple[str, ...], list[_Label]] = {}
        self.by_squashed: dict[str, list[_Label]] = {}
        self.by_sorted_keys: dict[tuple[str, ...], list[_Label]] = {}
        self.by_loose_keys: dict[tuple[str, ...], list[_Label]] = {}
        for label in self.labels:
            self.by_keys.setdefault(label.keys, []).append(label)
            self.by_sorted_keys.setdefault(tuple(sorted(label.keys)), []).append(label)
            self.by_loose_keys.setdefault(label.loose, []).append(label)
            self.by_squashed.setdefault(label.squashed, []).append(label)

    def resolve(self, text: str, limit: int = 10) -> list[dict[str, Any]]:
        """[{"id", "score", "label"}] best first; an empty text gives []."""
        text = " ".join((text or "").split())[:200]
        if not text or _only_function_words(text):
            return []       # "a", "the", "of and": no concept is named by words every text holds
        scores: dict[str, tuple[float, str]] = {}

        def offer(concept_id: str, score: float, label: str) -> None:
            if concept_id not in scores or score > scores[concept_id][0]:
                scores[concept_id] = (score, label)

        asked = bare_name(text) or text
        for variant in dict.fromkeys([text, _ARTICLES.sub("", text), asked]):
            keys = _keys(variant)
            if not keys:
                continue
            squashed = "".join(keys)
            for label in self.by_keys.get(keys, []):
                offer(label.concept_id, 1.0 if label.preferred else 0.97, label.label)
            for label in self.by_squashed.get(squashed, []):
                offer(label.concept_id, 0.95 if label.preferred else 0.93, label.label)
            # the label's words in another order: "prevention level 2" for "level 2 prevention"
            for label in self.by_sorted_keys.get(tuple(sorted(keys)), []) if len(keys) > 1 else []:
                offer(label.concept_id, 0.91 if label.preferred else 0.9, label.label)
            # …with small words added or left out, or a number in digits: "bending the rules", "5 outcomes"
            loose = _loose(keys)
            for label in self.by_loose_keys.get(loose, []):
                offer(label.concept_id, 0.89 if label.preferred else 0.88, label.label)
            mentions = self.matcher.find(variant)
            if mentions and len(mentions) == 1 and mentions[0]["end"] - mentions[0]["start"] >= len(variant.strip()) - 1:
                offer(mentions[0]["concept_id"], 0.9, mentions[0]["label"])
            for mention in mentions:     # several concepts named: the one covering more of the text first
                offer(mention["concept_id"], 0.6 + 0.1 * (mention["end"] - mention["start"]) / len(variant), mention["label"])
            limit_d = 0 if len(squashed) < 4 else 1 if len(squashed) < 8 else 2 if len(squashed) < 16 else 3
            # "TAC", "LSCB": typed in capitals, an acronym, not the beginning of a word nor a slip of one
            acronym = variant.isalpha() and variant.isupper() and len(variant) <= 6
            if acronym:
                limit_d = 0
            numbers = _numbers(keys)
            for label in self.labels:
                # an unfinished word ("relat", "co-conf") completes to the labels it begins; whole words
                # ("knowledge") are matched below, wherever they stand in a label
                whole_words = label.keys[:len(keys)] == keys
                if (len(squashed) >= 3 and not acronym and label.squashed.startswith(squashed) and label.squashed != squashed
                        and not whole_words):
                    offer(label.concept_id, 0.8 - 0.2 * (1 - len(squashed) / len(label.squashed)) + (0.01 if label.preferred else 0), label.label)
                if limit_d and numbers == label.numbers:
                    d = distance(squashed, label.squashed, limit_d)
                    if d <= limit_d:
                        offer(label.concept_id, 0.88 - 0.06 * d + (0.01 if label.preferred else 0), label.label)
                    elif len(keys) > 1 and len(keys) == len(label.keys) and all(
                            distance(a, b, 1 if len(a) < 8 else 2) <= (1 if len(a) < 8 else 2) for a, b in zip(keys, label.keys)):
                        offer(label.concept_id, 0.75, label.label)
                # a name of two words or more turned into another part of speech: "socially excluded"
                if len(loose) > 1 and _one_family(loose, label.loose):
                    offer(label.concept_id, 0.72 + (0.01 if label.preferred else 0), label.label)
                if set(keys) <= set(label.keys) and len(keys) < len(label.keys):
                    offer(label.concept_id, 0.5 + 0.1 * len(keys) / len(label.keys) + (0.01 if label.preferred else 0),
                          label.label)
        swapped = _other_prefix(asked)
        if swapped:     # "multi-agency cooperation" where the scheme writes "inter-agency cooperation"
            keys = _keys(swapped)
            for label in (self.by_keys.get(keys, []) + self.by_squashed.get("".join(keys), [])
                          + self.by_loose_keys.get(_loose(keys), [])):
                offer(label.concept_id, 0.86, label.label)
        # equally good matches (homonyms): a concept the library defines before one it does not
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], not self.concepts[kv[0]].definitions,
                                                        self.concepts[kv[0]].pref_label.casefold()))
        return [{"id": cid, "score": round(score, 3), "label": label} for cid, (score, label) in ranked[:limit]]

    def named_exactly(self, text: str) -> list[dict[str, str]]:
        """The concepts whose label (or the bare form of a qualified one) is ``text`` up to case,
        hyphens, plurals and spelling: one for most labels, several for a homonym ("mediation").
        A dictionary lookup, cheap enough for every search."""
        text = " ".join((text or "").split())[:200]
        found: dict[str, str] = {}
        for variant in dict.fromkeys([text, _ARTICLES.sub("", text), bare_name(text)]):
            for label in self.by_keys.get(_keys(variant), []) if variant else []:
                found.setdefault(label.concept_id, label.label)
        return [{"id": cid, "label": label} for cid, label in found.items()]

    def best(self, text: str) -> str | None:
        found = self.resolve(text, limit=1)
        return found[0]["id"] if found and found[0]["score"] >= 0.7 else None
