"""Hybrid search over a built library: meaning (embeddings of passages and of their sentences),
keywords (BM25) and the concept scheme, with filters, facets and "why it matched"."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from rapidfuzz.distance import OSA

from ..citations.intext import without_citations
from ..citations.references import STUDY_SECTION_RE
from ..concepts import Concept, ConceptMatcher
from ..library import LibraryError, read_build_file, read_json
from ..quotes import (ROLE_RES, SPEAKING_ING, not_quoted_message, role_words_in, roles_in, speaker_roles_in, speakers_in,
                      speakers_not_quoted, with_narrower_roles)
from .build import (INDEX_DIR, INDEX_FORMAT, LEAD_INS_FILE, TOKEN_OFFSETS_FILE, TOKEN_SCALE, TOKEN_VECTORS_FILE, WORDS_FILE,
                    passage_embedding_text)
from .dense import VectorIndex
from .embed import cache_folder, model_fingerprint
from .embed_onnx import query_encoder
from .keyword import KeywordIndex
from .abbreviations import ABBREVIATIONS_FILE, Abbreviations, holds_form, occurrences
from .thesaurus import SYNONYMS_FILE, forms_to_look_up
from .text import BOUND_PREFIXES, QueryWords, name_readings, open_compounds, regular_bases, tokenize, word_counts, word_terms

MODES = ("hybrid", "bm25", "dense")
FILTERS = ("source", "type", "study", "concept", "year", "kind")
_QUOTE_INTENT_RE = re.compile(
    r"\b(quotes?|quoted|quotations?|said|says|say|saying|words|told|tells|voices?|testimonials?|in (?:their|her|his) own words)\b", re.I
)
# "can the report already say what works": a document or "it" saying something is a finding, not someone's words
_DOCUMENT_SAYS_RE = re.compile(
    r"\b(?:it|this|report|study|evaluation|chapter|paper|article|document|evidence|research|book|slides|guidance|"
    r"findings?|data|literature)\s+(?:\w+\s+)?(?:say|says|said|saying|tell|tells|told)\b", re.I)
_WORKS_INTENT_RE = re.compile(
    r"\b(?:(?:1[89]|20)\d\d[a-z]?|in press|cites?|cited|citing|citations?|references?|bibliograph\w*|reading lists?|"
    r"publications?|published|papers?|books?|articles?|et al|titles?|titled|report (?:no\.?|numbers?)|isbn|doi|"
    r"(?:which|what) journals?|publishers?)\b", re.I)
# a query asking where an idea came from: who introduced, coined, is credited with it; its origins
_ORIGIN_INTENT_RE = re.compile(
    r"\b(?:who|whose|which (?:authors?|scholars?|writers?|researchers?|theorists?|thinkers?))\b[^?]{0,80}?"
    r"\b(?:introduc|coin|originat|propos|invent|formulat|credit|cited|came up|put forward|devis|conceiv|first)\w*|"
    r"\b(?:origins?|originat\w*|roots|coined|introduced by|credited|lineage|genealogy)\b|"
    r"\bwhere (?:does|did|do)\b.+\bcome from\b|\bcame from\b", re.I)
_CANDIDATES = 300
_FACET_DEPTH = 100       # facets count the best results: in hybrid mode nearly every passage has some score
_WORD_SAMPLE = 100_000   # passages counted for spelling suggestions when a build has no word list
_SHORT_QUOTE_WORDS = 12     # quotes shorter than this are matched through their setting
_WORD_PAIR_SIMILARITY = 0.55   # a query word and a passage word this close by their token vectors are said to match in meaning
_TOKENS_IN_MEMORY = 250_000    # token vectors held as float32 in memory up to here (~380 MB); above, read from the file
_CONCEPT_CANDIDATES = 500     # passages of a concept the query names, strongest first
_OTHER_WORDS_ROWS = 20_000     # passages looked at for the words merely stemmed like a query word's
_SCORE_ROUNDING = 1e-4         # a keyword score left by a subtraction below this share is none
# a question whose answer is a count or an amount ("how many practitioners", "size of the grant")
# "how many …", "size of the grant", "what was the budget of NECF", "what were the total costs"
_QUANTITY_INTENT_RE = re.compile(
    r"\bhow (?:many|much|long|large|big)\b|\b(?:number|size|scale|amount) of\b"
    r"|\bwhat(?:'s|’s| (?:was|were|is|are)) (?:the|its|their|his|her) (?:[\w'’-]+ ){0,2}?"
    r"(?:budgets?|costs?|grants?|funding|awards?|spend(?:ing)?|size|scale|number|total)\b", re.I)
_MONEY_INTENT_RE = re.compile(r"\b(?:grants?|budgets?|costs?|costing|funding|money|awards?|spend\w*|savings?|worth)\b|[£$€]", re.I)
_NUMBER_WORDS = ("three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
                 "eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|dozens?")
# a count of things ("83 professionals", "14 stages", "eighteen case studies"), not a year, page or volume
# (a capitalised word after the number is a heading's or a contents line's: "3 Third section")
_COUNT_RE = re.compile(rf"(?<![\w.,:(/-])(?:(?!(?:1[89]|20)\d\d\b)\d[\d,]*|(?i:{_NUMBER_WORDS}))\s+(?!and\b|or\b|to\b|per\b)[a-z]{{3,}}")
_MONEY_RE = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:m|k|bn|million|billion|pounds)\b", re.I)
_WORDS_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_LETTERS_RE = re.compile(r"[^\W\d_]+")


class SearchError(ValueError):
    """A query or parameter the search cannot take; the message names it and says what to do."""


class QueryTooLong(SearchError):
    """A query over the settings' max_query_chars; a caller names the query as it takes it (the web's q)."""

    def __init__(self, length: int, limit: int):
        super().__init__(f"the query is {length} characters long; the limit is {limit}: shorten it")
        self.length, self.limit = length, limit


@dataclass
class Hit:
    row: int
    score: float
    dense: float = 0.0
    keyword: float = 0.0
    concept: float = 0.0
    window_similarity: float = 0.0
    quote_id: str | None = None        # the quotation that matched a query asking for a quote
    credits: list[dict[str, Any]] | None = None   # the concepts it credits to works, for a query asking where one came from
    holds_words: bool = False   # holds a word of the query itself, not only of a named concept's other labels
    token_match: float | None = None    # the word-by-word meaning match: of the results it re-ranked and of those shown


@dataclass
class SearchResponse:
    query: str
    mode: str
    total: int
    offset: int
    results: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    concepts: list[str] = field(default_factory=list)
    message: str | None = None
    facets_over: int = 0     # the facet counts are over the best this many results, not over all `total`
    facets_about: list[str] = field(default_factory=list)   # or, for a query naming only concepts, over those linked to them
    with_words: int | None = None   # how many of the `total` hold a word of the query; the rest are near in meaning only
    unknown_words: list[str] = field(default_factory=list)   # words of the query that no passage contains
    did_you_mean: str | None = None                          # the query with those words spelt as the library spells them
    searched_for: str | None = None    # set when no word of the query occurs: the results are for did_you_mean


class Searcher:
    """Loaded from a release directory; thread-safe for concurrent searches."""

    def __init__(self, release: Path, passages: list[dict[str, Any]], sources: dict[str, dict[str, Any]],
                 concepts: dict[str, dict[str, Any]], links: dict[str, dict[str, Any]], settings,
                 quotes: list[dict[str, Any]] | None = None,
                 study_sources: Callable[[], dict[str, dict[str, set[str]]]] | None = None,
                 credits: Callable[[str], dict[str, dict[str, Any]]] | None = None):
        """``study_sources``: called the first time a search filters by study, it maps a study's id and
        each of its names (case-folded) to {"sources": the sources that report it, "names": all its
        names}; without it a study filter matches the names in the sources' catalogue entries only.
        ``credits``: a concept id → the passages that credit it to a work (a citation by its name),
        each with its ``place`` (0 for the earliest work's) and the ``works``; lifted, the earliest most,
        when a query asks where a concept it names came from."""
        # every file of the index is checked as it is loaded: one missing, cut short or garbled is a
        # LibraryError naming it ("rebuild with `ckg build`"), never numpy's, FAISS's or bm25s's own error
        directory = self._directory = release / INDEX_DIR
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            raise LibraryError(f"{manifest_path} is missing: the build holds no search index; rebuild with `ckg build`")
        self.manifest = read_json(manifest_path, dict)
        if self.manifest.get("format") != INDEX_FORMAT:
            raise LibraryError(f"{manifest_path}: index format {self.manifest.get('format')} is not {INDEX_FORMAT}; rebuild with `ckg build`")
        if not isinstance(self.manifest.get("model"), str):
            raise LibraryError(f"{manifest_path} is damaged (it names no embedding model); rebuild with `ckg build`")
        ids = read_json(directory / "passage_ids.json", list)
        by_id = {p["passage_id"]: p for p in passages}
        if [pid for pid in ids if not isinstance(pid, str) or pid not in by_id] or len(ids) != len(passages):
            raise LibraryError(f"{directory / 'passage_ids.json'} does not match the passages of its build; rebuild with `ckg build`")
        self.settings = settings
        self.root = release
        self.passages = [by_id[pid] for pid in ids]
        self.sources = sources
        self.concepts = concepts
        self.links = links
        self.quotes = quotes or []          # the build's quotations: a query asking for a quote also ranks by them
        self._study_sources_of = study_sources
        self._credits_of = credits
        self._study_sources: dict[str, dict[str, set[str]]] | None = None
        self._word_counts: Counter | None = None
        self._names_before: dict[str, str] | None = None
        self._term_words: dict[str, list[str]] | None = None
        self._word_lengths: dict[tuple[str, int], list[str]] | None = None
        self._synonyms: dict[str, list[str]] | None = None
        self._abbreviations: Abbreviations | None = None
        self._form_rows: dict[str, tuple[np.ndarray, float]] = {}
        self._quote_by_id = {q["quote_id"]: q for q in self.quotes}
        self.features = read_json(directory / "features.json", dict)
        self.passage_vectors = _vectors(directory / "passage_vectors.npy", len(ids), self.manifest.get("dimension"))
        owner = _array(directory / "window_owner.npy", ndim=1)
        self.window_vectors = _vectors(directory / "window_vectors.npy", len(owner), self.passage_vectors.shape[1])
        if len(owner) and not (0 <= int(owner.min()) and int(owner.max()) < len(ids)):
            raise LibraryError(f"{directory / 'window_owner.npy'} does not match the passages of its build; rebuild with `ckg build`")
        self.window_bounds = _bounds(owner, len(ids))
        self._window_starts = np.array([b[0] for b in self.window_bounds], dtype=np.int64)
        self._window_ends = np.array([b[1] for b in self.window_bounds], dtype=np.int64)
        # up to ~200k windows, one in-memory product per query beats slicing the memory map
        self._all_windows = np.ascontiguousarray(self.window_vectors) if len(owner) <= 200_000 else None
        with_windows = np.flatnonzero(self._window_ends > self._window_starts)
        self._reduce_starts = self._window_starts[with_windows]
        self._reduce_index = np.zeros(len(ids), dtype=np.int64)
        self._reduce_index[with_windows] = np.arange(len(with_windows))
        self.passage_index = _vector_index(directory / "passages.faiss", self.manifest.get("vector_index"), len(ids))
        self.window_index = _vector_index(directory / "windows.faiss", self.manifest.get("window_index"), len(owner))
        self.window_owner = owner
        self.token_vectors: np.ndarray | None = None     # the word-by-word meaning match's, where the build kept them
        self._token_offsets: np.ndarray | None = None
        self._token_scale = 1.0         # what a stored token vector's parts are multiplied by
        if self.manifest.get("token_vectors"):     # the build kept them: the file must be there
            self.token_vectors = _array(directory / TOKEN_VECTORS_FILE, ndim=2, mmap=True)
            self._token_scale = 1.0 / TOKEN_SCALE if self.token_vectors.dtype == np.int8 else 1.0   # float16 before int8
            if len(self.token_vectors) <= _TOKENS_IN_MEMORY:    # int8 → float32 on every query would cost more than the product
                self.token_vectors = np.asarray(self.token_vectors, dtype=np.float32) * np.float32(self._token_scale)
                self._token_scale = 1.0
            self._token_offsets = _array(directory / TOKEN_OFFSETS_FILE, ndim=1)
            if len(self._token_offsets) != len(ids) + 1 or int(self._token_offsets[-1]) != len(self.token_vectors):
                raise LibraryError(f"{directory / TOKEN_VECTORS_FILE} and {TOKEN_OFFSETS_FILE} do not match the passages of "
                                   "its build; rebuild with `ckg build`")
        self.keyword = KeywordIndex.load(directory / "bm25", len(ids))
        self.matcher = ConceptMatcher({cid: Concept(**c) for cid, c in concepts.items()})
        built_with = self.manifest.get("model_fingerprint")
        adapter = self.manifest.get("adapter")      # the build's own, whatever the settings say now
        if built_with and built_with != model_fingerprint(self.manifest["model"], adapter):
            raise ValueError(f"the embedding model {self.manifest['model']!r} (adapter {adapter or 'none'}) has changed since "
                             "this build was made (its files differ), so the passages' vectors no longer match the queries'; "
                             "rebuild with `ckg build`")
        self.embedder = query_encoder(self.manifest["model"], settings, cache_folder(release, settings), adapter)
        self._row_concepts = [self._concepts_of(p["passage_id"]) for p in self.passages]
        self._row_defines = [set(links.get(p["passage_id"], {}).get("defines", [])) for p in self.passages]
        self._vectors: dict[str, np.ndarray] = {}
        self._query_tokens: dict[str, np.ndarray] = {}
        self._query_pieces: dict[str, list[tuple[str, list[int], frozenset[str]]]] = {}
        self._passage_piece_words: dict[int, tuple[list[str], frozenset[str]]] = {}
        self._expansions: dict[tuple, tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]] = {}
        self._pairs: dict[str, list[tuple[str, str]]] = {}      # each shown passage's open compounds, found once
        self._row_of = {p["passage_id"]: i for i, p in enumerate(self.passages)}
        self._row_tags = [set(self.features.get(p["passage_id"], {}).get("tags", [])) for p in self.passages]
        self._voices = np.array([self.features.get(p["passage_id"], {}).get("participant_quotes", 0) > 0
                                 for p in self.passages], dtype=np.float64)    # passages quoting a participant
        self._row_roles = [set(self.features.get(p["passage_id"], {}).get("roles", [])) for p in self.passages]
        self._quoting: dict[frozenset[str], list[int]] = {}     # rows quoting a set of roles, asked for before
        self._speaker_words: list[tuple[int, frozenset[str]]] | None = None
        self._concept_rows = self._rows_by_concept()
        self._bibliography = np.array([is_bibliography(p) for p in self.passages], dtype=np.float64)
        self._counts = np.array([bool(_COUNT_RE.search(p["text"])) for p in self.passages], dtype=np.float64)
        self._money = np.array([bool(_MONEY_RE.search(p["text"])) for p in self.passages], dtype=np.float64)
        self._filter_columns: dict[str, tuple[list[str], np.ndarray]] = {}

    def _rows_by_concept(self) -> dict[str, np.ndarray]:
        """For each concept, the rows of its passages, strongest first (defining, then most mentions),
        so a query naming a concept adds a bounded number of candidates however large the library."""
        strength: dict[str, list[tuple[int, int, int]]] = {}
        for row, passage in enumerate(self.passages):
            link = self.links.get(passage["passage_id"])
            if not link:
                continue
            counts = Counter(m["concept_id"] for m in link.get("mentions", []))
            defines = set(link.get("defines", []))
            for cid in counts.keys() | defines:     # a passage a definition is quoted from may not name the concept
                strength.setdefault(cid, []).append((-(cid in defines), -counts[cid], row))
        return {cid: np.array([row for *_, row in sorted(items)], dtype=np.int64) for cid, items in strength.items()}

    def _concepts_of(self, passage_id: str) -> list[str]:
        """The concepts a passage mentions, in order, then those it defines without naming them."""
        link = self.links.get(passage_id, {})
        return list(dict.fromkeys([m["concept_id"] for m in link.get("mentions", [])] + list(link.get("defines", []))))

    # --- the search ---------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, mode: str = "hybrid", offset: int = 0,
               filters: dict[str, str] | None = None, respell: bool = True) -> SearchResponse:
        """``respell``: when no word of the query occurs in the library but a respelling does
        ("relashional agensy"), search for the respelling and say so."""
        query = (query or "").strip()
        mode = mode or "hybrid"
        if mode not in MODES:
            raise SearchError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not 1 <= k <= self.settings.max_results:
            raise SearchError(f"k must be between 1 and {self.settings.max_results}")
        if offset < 0:
            raise SearchError("offset must be 0 or more")
        if len(query) > self.settings.max_query_chars:
            raise QueryTooLong(len(query), self.settings.max_query_chars)
        filters = {key: value for key, value in (filters or {}).items() if value not in (None, "")}
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise SearchError(f"unknown filter {sorted(unknown)[0]!r}; filters are {', '.join(FILTERS)}")
        if not query and not filters:
            return SearchResponse(query, mode, 0, offset, [], message="Type a question, a phrase or a concept.")
        if not query:
            return self._browse(mode, offset, k, filters)
        asked = _keyword_text(query)
        tokens = tokenize(asked)
        query_concepts = self.matcher.concepts_in(query)
        if not tokens and not query_concepts and not re.search(r"\w{2,}", query):
            return SearchResponse(query, mode, 0, offset, [], message="Nothing to search for in this query.")
        synonyms = self._synonyms_asked(query) if mode != "dense" else {}     # once: the message, ranking and results use it
        unknown, did_you_mean, message, none_found = self._spelling_help(query, query_concepts, mode, synonyms)
        if respell and none_found and did_you_mean:
            respelt = self.search(did_you_mean, k=k, mode=mode, offset=offset, filters=filters, respell=False)
            if respelt.total:
                named = ", ".join(f"“{w}”" for w in unknown)
                respelt.query, respelt.unknown_words, respelt.did_you_mean = query, unknown, did_you_mean
                respelt.searched_for = did_you_mean
                respelt.message = f"No passage contains {named}: showing the results for “{did_you_mean}”."
                return respelt
        allowed = self._mask(filters)
        if allowed is not None and not allowed.any():
            message = self._filters_matching_nothing(filters) or "No passage has these filters together."
        elif allowed is not None:
            message = message or self._values_matching_nothing(filters)
        shortened = self._abbreviations_asked(query) if mode != "dense" else {}
        hits = self._score(query, tokens, query_concepts, mode, allowed, synonyms, shortened=shortened)
        if mode == "hybrid" and not query_concepts and not any(hit.holds_words or hit.credits or hit.quote_id for hit in hits):
            # nothing but nearness in meaning ("xqzvkkjw qqqpl"): the nearest few, not the whole library
            hits = hits[:self.settings.meaning_only_results]
        total = len(hits)
        page = hits[offset:offset + k]
        message = message or _past_the_end(offset, total)
        vector = self._query_vector(query) if mode != "bm25" else None
        if vector is not None and self.token_vectors is not None:     # the shown results' word-by-word match explains them
            unmatched = [hit for hit in page if hit.token_match is None]
            if unmatched:
                for hit, match in zip(unmatched, self._token_matches(query, [hit.row for hit in unmatched]).tolist()):
                    hit.token_match = match
        words = QueryWords(asked) if tokens else None
        stand_ins = _stand_in_terms(synonyms)
        results = [self._result(hit, tokens, words, query_concepts, mode, vector, stand_ins, query, shortened) for hit in page]
        counted = hits[:_FACET_DEPTH]
        about: list[str] = []
        if query_concepts and self._names_only_concepts(tokens, query_concepts):
            # "relational agency": the facets say which sources, kinds… discuss it, not where the passages
            # merely near it in meaning are (the report that never names it had led the source facet)
            asked = set(query_concepts)
            linked = [hit for hit in hits if asked.intersection(self._row_concepts[hit.row])]
            if linked:
                counted, about = linked, query_concepts
        return SearchResponse(query, mode, total, offset, results, self._facets(counted), query_concepts,
                              message=message, facets_over=len(counted), facets_about=about, unknown_words=unknown,
                              did_you_mean=did_you_mean, with_words=sum(hit.holds_words for hit in hits))

    def _browse(self, mode: str, offset: int, k: int, filters: dict[str, str]) -> SearchResponse:
        """No query, only filters ("every passage about prevention"): the passages they let through,
        those of the concepts filtered on strongest first (defining, then most mentions), else in
        document order."""
        allowed = self._mask(filters)
        wanted = [c.strip() for c in str(filters.get("concept", "")).split(",") if c.strip()]
        ordered = [int(r) for cid in wanted for r in self._concept_rows.get(cid, ())]
        ordered += range(len(self.passages))
        rows = [r for r in dict.fromkeys(ordered) if allowed is None or allowed[r]]
        hits = [Hit(r, 0.0) for r in rows]
        results = [self._result(hit, [], None, wanted, mode, None) for hit in hits[offset:offset + k]]
        message = (_past_the_end(offset, len(rows)) or self._values_matching_nothing(filters) if rows
                   else (self._filters_matching_nothing(filters) or "No passage has these filters."))
        return SearchResponse("", mode, len(hits), offset, results, self._facets(hits[:_FACET_DEPTH]), wanted,
                              message=message, facets_over=min(len(hits), _FACET_DEPTH))

    def _credited_rows(self, query: str, query_concepts: list[str]) -> dict[int, tuple[int, list[dict[str, Any]]]]:
        """When the query asks where a concept it names came from: the rows crediting that concept to a
        work, each with its place (0 for the earliest work's) and what it credits to which works."""
        if not query_concepts or self._credits_of is None or not _ORIGIN_INTENT_RE.search(query):
            return {}
        rows: dict[int, tuple[int, list[dict[str, Any]]]] = {}
        for cid in query_concepts:
            label = self.concepts.get(cid, {}).get("pref_label", cid)
            for pid, credit in self._credits_of(cid).items():
                row = self._row_of.get(pid)
                if row is not None:
                    place, said = rows.get(row, (credit["place"], []))
                    rows[row] = (min(place, credit["place"]),
                                 said + [{"concept_id": cid, "label": label, "works": list(credit["works"])}])
        return rows

    def _spelling_help(self, query: str, query_concepts: list[str], mode: str,
                       synonyms: dict[str, list[str]]) -> tuple[list[str], str | None, str | None, bool]:
        """The query's words that no passage contains, the query respelt with the library's nearest
        words (typos: "relashional" → "relational"), a note saying what the results are then worth,
        and whether no word of the query (nor a concept it names) is in the library at all
        (``synonyms``: ``_synonyms_asked`` of the query)."""
        # "co-configuraton": each part of a compound on its own; "quote", "said" ask for a kind of
        # passage and need not be in the library
        words = _LETTERS_RE.findall(_QUOTE_INTENT_RE.sub(" ", query))
        # a word naming a speaker's role ("SENCO", "EWO") is understood through the quotes' roles, though
        # the text may spell the role out ("special educational needs coordinator")
        unknown = [w for w in dict.fromkeys(words) if word_terms(w) and not self._in_library(w) and not roles_in(w)]
        if not unknown:
            return [], None, None, False
        # a word searched as its synonyms ("cure-all" as "panacea") is an English word, not a slip to respell
        replaced = {part.casefold() for word in synonyms for part in _LETTERS_RE.findall(word)}
        respelt = {w: self._nearest_word(w) for w in unknown if w.casefold() not in replaced}
        did_you_mean = None
        if any(respelt.values()):
            did_you_mean = _LETTERS_RE.sub(lambda m: respelt.get(m.group(0)) or m.group(0), query)
        named = ", ".join(f"“{w}”" for w in unknown)
        if synonyms and all(w.casefold() in replaced for w in unknown):
            # named as asked ("cure-all", not its part "cure"), each with the synonyms it is searched by
            named = ", ".join(f"“{word}”" for word in synonyms)
            said = "; ".join(f"“{word}” as {', '.join(f'“{s}”' for s in found)}" for word, found in synonyms.items())
            # the words as asked, as the note names them ("cure-all", not its part "cure")
            return list(synonyms), None, f"No passage contains {named}: searched by synonyms the library uses ({said}).", False
        if len(unknown) < len({w for w in words if word_terms(w)}) or query_concepts:
            # other words found: a word the library lacks ("who coined …") is worth a note only as a typo
            return unknown, did_you_mean, f"Not found in the library: {named}." if did_you_mean else None, False
        if mode == "bm25":
            return unknown, did_you_mean, f"No passage contains {named}.", True
        return unknown, did_you_mean, (f"No passage contains {named}: the passages below are only the nearest in "
                                       "meaning, which may not be related."), True

    def _in_library(self, word: str) -> bool:
        """Whether the library holds a word as a reader would take it: itself or a form of it
        ("resiliance" is not in it, though the stemmer cuts it and "resilience" alike)."""
        terms = word_terms(word)
        if not any(self.keyword.has_term(t) for t in terms):
            return False
        library = [w for t in terms for w in self._words_by_term().get(t, ())]
        asked = QueryWords(word)
        return not library or any(asked.matches(w) for w in library)   # none listed: a word glued to another

    def _nearest_word(self, word: str) -> str | None:
        """The library's most frequent word that is spelt almost like ``word`` (None for numbers and
        for words nothing resembles)."""
        import difflib

        folded = word.casefold()
        if len(folded) < 4 or not folded.isalpha():
            return None
        if _english_word(folded):
            return None     # an English word the library lacks ("promise", "clashing") is not a typo of one it has ("premised", "clothing")
        groups = self._word_groups()      # a typo seldom falls on the first letter: only those words are compared
        candidates = [w for n in range(len(folded) - 2, len(folded) + 3) for w in groups.get((folded[0], n), ())]
        close = [w for w in difflib.get_close_matches(folded, candidates, n=8, cutoff=0.75)
                 if _typo_distance(folded, w) <= (1 if len(folded) <= 6 else 2)]   # a typo, not another word
        if not close:
            return None
        best = max(close, key=lambda w: (round(difflib.SequenceMatcher(None, folded, w).ratio(), 2), self._library_words()[w]))
        return best if word[:1].islower() else best[:1].upper() + best[1:]

    def _synonyms_asked(self, query: str) -> dict[str, list[str]]:
        """Each word of the query that no passage uses, with its synonyms that passages do use
        ("cure-all": ["panacea"]); see kg/index/thesaurus.py."""
        if self.settings.synonym_weight <= 0:
            return {}
        if self._synonyms is None:
            self._synonyms = read_json(self._directory / SYNONYMS_FILE, dict, default={})
        asked = _keyword_text(query)
        own = set(tokenize(asked))
        found: dict[str, list[str]] = {}
        for word in _WORDS_RE.findall(asked):
            terms = tokenize(word)
            if not terms or all(self.keyword.has_term(t) for t in terms):
                continue
            filed = next((form for form in forms_to_look_up(word) if form in self._synonyms), None)
            synonyms = [s for s in self._synonyms.get(filed, ()) if filed and not set(tokenize(s)) <= own]
            if synonyms:
                found.setdefault(word, synonyms)
        return found

    def _abbreviations_asked(self, query: str) -> dict[str, str]:
        """The query's abbreviations the library spells out, and long forms it abbreviates, each with
        its other form ({"CWDC": "Children's Workforce Development Council"}); see
        kg/index/abbreviations.py."""
        if self.settings.abbreviation_weight <= 0:
            return {}
        if self._abbreviations is None:
            path = self._directory / ABBREVIATIONS_FILE     # a build made before abbreviations has none
            self._abbreviations = Abbreviations(read_json(path, dict, default={}))
        return self._abbreviations.forms_asked(query)

    def _rows_holding(self, form: str) -> tuple[np.ndarray, float]:
        """The rows of the passages (or their headings) holding ``form`` as whole words, any case (those
        the keyword index gives every word of it, then read), and the keyword score the form's own words
        typically have there (the median); found once a form."""
        found = self._form_rows.get(form)
        if found is None:
            terms = tokenize(form)
            holding = np.ones(len(self.passages), bool) if terms else np.zeros(len(self.passages), bool)
            for term in terms:
                holding &= self.keyword.scores([term]) > 0
            rows = np.asarray([row for row in np.flatnonzero(holding).tolist()
                               if holds_form(self.passages[row]["text"], form)
                               or holds_form(self.passages[row].get("heading") or "", form)], dtype=np.int64)
            typical = float(np.median(self.keyword.scores(terms)[rows])) if len(rows) else 0.0
            found = (rows, typical)
            _make_room(self._form_rows, 256)
            self._form_rows[form] = found
        return found

    def _lead_ins(self) -> dict[str, str]:
        """Passage id → the names before its paragraph's split it is keyword-indexed with, read on first
        need (a build made before lead-ins has none)."""
        if self._names_before is None:
            self._names_before = read_json(self._directory / LEAD_INS_FILE, dict, default={})
        return self._names_before

    def _library_words(self) -> Counter:
        """The library's words (case folded) and their counts, read on first need."""
        if self._word_counts is None:
            stored = self._directory / WORDS_FILE
            if stored.exists():
                self._word_counts = Counter(read_json(stored, dict))
            else:                          # a build from before the word list: count (a bounded sample)
                self._word_counts = Counter(word_counts([p["text"] for p in self.passages[:_WORD_SAMPLE]]))
        return self._word_counts

    def _word_groups(self) -> dict[tuple[str, int], list[str]]:
        """The library's words by first letter and length."""
        if self._word_lengths is None:     # made on the first misspelt query: most searches never need it
            lengths: dict[tuple[str, int], list[str]] = {}
            for w in self._library_words():
                lengths.setdefault((w[0], len(w)), []).append(w)
            self._word_lengths = lengths
        return self._word_lengths

    def _words_by_term(self) -> dict[str, list[str]]:
        """The library's words by the index term each stems to ("care", "cares", "careful" under "care")."""
        if self._term_words is None:
            by_term: dict[str, list[str]] = {}
            for word in self._library_words():
                for term in word_terms(word):
                    by_term.setdefault(term, []).append(word)
            self._term_words = by_term
        return self._term_words

    def _other_words(self, words: QueryWords, tokens: list[str], reader: bool) -> dict[str, re.Pattern | None]:
        """For each query term that also stems library words that are not the query's word, a pattern
        of the library's words that are (None: there are none). ``reader``: not the query's word as a
        reader sees it (the highlighting rule: "prevented" is not "prevention"); else only words
        grown apart by a new ending ("careful" is not "care"), so the ranking keeps the stemmer's
        reach ("deprived" still finds "deprivation")."""
        out: dict[str, re.Pattern | None] = {}
        for term in tokens:
            library = self._words_by_term().get(term, ())
            others = {w for w in library if (not words.matches(w) if reader else words.grown_apart(w))}
            if others:
                ours = sorted((w for w in library if w not in others), key=len, reverse=True)
                out[term] = (re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, ours)) + r")(?![^\W\d_])", re.I)
                             if ours else None)
        return out

    def _score_of_other_words(self, others: dict[str, re.Pattern | None], rows: np.ndarray | None = None,
                              term_scores: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The part of each passage's keyword score that only words stemmed like the query's, not
        the query's own, give it (``others`` from :meth:`_other_words`; ``rows``: only these passages;
        ``term_scores``: each term's BM25 scores, kept across calls for one query)."""
        out = np.zeros(len(self.passages), np.float32)
        term_scores = {} if term_scores is None else term_scores
        for term, ours in others.items():
            if term not in term_scores:
                term_scores[term] = self.keyword.scores([term])
            scores = term_scores[term]
            found = np.flatnonzero(scores > 0) if rows is None else rows[scores[rows] > 0]
            if len(found) > _OTHER_WORDS_ROWS:     # a huge library: the strongest, which reach the candidates
                found = found[np.argpartition(-scores[found], _OTHER_WORDS_ROWS)[:_OTHER_WORDS_ROWS]]
            for row in found.tolist():
                passage = self.passages[row]
                if ours is None or not (ours.search(passage["text"]) or ours.search(passage.get("heading") or "")):
                    out[row] += scores[row]
        return out

    def _score(self, query: str, tokens: list[str], query_concepts: list[str], mode: str, allowed: np.ndarray | None,
               synonyms: dict[str, list[str]], quote_matches: bool = True, shortened: dict[str, str] | None = None) -> list[Hit]:
        """``synonyms``: the query's words no passage uses with their synonyms (``_synonyms_asked``; {}
        for the meaning-only mode); ``shortened``: its abbreviations and long forms with their other
        forms (``_abbreviations_asked``)."""
        s = self.settings
        n = len(self.passages)
        keyword = self.keyword.scores(tokens) if tokens else np.zeros(n, np.float32)
        own_keyword = keyword           # before the concept's other labels and the synonyms join the keyword score
        stand_ins = _stand_in_terms(synonyms)
        if stand_ins:
            keyword = keyword + s.synonym_weight * self.keyword.scores(list(stand_ins))
        for asked, other in (shortened or {}).items():
            # a passage using the other form counts as using the form asked, with the score the form asked
            # typically has where it stands ("CWDC" for "Children's Workforce Development Council" as a phrase)
            (holding_asked, typical), (holding_other, _) = self._rows_holding(asked), self._rows_holding(other)
            only_other = np.setdiff1d(holding_other, holding_asked)
            if len(holding_asked) and len(only_other):
                keyword = keyword.copy() if keyword is own_keyword else keyword
                keyword[only_other] += s.abbreviation_weight * typical
        words_asked = QueryWords(query) if tokens else None
        term_scores: dict[str, np.ndarray] = {}     # a term's own scores, for both rules below
        if words_asked is not None:     # "careful" ranks no passage for its "care", though both stem to "care"
            others = self._other_words(words_asked, tokens, False)
            if others:
                keyword = np.maximum(keyword - self._score_of_other_words(others, term_scores=term_scores), 0)
        if query_concepts and mode != "dense":
            extra = self._label_scores(query_concepts, tokens)
            if extra.max() > 0:
                keyword = keyword + 0.3 * extra * (keyword.max() or extra.max()) / extra.max()
        vector = self._query_vector(query) if mode != "bm25" else None

        found: list[np.ndarray] = []
        if mode != "dense":
            top = _top(keyword, _CANDIDATES)
            found.append(top[keyword[top] > 0])
        if vector is not None:
            _, rows = self.passage_index.search(vector[None, :], _CANDIDATES)
            found.append(rows[0][rows[0] >= 0])
            if self.window_index.size:
                _, windows = self.window_index.search(vector[None, :], _CANDIDATES)
                found.append(self.window_owner[windows[0][windows[0] >= 0]])
        candidates: set[int] = set(np.unique(np.concatenate(found)).tolist()) if found else set()
        for cid in query_concepts:
            linked = self._concept_rows.get(cid, np.zeros(0, np.int64))
            if allowed is not None:
                linked = linked[allowed[linked]]
            candidates.update(linked[:_CONCEPT_CANDIDATES].tolist())
        credited = self._credited_rows(query, query_concepts) if mode == "hybrid" else {}
        candidates.update(r for r in credited if allowed is None or allowed[r])
        # "what did managers say", "parent quotes": whose words are the whole question, so every passage
        # quoting such a speaker is a candidate and comes first
        named_roles = roles_in(query)           # the speakers' roles the query names, in order of mention
        wants_quote = asks_for_quote(query)
        speaker_asked = (with_narrower_roles(named_roles[:1]) if mode == "hybrid" and named_roles
                         and _asks_only_for_a_speaker(query, named_roles) else set())
        speaker_only = speaker_asked if wants_quote else set()
        # a role and nothing else, not asking for quotes ("SENCO", "parents"): the passages quoting one are
        # candidates, ordered below, though the text may name the role otherwise ("special educational needs coordinator")
        role_alone = set() if wants_quote else speaker_asked
        if speaker_only:
            candidates.update(r for r in self._rows_quoting(speaker_only) if allowed is None or allowed[r])
        elif role_alone:
            candidates.update(r for r in self._rows_quoting(role_alone)[:_CONCEPT_CANDIDATES] if allowed is None or allowed[r])
        if allowed is not None:
            candidates = {i for i in candidates if allowed[i]}
            if len(candidates) < 50:
                candidates.update(int(i) for i in np.flatnonzero(allowed)[:1000])
        if not candidates:
            return []
        rows = np.fromiter(sorted(candidates), dtype=np.int64)
        count = len(rows)
        own_words = own_keyword > 0     # holding a word of the query itself, as its highlighting sees it
        others = self._other_words(words_asked, tokens, True) if words_asked is not None else {}
        if others:
            left = own_keyword - self._score_of_other_words(others, rows, term_scores)
            own_words = left > _SCORE_ROUNDING * max(float(own_keyword.max()), 1.0)
        window_sim = np.zeros(count)
        dense = np.zeros(count)
        if vector is not None:
            passage_sim = np.asarray(self.passage_vectors[rows] @ vector, dtype=np.float64)
            window_sim = self._best_windows(rows, vector, passage_sim).astype(np.float64)
            dense = (1 - s.sentence_weight) * passage_sim + s.sentence_weight * window_sim
        top_keyword = float(keyword[rows].max()) if count else 0.0
        words = (keyword[rows] / top_keyword).astype(np.float64) if top_keyword > 0 else np.zeros(count)
        concept = np.zeros(count)
        if mode == "bm25":
            keep = words > 0
            rows, dense, window_sim, words, concept = rows[keep], dense[keep], window_sim[keep], words[keep], concept[keep]
            score = words.copy()
        elif mode == "dense":
            score = dense.copy()
        else:
            lo, hi = float(dense.min()), float(dense.max())
            dense_norm = (dense - lo) / (hi - lo) if hi > lo else np.zeros(count)
            score = s.dense_weight * dense_norm + (1 - s.dense_weight) * words
            score += np.where(words > 0, s.keyword_rank_boost / (1 + _ranks(words)), 0.0)
            if wants_quote:
                score += s.quote_boost * self._voices[rows]
            speaker_roles = named_roles[:1]   # "parent quote on …", "board member on …": the speaker comes first
            if speaker_roles:
                heard = with_narrower_roles(speaker_roles)
                score += s.role_boost * np.array([bool(heard & self._row_roles[r]) for r in rows.tolist()])
            asked = set(query_concepts)
            if asked:
                concept = np.array([len(asked.intersection(self._row_concepts[r])) / len(asked) for r in rows.tolist()])
                score += s.concept_boost * concept
                if self._names_only_concepts(tokens, query_concepts):
                    # the query is a concept's name and nothing else ("Sure Start"): a passage sharing
                    # one of its words ("we start to make contact") must not outrank one about it
                    score += s.dense_weight * concept
                score += s.definition_boost * np.array([bool(asked & self._row_defines[r]) for r in rows.tolist()])
            if credited:    # the passages crediting the earliest work get it all, the next year's half, a third…
                score += s.origin_boost * np.array([1 / (1 + credited[r][0]) if r in credited else 0.0 for r in rows.tolist()])
            if _QUANTITY_INTENT_RE.search(query):      # "how many …", "size of the grant": a passage stating one
                amounts = self._money if _MONEY_INTENT_RE.search(query) else self._counts
                score += s.answer_type_boost * amounts[rows]
            if not asks_about_works(query):
                score -= s.reference_penalty * self._bibliography[rows]   # a bibliography answers questions about works only
        hits = [Hit(r, sc, dense=d, keyword=w, concept=c, window_similarity=ws,
                    credits=credited[r][1] if r in credited else None, holds_words=bool(own_words[r]))
                for r, sc, d, w, c, ws in zip(rows.tolist(), score.tolist(), dense.tolist(), words.tolist(),
                                              concept.tolist(), window_sim.tolist())]
        if (mode == "hybrid" and wants_quote and quote_matches and self.quotes and s.quote_match_weight > 0
                and s.quote_match_depth > 0):
            self._add_quote_matches(query, hits)
        if mode == "hybrid" and self.token_vectors is not None and s.token_weight > 0:
            self._rerank_by_tokens(query, hits)
        keys = [np.array([h.row for h in hits]), -np.array([h.score for h in hits])]
        if role_alone:          # "SENCO", "parents": the passages quoting one next (after those holding the word)
            keys.append(np.array([not (role_alone & self._row_roles[h.row]) for h in hits]))
        if mode == "hybrid" and len(set(tokens)) == 1 and not speaker_only:
            # one word asked ("careful", "budget"): the passages holding it come first, then those near in meaning
            keys.append(np.array([not h.holds_words for h in hits]))
        if speaker_only:        # the speaker as named ("social workers") before others of the role (practitioners)
            named = self._rows_quoting_named(query)
            keys.append(np.array([h.row not in named for h in hits]))
            keys.append(np.array([not (speaker_only & self._row_roles[h.row]) for h in hits]))
        order = np.lexsort(keys)
        return [hits[i] for i in order.tolist()]

    def _rows_quoting_named(self, query: str) -> set[int]:
        """Rows quoting a speaker introduced in the words the query names them by ("a social worker"
        for "what did social workers say")."""
        named = [set(tokenize(m.group(0))) for _, pattern in ROLE_RES for m in pattern.finditer(query)]
        named = [words for words in named if words]
        if not named:
            return set()
        if self._speaker_words is None:     # each quote's row and the words its speaker is introduced by, once
            self._speaker_words = [(self._row_of[q["passage_id"]], frozenset(tokenize(q.get("speaker") or "")))
                                   for q in self.quotes if q.get("speaker") and q.get("passage_id") in self._row_of]
        return {row for row, said in self._speaker_words if any(words <= said for words in named)}

    def _rows_quoting(self, roles: set[str]) -> list[int]:
        """Rows of the passages quoting someone in one of these roles."""
        key = frozenset(roles)
        if key not in self._quoting:
            _make_room(self._quoting, 64)
            self._quoting[key] = [row for row, said in enumerate(self._row_roles) if said & roles]
        return self._quoting[key]

    def _add_quote_matches(self, query: str, hits: list[Hit]) -> None:
        """A query asking for a quote ("parent quote on …") also ranks passages by their quotations:
        the best few quotes of the quote ranking lift the passages that hold them, in proportion to
        their score against the best one."""
        by_row = {hit.row: hit for hit in hits}
        chosen = [(i, q) for i, q in enumerate(self.quotes) if self._row_of.get(q.get("passage_id"), -1) in by_row]
        if not chosen:
            return
        scores, _, _ = self._quote_scores(query, chosen, {hit.row: hit.score for hit in hits}, self.quote_role_boost)
        order = np.argsort(-scores, kind="stable")[:self.settings.quote_match_depth]
        top = float(scores[order[0]])
        if top <= 0:
            return
        lifted: set[int] = set()
        for j in order:
            hit = by_row[self._row_of[chosen[j][1]["passage_id"]]]
            if hit.row in lifted or scores[j] <= 0:
                continue        # a passage is lifted once, by its best quote
            lifted.add(hit.row)
            hit.score += self.settings.quote_match_weight * float(scores[j]) / top
            hit.quote_id = chosen[j][1]["quote_id"]

    # --- quotes -------------------------------------------------------------------------------------

    QUOTE_FILTERS = ("speaker_role", "concept", "study", "source", "kind")
    # a quote's own words (against the query's topic), the quote in its setting (with the sentences
    # before it, against the whole query), the query words it shares, the passage around it
    quote_weights = (0.4, 0.2, 0.05, 0.4)
    # the query's words in the quote's own order: the share of its word pairs the quote holds side by
    # side ("whose job" in "We stopped asking whose job it was"), a half-remembered quote's best clue
    quote_phrase_weight = 0.15
    # the query asks to hear from this speaker role ("headteacher quote on …", "parent on trust"):
    # in the quote finder as large as all other terms together (each is 0–1), so that role's quotes
    # come first, best first; in the passage search's quotation lift, one signal among the others
    quote_role_first = sum(quote_weights) + quote_phrase_weight
    quote_role_boost = 0.2

    def search_quotes(self, query: str, k: int = 20, filters: dict[str, str] | None = None,
                      respell: bool = True, offset: int = 0) -> dict[str, Any]:
        """Quotes ranked by their own words' meaning, their meaning in their setting, the words they
        share with the query and the strength of the passage around them (the passage search's own
        score), with the speaker role the query asks for first; with no query, every quote the
        filters let through. ``offset``: how many of the ranking to skip (a next page)."""
        query = (query or "").strip()
        if len(query) > self.settings.max_query_chars:
            raise QueryTooLong(len(query), self.settings.max_query_chars)
        if not 1 <= k <= max(self.settings.max_results, 1000):
            raise SearchError("k must be between 1 and 1000")
        if offset < 0:
            raise SearchError("offset must be 0 or more")
        filters = {key: value for key, value in (filters or {}).items() if value not in (None, "")}
        unknown = set(filters) - set(self.QUOTE_FILTERS)
        if unknown:
            raise SearchError(f"unknown filter {sorted(unknown)[0]!r}; filters are {', '.join(self.QUOTE_FILTERS)}")
        wanted = {key: {v.strip() for v in str(value).split(",") if v.strip()} for key, value in filters.items()}
        study_names = self._study_names(wanted["study"]) if "study" in wanted else set()   # resolved once, not per quote
        chosen = [(i, q) for i, q in enumerate(self.quotes) if self._quote_allowed(q, wanted, study_names)]
        query_concepts = self.matcher.concepts_in(query) if query else []
        synonyms = self._synonyms_asked(query) if query else {}
        unknown, did_you_mean, _, none_found = (self._spelling_help(query, query_concepts, "hybrid", synonyms) if query
                                                else ([], None, None, False))
        found = {"query": query, "total": len(chosen), "offset": offset, "unknown_words": unknown, "did_you_mean": did_you_mean,
                 "searched_for": None, "message": None, "with_words": None, "speakers_not_quoted": [],
                 "nearest_only": False}
        if filters and (not chosen or any(len(values) > 1 for values in wanted.values())):
            empty = [(key, value) for key, values in wanted.items() for value in sorted(values)
                     if not any(self._quote_allowed(q, {key: {value}}, self._study_names({value}) if key == "study" else set())
                                for q in self.quotes)]
            named = self._nothing_has(empty, "quote", "check the value.") if empty else None
            if not chosen:
                found["message"] = named or "No quote has these filters together."
            elif named:     # "source=a,nope": the quotes are only the other values'
                found["message"] = named + " The quotes are those of the filter's other values."
        if query and not tokenize(query) and not re.search(r"\w{2,}", query):     # "!!!", "😀": as the passage search
            return {**found, "total": 0, "results": [], "message": "Nothing to search for in this query."}
        if not query or not chosen:
            if chosen and offset >= len(chosen):
                found["message"] = _past_the_end(offset, len(chosen), "quote")
            # browsing: the voices of participants (the evidence trainers come for) before quotations of
            # published and policy texts, each in the library's order
            browsed = sorted(chosen, key=lambda c: (c[1].get("kind") != "participant", c[0]))
            return {**found, "results": [q for _, q in browsed][offset:offset + k]}
        if respell and none_found and did_you_mean:     # no word of the query is in the library: rank by its respelling
            query = found["searched_for"] = did_you_mean
            query_concepts = self.matcher.concepts_in(query)
            synonyms = self._synonyms_asked(query)
        elif none_found:        # nothing to respell ("xqzv"): say what the ranking is then worth
            named = ", ".join(f"“{w}”" for w in unknown)
            found["message"] = f"No quote contains {named}: the quotes below are only the nearest in meaning, which may not be related."
            found["nearest_only"] = True
        tokens = sorted(set(tokenize(_keyword_text(query))))
        hits = self._score(query, tokens, query_concepts, "hybrid", None, synonyms, quote_matches=False,
                           shortened=self._abbreviations_asked(query))
        # in the quote finder a query of nothing but speakers ("headteacher", "parents and carers") asks for their words
        speakers = speakers_in(query) or (role_words_in(query) if _asks_only_for_a_speaker(query) else [])
        roles = list(dict.fromkeys(role for _, role in speakers))
        missing = speakers_not_quoted(speakers, self.quotes)
        found["speakers_not_quoted"] = [words for words, _ in missing]
        if missing and not found["message"]:
            found["message"] = not_quoted_message(missing)
        scores, own, _ = self._quote_scores(query, chosen, {h.row: h.score for h in hits}, self.quote_role_first, roles)
        ranked = sorted(range(len(chosen)), key=lambda j: (-scores[j], chosen[j][0]))
        # one voice once: of words quoted again (whole or abridged) only the telling ranked higher is shown
        told: set[str] = set()
        ranked = [j for j in ranked if not ((key := chosen[j][1].get("repeats") or chosen[j][1]["quote_id"]) in told
                                            or told.add(key))]
        found["total"] = len(ranked)
        if offset >= len(ranked) and ranked:
            found["message"] = found["message"] or _past_the_end(offset, len(ranked), "quote")
        order = ranked[offset:offset + k]
        results = [dict(chosen[j][1], score=round(float(scores[j]), 4), similarity=round(float(own[j]), 3)) for j in order]
        # how many quotes (or the sentences introducing them) hold the query's words; not said when the
        # query only names speakers ("headteacher"): their quotes come first whatever their words
        if tokenize(_quote_topic(query, roles)) and not _asks_only_for_a_speaker(query, roles or roles_in(query)):
            found["with_words"] = self._quotes_holding([q for _, q in chosen], _quote_topic(query, roles))
        return {**found, "results": results}

    def _quote_scores(self, query: str, chosen: list[tuple[int, dict[str, Any]]],
                      passage_score: dict[int, float], role_boost: float,
                      roles: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The score of each chosen (index, quote) for ``query``, the similarity of its own words and the
        share of the query's words it (or its introduction) holds;
        ``passage_score``: the passage search's scores by row; ``role_boost``: added to quotes by the
        speaker role the query asks for (``roles``, else those speaker_roles_in reads in it)."""
        quotes = self.quotes
        roles = speaker_roles_in(query) if roles is None else roles
        topic = _quote_topic(query, roles)
        vector = self._query_vector(query)
        topic_vector = self._query_vector(topic) if topic != query else vector
        rows = np.array([i for i, _ in chosen])
        settings = self._quote_vector_file("quote_context_vectors.npy", len(quotes))
        own = _similarities(self._quote_vector_file("quote_vectors.npy", len(quotes)), rows, topic_vector)
        setting = _similarities(settings, rows, vector)
        # a short quotation ("it changed everything") says little alone: its setting stands for its words
        short = np.array([len(q["text"].split()) < _SHORT_QUOTE_WORDS for _, q in chosen])
        meaning = np.where(short, _unit(_similarities(settings, rows, topic_vector)), _unit(own)) if short.any() else _unit(own)
        words = self._quote_word_overlap(quotes, [q for _, q in chosen], topic)
        top = max(passage_score.values(), default=1.0) or 1.0
        context = np.array([passage_score.get(self._row_of.get(q.get("passage_id"), -1), 0.0) / top for _, q in chosen])
        w_own, w_setting, w_words, w_context = self.quote_weights
        scores = w_own * meaning + w_setting * _unit(setting) + w_words * words + w_context * context
        if self.quote_phrase_weight:
            scores += self.quote_phrase_weight * _pairs_held(topic, [q["text"] for _, q in chosen])
        if roles:
            heard = with_narrower_roles(roles)
            scores += role_boost * np.array([q.get("speaker_role") in heard for _, q in chosen], dtype=float)
        return scores, own, words

    def _quote_vector_file(self, name: str, count: int) -> np.ndarray:
        """One of a build's quote vector files, loaded once; a build without it (or out of step with
        its quotes) gives zero similarities rather than wrong ones."""
        cache = self.__dict__.setdefault("_quote_vector_files", {})
        if name not in cache:
            path = self.root / INDEX_DIR / name
            vectors = read_build_file(path, np.load, default=np.zeros((0, 1), np.float32))
            cache[name] = vectors if len(vectors) == count else np.zeros((0, 1), np.float32)
        return cache[name]

    def _quotes_holding(self, quotes: list[dict[str, Any]], topic: str) -> int:
        """How many quotes hold the topic's words in their own words or their speaker's name, as its
        highlighting tells the query's words (the sentence introducing a quote is not shown with it):
        at least half of them, each weighted by its rarity among quotes, so that a common word ("day",
        "school") alone does not make a quote one that holds "the day job"."""
        weights = self._topic_weights(topic)
        total = sum(weights.values())
        if not total:
            return 0
        others = self._other_words(QueryWords(topic), sorted(weights), True)
        count = 0
        for quote in quotes:
            shown = f"{quote.get('speaker') or ''} {quote['text']}"
            held = set(weights).intersection(tokenize(shown))
            if sum(weights[t] for t in held if _own_word_held(t, others, shown)) >= 0.5 * total:
                count += 1
        return count

    def _topic_weights(self, topic: str) -> dict[str, float]:
        """The topic's words, each weighted by its rarity among the quotes (their words and introductions)."""
        if "_quote_terms" not in self.__dict__:
            terms = {q["quote_id"]: set(tokenize(_quote_words(q))) for q in self.quotes}
            frequency = Counter(t for bag in terms.values() for t in bag)
            self._quote_terms = terms
            self._quote_idf = {t: float(np.log(1 + len(terms) / n)) for t, n in frequency.items()}
        unseen = float(np.log(1 + len(self._quote_terms)))
        return {t: self._quote_idf.get(t, unseen) for t in sorted(set(tokenize(topic)))}

    def _quote_word_overlap(self, quotes: list[dict[str, Any]], chosen: list[dict[str, Any]], topic: str) -> np.ndarray:
        """Share of the topic's words (weighted by their rarity among quotes) found in each quote or
        the sentence that introduces it; a word grown apart from one of the topic's ("careful" for
        "care", see :meth:`_other_words`) is not it."""
        weights = self._topic_weights(topic)
        total = sum(weights.values())
        if not total:
            return np.zeros(len(chosen))
        others = self._other_words(QueryWords(topic), sorted(weights), False)

        def holds(term: str, quote: dict[str, Any]) -> bool:
            return term in self._quote_terms.get(quote["quote_id"], ()) and _own_word_held(term, others, _quote_words(quote))

        return np.array([sum(w for t, w in weights.items() if holds(t, q)) / total for q in chosen])

    def _quote_allowed(self, quote: dict[str, Any], filters: dict[str, set[str]], study_names: set[str]) -> bool:
        """``filters``: each filter's wanted values; ``study_names``: every name of the studies the study
        filter names."""
        for key, wanted in filters.items():
            if key == "speaker_role":
                ok = (quote.get("speaker_role") or "") in wanted
            elif key == "source":
                ok = quote["source_id"] in wanted
            elif key == "kind":
                ok = quote.get("kind") in wanted
            elif key == "concept":      # any passage the quote runs through
                rows = [self._row_of.get(pid) for pid in quote.get("passage_ids") or [quote.get("passage_id")]]
                ok = any(row is not None and wanted & set(self._row_concepts[row]) for row in rows)
            else:  # study: only the quote's own, where the document makes it clear (the study named before the
                # quote, or its source's only study); a quote in a source reporting several studies is not
                # evidence from each, nor is a quoted text (literature) evidence from any
                ok = (quote.get("study") or "").casefold() in study_names
            if not ok:
                return False
        return True

    def _best_windows(self, rows: np.ndarray, vector: np.ndarray, passage_sim: np.ndarray) -> np.ndarray:
        """For each candidate passage, the similarity of its best sentence window (a passage
        without windows counts as its own window)."""
        best = passage_sim.astype(np.float32).copy()
        has = self._window_ends[rows] > self._window_starts[rows]
        if not has.any():
            return best
        if self._all_windows is not None:     # small libraries: one product over every window, one reduce
            sims = self._all_windows @ vector
            per_passage = np.maximum.reduceat(sims, self._reduce_starts)
            best[has] = per_passage[self._reduce_index[rows[has]]]
            return best
        for i in np.flatnonzero(has):
            start, end = self._window_starts[rows[i]], self._window_ends[rows[i]]
            best[i] = float(np.max(np.asarray(self.window_vectors[start:end] @ vector)))
        return best

    def _best_sentence(self, row: int, vector: np.ndarray) -> tuple[str | None, float]:
        start, end = self.window_bounds[row]
        if end <= start:
            return None, 0.0
        sims = np.asarray(self.window_vectors[start:end] @ vector)
        best = int(np.argmax(sims))
        return self._window_text(row, start + best), float(sims[best])

    def _query_vector(self, query: str) -> np.ndarray:
        """Query embeddings are cached: paging and facet clicks repeat the same query. A query is
        embedded without its citations, as the passages are (a sentence pasted with its "[S3]")."""
        vector = self._vectors.get(query)
        if vector is None:
            text = without_citations(query)
            closed = self._closed_spelling(text)
            if closed:      # "work force": the model reads "force"; the library writes "workforce"
                if self.token_vectors is not None:      # word by word too, the words as the library writes them
                    both, rows = self.embedder.encode_tokens([text, closed])
                    _make_room(self._query_tokens, 2048)
                    self._query_tokens[query] = rows[1]
                else:
                    both = self.embedder.encode([text, closed])
                vector = both.sum(axis=0)
                vector = (vector / np.linalg.norm(vector)).astype(both.dtype)
            elif self.token_vectors is not None:    # one run of the model gives the token vectors too
                vectors, rows = self.embedder.encode_tokens([text])
                vector = vectors[0]
                _make_room(self._query_tokens, 2048)
                self._query_tokens[query] = rows[0]
            else:
                vector = self.embedder.encode([text])[0]
            _make_room(self._vectors, 2048)
            self._vectors[query] = vector
        return vector

    def _token_text(self, query: str) -> str:
        """What a query's token vectors are made of: the query without its citations, an open pair the
        library writes closed, closed (as ``_query_vector`` reads it)."""
        text = without_citations(query)
        return self._closed_spelling(text) or text

    def _token_vectors_of(self, query: str) -> np.ndarray:
        """The query's token vectors, as the passages' are kept (of ``_token_text``)."""
        rows = self._query_tokens.get(query)
        if rows is None:
            rows = self.embedder.encode_tokens([self._token_text(query)])[1][0]
            _make_room(self._query_tokens, 2048)
            self._query_tokens[query] = rows
        return rows

    def _stored_token_vectors(self, which: np.ndarray | slice) -> np.ndarray:
        """Passages' token vectors (rows ``which`` of the stored ones) as float32 unit vectors, whether
        held in memory or read from the file (int8, or float16 in builds before int8)."""
        assert self.token_vectors is not None
        return np.asarray(self.token_vectors[which], dtype=np.float32) * np.float32(self._token_scale)

    def _token_matches(self, query: str, rows: list[int]) -> np.ndarray:
        """The word-by-word meaning match of the query with each passage of ``rows``: for each of the
        query's word pieces its best cosine among the passage's, averaged (late interaction, as in
        ColBERT, with the model's own token vectors). It rewards a passage that answers each part of
        the question, in other words than the query's ("kids" and "children"), which one vector for the
        whole passage blurs."""
        assert self.token_vectors is not None and self._token_offsets is not None
        query_rows = self._token_vectors_of(query).astype(np.float32)
        starts, ends = self._token_offsets[rows], self._token_offsets[np.asarray(rows) + 1]
        held = ends > starts
        out = np.zeros(len(rows))
        if not held.any():
            return out
        # one gather, one product and one reduce over all the passages' token vectors together
        spans = [np.arange(start, end) for start, end in zip(starts[held].tolist(), ends[held].tolist())]
        gathered = self._stored_token_vectors(np.concatenate(spans))
        sims = query_rows @ gathered.T
        bounds = np.concatenate([[0], np.cumsum([len(span) for span in spans])[:-1]])
        out[held] = np.maximum.reduceat(sims, bounds, axis=1).mean(axis=0)
        return out

    def _rerank_by_tokens(self, query: str, hits: list[Hit]) -> None:
        """Add the word-by-word meaning match (min–max over them, times ``token_weight``) to the
        scores of the best ``token_rerank_depth`` hits."""
        best = sorted(range(len(hits)), key=lambda i: -hits[i].score)[:self.settings.token_rerank_depth]
        if len(best) < 2:
            return
        matches = self._token_matches(query, [hits[i].row for i in best])
        lo, hi = float(matches.min()), float(matches.max())
        for i, match in zip(best, matches.tolist()):
            hits[i].token_match = match
            if hi > lo:
                hits[i].score += self.settings.token_weight * (match - lo) / (hi - lo)

    def _words_by_meaning(self, query: str, row: int) -> list[dict[str, Any]]:
        """The query's words that the word-by-word match found in the passage in other words ("kids" →
        "children", "problems" → "issues"): each query word's best word of the passage, where neither
        is a stop word, the two share no index term, the query word is not in the passage, and their
        similarity (the word's pieces' cosines with the passage word's best piece, averaged) is at
        least ``_WORD_PAIR_SIMILARITY``; the closest five."""
        if self.token_vectors is None or self._token_offsets is None:
            return []
        word_of_piece, held = self._passage_words(row)
        asked = [(word, pieces, terms) for word, pieces, terms in self._query_words_by_piece(query) if not terms & held]
        if not asked or not word_of_piece:
            return []
        query_rows = self._token_vectors_of(query).astype(np.float32)
        start = int(self._token_offsets[row])
        passage_rows = self._stored_token_vectors(slice(start, start + len(word_of_piece)))
        pairs: dict[str, dict[str, Any]] = {}
        for word, pieces, terms in asked:
            similarities = (query_rows[pieces] @ passage_rows.T).mean(axis=0)
            best = int(np.argmax(similarities))
            similarity = float(similarities[best])
            if similarity < _WORD_PAIR_SIMILARITY:
                continue
            found = word_of_piece[best]
            if word_terms(found) and not word_terms(found) & terms and similarity > pairs.get(word, {}).get("similarity", 0):
                pairs[word] = {"word": word, "passage_word": found, "similarity": round(similarity, 3)}
        return sorted(pairs.values(), key=lambda pair: -pair["similarity"])[:5]

    def _query_words_by_piece(self, query: str) -> list[tuple[str, list[int], frozenset[str]]]:
        """The query's words that are not stop words, each with its pieces (rows of its token vectors)
        and index terms; found once a query."""
        found = self._query_pieces.get(query)
        if found is None:
            text = self._token_text(query)
            count = len(self._token_vectors_of(query))
            found = [(word, pieces, word_terms(word)) for word, pieces in _words_of_pieces(text, self.embedder.piece_spans(text)[:count])
                     if word_terms(word) and re.search(r"[^\W\d_]{3}", word)]
            _make_room(self._query_pieces, 2048)
            self._query_pieces[query] = found
        return found

    def _passage_words(self, row: int) -> tuple[list[str], frozenset[str]]:
        """For each of a passage's word pieces (as many as it has token vectors), the word it is part of
        (as ``_words_of_pieces`` makes them from the text as embedded; "" for bare punctuation), and the
        passage's index terms; found once a passage (kept for the 4,096 last asked for)."""
        found = self._passage_piece_words.get(row)
        if found is None:
            assert self._token_offsets is not None
            text = without_citations(passage_embedding_text(self.passages[row]))
            spans = self.embedder.piece_spans(text)[:int(self._token_offsets[row + 1] - self._token_offsets[row])]
            word_of_piece = [""] * len(spans)
            for word, pieces in _words_of_pieces(text, spans):
                for piece in pieces:
                    word_of_piece[piece] = word
            found = (word_of_piece, frozenset(tokenize(text)))
            _make_room(self._passage_piece_words, 4096)
            self._passage_piece_words[row] = found
        return found

    def _closed_spelling(self, text: str) -> str | None:
        """The query with its open pairs written as one word where the library writes them so
        ("work force" → "workforce"), or None when it has no such pair."""
        words = self._library_words()
        out = text
        for pair, joined in open_compounds(text):
            if words.get(joined) or words.get(joined + "s"):
                out = out.replace(pair, joined, 1)
        return out if out != text else None

    def _label_expansion(self, query_concepts: list[str], tokens: list[str]
                         ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """What the other names of the concepts a query names add to its keyword scores (the rows
        given a score, and the scores) and, for each term they add, the rows it counts in (sorted).
        A name counts only in a passage holding all its words: "common knowledge across practices"
        adds "across" to no passage that lacks "common", "knowledge" or "practices"."""
        key = (tuple(query_concepts), tuple(tokens))
        cached = self._expansions.get(key)
        if cached is not None:
            return cached
        asked = set(tokens)
        presence: dict[str, np.ndarray] = {}
        scores: dict[str, np.ndarray] = {}

        def held(terms: tuple[str, ...]) -> np.ndarray:
            for term in terms:
                if term not in scores:
                    scores[term] = self.keyword.scores([term])
                    presence[term] = scores[term] > 0
            return np.logical_and.reduce([presence[t] for t in terms])

        counts_in: dict[str, np.ndarray] = {}
        for cid in query_concepts:
            for label in self._labels(cid):
                added = [t for t in dict.fromkeys(tokenize(label)) if t not in asked]
                if not added:
                    continue
                whole = np.logical_or.reduce([
                    np.logical_and.reduce([np.logical_or.reduce([held(terms) for terms in word]) for word in reading])
                    for reading in name_readings(label)])
                for term in added:
                    held((term,))
                    counts_in[term] = counts_in[term] | whole if term in counts_in else whole
        extra = np.zeros(len(self.passages), np.float32)
        for term, where in counts_in.items():
            extra += np.where(where, scores[term], 0).astype(np.float32)
        rows = np.flatnonzero(extra)
        # kept sparse: a large library's per-term masks would take megabytes a query
        cached = (rows, extra[rows], {term: np.flatnonzero(where) for term, where in counts_in.items()})
        _make_room(self._expansions, 256)
        self._expansions[key] = cached
        return cached

    def _label_scores(self, query_concepts: list[str], tokens: list[str]) -> np.ndarray:
        """The keyword scores the other names of the query's concepts add (see _label_expansion)."""
        rows, values, _ = self._label_expansion(query_concepts, tokens)
        extra = np.zeros(len(self.passages), np.float32)
        extra[rows] = values
        return extra

    def _label_terms_in(self, row: int, query_concepts: list[str], tokens: list[str]) -> list[str]:
        """The terms of the other names of the query's concepts that count in the passage ``row``."""
        return [term for term, rows in self._label_expansion(query_concepts, tokens)[2].items()
                if (i := int(np.searchsorted(rows, row))) < len(rows) and rows[i] == row]

    def _names_only_concepts(self, tokens: list[str], query_concepts: list[str]) -> bool:
        """Whether every word of the query belongs to a label of the concepts it names."""
        # a label's words written as one or hyphenated are its name too ("sure-start", "surestart")
        named = {t for cid in query_concepts for label in self._labels(cid) for t in tokenize(re.sub(r"\s+", "-", label))}
        return bool(tokens) and set(tokens) <= named

    def _labels(self, concept_id: str) -> list[str]:
        concept = self.concepts.get(concept_id, {})
        return [concept.get("pref_label", "")] + list(concept.get("alt_labels", []))

    def _mask(self, filters: dict[str, str]) -> np.ndarray | None:
        """Rows the filters let through; each filter is a set lookup on a column computed once."""
        if not filters:
            return None
        mask = np.ones(len(self.passages), dtype=bool)
        for key, value in filters.items():
            wanted = {v.strip() for v in str(value).split(",") if v.strip()}
            if key == "concept":
                rows = [self._concept_rows.get(cid, np.zeros(0, np.int64)) for cid in wanted]
                keep = np.zeros(len(self.passages), dtype=bool)
                for linked in rows:
                    keep[linked] = True
                mask &= keep
                continue
            if key == "study":
                wanted = self._study_names(wanted)
            values, codes = self._filter_column(key)
            chosen = [code for code, value in enumerate(values) if _filter_matches(key, value, wanted)]
            keep = np.isin(codes, chosen)
            if key == "study":      # also the sources the graph says report it (its curated record)
                reporting = self._sources_reporting(wanted)
                source_values, source_codes = self._filter_column("source")
                keep |= np.isin(source_codes, [c for c, sid in enumerate(source_values) if sid in reporting])
            mask &= keep
        return mask

    def _known_filter_value(self, key: str, value: str) -> bool:
        """Whether a filter value names something of the library (a concept, a source, a study), though
        no quote may have it; speaker roles and kinds are checked where they are given."""
        if key == "concept":
            return value in self.concepts
        if key == "source":
            return value in self.sources
        if key == "study":
            return bool(self._study_entry(value)["names"])
        return key in ("speaker_role", "kind")

    def _filters_matching_nothing(self, filters: dict[str, str]) -> str | None:
        """"No passage has source “nope”": the filter values that let no passage through on their own
        (a typo, an id of another build), so that an empty result says what to change."""
        empty = [(key, value.strip()) for key, values in filters.items() for value in str(values).split(",")
                 if value.strip() and not self._mask({key: value.strip()}).any()]
        if not empty:
            return None
        return self._nothing_has(empty, "passage", "check the value (the facets list those the library has).")

    def _values_matching_nothing(self, filters: dict[str, str]) -> str | None:
        """A list given for a filter ("source=a,nope") whose other values let passages through: the values
        no passage has, named, since the results are only the others'. None when every value counts."""
        if not any("," in str(value) for value in filters.values()):
            return None
        named = self._filters_matching_nothing(filters)
        return f"{named} The results are those of the filter's other values." if named else None

    def _nothing_has(self, empty: list[tuple[str, str]], noun: str, advice: str) -> str:
        """"No passage has source “nope”: check the value": the filter values that let nothing through,
        the typos among them first; values the library knows (a study only named in a reference list, a
        concept no passage discusses) are said to be known."""
        typos = [(key, value) for key, value in empty if not self._known_filter_value(key, value)]
        named = "; ".join(f"{key} “{value}”" for key, value in typos or empty)
        if typos:
            return f"No {noun} has {named}: {advice}"
        return f"No {noun} has {named}, though the library knows {'it' if len(empty) == 1 else 'them'}."

    def _study_entry(self, name: str) -> dict[str, set[str]]:
        if self._study_sources is None:
            self._study_sources = self._study_sources_of() if self._study_sources_of else {}
        return self._study_sources.get(name.casefold(), {"sources": set(), "names": set()})

    def _study_names(self, wanted: set[str]) -> set[str]:
        """The names asked for and every other name of the studies they name (id, acronym, title…), case-folded."""
        return {w.casefold() for w in wanted}.union(*(self._study_entry(w)["names"] for w in wanted))

    def _sources_reporting(self, names: set[str]) -> set[str]:
        return set().union(*(self._study_entry(n)["sources"] for n in names))

    def _filter_column(self, key: str) -> tuple[list[str], np.ndarray]:
        """Distinct values of a filterable field and each row's value code (for kind and study,
        a row's set of tags or studies is one value)."""
        column = self._filter_columns.get(key)
        if column is None:
            index: dict[Any, int] = {}
            codes = np.empty(len(self.passages), dtype=np.int32)
            for row, passage in enumerate(self.passages):
                source = self.sources.get(passage["source_id"], {})
                if key == "source":
                    value: Any = passage["source_id"]
                elif key == "type":
                    value = source.get("type")
                elif key == "study":
                    value = frozenset(x.casefold() for x in source.get("studies", []))
                elif key == "year":
                    value = str(source.get("year"))
                else:  # kind: the passage's kind or a tag such as quote / definition
                    value = frozenset(self._row_tags[row])
                codes[row] = index.setdefault(value, len(index))
            column = (list(index), codes)
            self._filter_columns[key] = column
        return column

    # --- presenting results ---------------------------------------------------------------------

    def _result(self, hit: Hit, tokens: list[str], words: QueryWords | None, query_concepts: list[str], mode: str,
                vector: np.ndarray | None, stand_ins: dict[str, str] | None = None, query: str = "",
                shortened: dict[str, str] | None = None) -> dict[str, Any]:
        passage = self.passages[hit.row]
        source = self.sources.get(passage["source_id"], {})
        concepts = self._row_concepts[hit.row]
        wanted = set(self.keyword.searched_terms(tokens))
        # the words the keyword ranking counted, less those the stemmer only cuts like a query word
        # ("relatively" for "relational"): they are what the page highlights
        matched_terms = self._matched_words(passage, wanted, words) if tokens else []
        highlights = list(matched_terms)
        why: dict[str, Any] = {}
        if matched_terms and mode != "dense":
            why["keywords"] = matched_terms
        elif mode != "dense" and hit.keyword > 0:      # the keywords found it by other words: say which
            stem_words = self._matched_words(passage, wanted, None) if tokens else []     # "relative" for "relational"
            # "co-configured" for "co-production": only the bound prefix is shared, which is no stem
            prefix_words = [w for w in stem_words if word_terms(w) & wanted <= BOUND_PREFIXES]
            stem_words = [w for w in stem_words if w not in prefix_words]
            if stem_words:
                why["stem_words"] = stem_words
            if prefix_words:
                why["prefix_words"] = prefix_words
            if query_concepts:      # words of the other names of the concept the query names
                named = set(self.keyword.searched_terms(self._label_terms_in(hit.row, query_concepts, tokens)))
                labels = QueryWords(" ".join(label for cid in query_concepts for label in self._labels(cid)))
                # as a reader sees them, else as the stemmer took them ("development" for "developing")
                label_words = self._matched_words(passage, named, labels) or self._matched_words(passage, named, None)
                if label_words:
                    why["label_words"] = label_words
        if stand_ins and hit.keyword > 0:      # "panacea" for "cure-all", a word no passage uses
            synonyms = [{"word": word, "for": stand_ins[term]} for word in self._matched_words(passage, set(stand_ins), None)
                        for term in sorted(word_terms(word) & set(stand_ins))[:1]]
            if synonyms:
                why["synonyms"] = synonyms
        if shortened and hit.keyword > 0:     # "Children's Workforce Development Council" for "CWDC", or back
            forms = [{"word": other, "for": asked} for asked, other in shortened.items() if hit.row in self._rows_holding(other)[0]]
            if forms:
                why["abbreviations"] = forms
                shown = f"{passage.get('heading') or ''}\n{passage['text']}"      # the page highlights the form it holds
                highlights += [w for form in forms for w in occurrences(shown, form["word"]) if w not in highlights]
        names_before = self._lead_ins().get(passage["passage_id"]) if tokens and mode != "dense" and hit.keyword > 0 else None
        if names_before:    # the second half of a split paragraph, found by a name the first half gives
            before = {"passage_id": passage["passage_id"] + "#before", "text": names_before}
            own = {t for word in matched_terms for t in word_terms(word)}
            context_words = [w for w in self._matched_words(before, wanted, words) if not word_terms(w) & own]
            if context_words:
                why["context_words"] = context_words
        shared = [c for c in query_concepts if c in concepts]
        if shared and mode == "hybrid":
            why["concepts"] = shared
            defined = [c for c in shared if c in self._row_defines[hit.row]]
            if defined:
                why["defines"] = defined
        if hit.credits:
            why["credits"] = hit.credits
        if hit.quote_id:
            quote = self._quote_by_id.get(hit.quote_id, {})
            why["quote"] = {"quote_id": hit.quote_id, "text": quote.get("text"), "speaker": quote.get("speaker"),
                            "speaker_role": quote.get("speaker_role")}
        if hit.token_match is not None and query:
            pairs = self._words_by_meaning(query, hit.row)
            if pairs:
                why["words_by_meaning"] = pairs
        if mode != "bm25" and vector is not None:
            sentence, similarity = self._best_sentence(hit.row, vector)
            why["meaning"] = {"similarity": round(similarity if sentence else hit.window_similarity or hit.dense, 3)}
            if sentence:
                why["meaning"]["sentence"] = sentence
        return {
            "passage_id": passage["passage_id"],
            "source_id": passage["source_id"],
            "source_title": source.get("title"),
            "source_type": source.get("type"),
            "year": source.get("year"),
            "text": passage["text"],
            "page": passage.get("page"),
            "page_label": passage.get("page_label"),
            "heading": passage.get("heading"),
            "kind": passage.get("kind"),
            "tags": sorted(self._row_tags[hit.row]),
            "speaker_roles": sorted(self._row_roles[hit.row]),
            "score": round(hit.score, 4),
            "scores": {"dense": round(hit.dense, 4), "keyword": round(hit.keyword, 4), "concept": round(hit.concept, 4),
                       **({"words_by_meaning": round(hit.token_match, 4)} if hit.token_match is not None else {})},
            "concepts": concepts,
            "highlights": highlights,
            "why": why,
        }

    def _matched_words(self, passage: dict[str, Any], wanted: set[str], words: QueryWords | None) -> list[str]:
        """The words of a passage (its heading too: the keyword index holds it) that the keyword ranking
        counted for the query, less those the stemmer only cuts like a query word ("relatively" for
        "relational"), and an open compound ("head teacher") for its closed form asked ("headteacher")."""
        shown = f"{passage.get('heading') or ''}\n{passage['text']}"
        unique = set(_WORDS_RE.findall(shown))
        matched = {word for word in unique if word_terms(word) & wanted and (words is None or words.matches(word))}
        if wanted - {t for word in unique for t in word_terms(word)}:      # a term no single word gives: a pair may
            pairs = self._pairs.get(passage["passage_id"])
            if pairs is None:
                pairs = open_compounds(shown)
                _make_room(self._pairs, 4096)
                self._pairs[passage["passage_id"]] = pairs
            matched |= {pair for pair, joined in pairs if word_terms(joined) & wanted and (words is None or words.matches(joined))}
        return sorted(matched, key=str.lower)

    def _window_text(self, row: int, window_row: int) -> str | None:
        """The sentence window behind a window vector (windows are derived from the text, not stored)."""
        windows = self._windows_of(row)
        start, _ = self.window_bounds[row]
        index = window_row - start
        return windows[index] if 0 <= index < len(windows) else None

    def _windows_of(self, row: int) -> list[str]:
        """A passage's sentence windows, kept for the most recently shown passages."""
        from .build import sentence_windows

        cache = self.__dict__.setdefault("_window_texts", {})
        windows = cache.get(row)
        if windows is None:
            _make_room(cache, 4096)
            windows = cache[row] = sentence_windows(self.passages[row]["text"])
        return windows

    def _facets(self, hits: list[Hit]) -> dict[str, list[dict[str, Any]]]:
        counters: dict[str, Counter] = {name: Counter() for name in ("source", "type", "concept", "kind", "year")}
        for hit in hits:
            passage = self.passages[hit.row]
            source = self.sources.get(passage["source_id"], {})
            counters["source"][passage["source_id"]] += 1
            if source.get("type"):
                counters["type"][source["type"]] += 1
            if source.get("year"):
                counters["year"][str(source["year"])] += 1
            for tag in self._row_tags[hit.row]:
                counters["kind"][tag] += 1
            for cid in self._row_concepts[hit.row]:
                counters["concept"][cid] += 1
        facets: dict[str, list[dict[str, Any]]] = {}
        for name, counter in counters.items():
            rows = []
            for value, count in counter.most_common(15 if name == "concept" else 50):
                label = value
                if name == "source":
                    label = self.sources.get(value, {}).get("title") or value
                elif name == "concept":
                    label = self.concepts.get(value, {}).get("pref_label", value)
                rows.append({"value": value, "label": label, "count": count})
            facets[name] = rows
        return facets


def asks_about_works(query: str) -> bool:
    """Whether a query is about works as such ("cited in 2005", "which article", "title and report number of
    the final report"): only then may a reference list's entries rank as they would."""
    return bool(_WORKS_INTENT_RE.search(query))


def _word_pairs(text: str) -> list[tuple[str, str]]:
    words = [w.casefold() for w in _LETTERS_RE.findall(text)]
    return list(zip(words, words[1:]))


def _pairs_held(query: str, texts: list[str]) -> np.ndarray:
    """For each text, the share of the query's consecutive word pairs (stopwords included: "whose
    job", "it was") that it holds side by side; 0 for a query of one word."""
    wanted = set(_word_pairs(query))
    if not wanted:
        return np.zeros(len(texts))
    return np.array([len(wanted.intersection(_word_pairs(text))) / len(wanted) for text in texts])


_WORD_EDGES = ".,;:!?()[]{}\"“”‘’'"     # taken off a word made of pieces ("Fund:" is "Fund")


def _words_of_pieces(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, list[int]]]:
    """The words a text's word pieces make (pieces with nothing between them, "cure", "-", "all"), each
    with the indexes of its pieces; trailing punctuation left off ("Fund:" is "Fund")."""
    groups: list[list[int]] = []
    for index, (start, end) in enumerate(spans):
        if groups and start == spans[groups[-1][-1]][1] and end > start:
            groups[-1].append(index)
        elif end > start:
            groups.append([index])
    words = []
    for group in groups:
        word = text[spans[group[0]][0]:spans[group[-1]][1]].strip(_WORD_EDGES)
        if word:
            words.append((word, group))
    return words


def _past_the_end(offset: int, total: int, noun: str = "result") -> str | None:
    """What a page past the last result (or quote) says, else None."""
    if total and offset >= total:
        return f"Number {offset + 1} is past the end: the {total} {noun}{'s' if total != 1 else ''} end at number {total}."
    return None


def _typo_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn ``a`` into ``b``."""
    return OSA.distance(a, b)


def _filter_matches(key: str, value: Any, wanted: set[str]) -> bool:
    if key in ("study", "kind"):
        return bool(wanted & value)
    if key == "type":       # a document type as a reader types it: "Book Chapter" is "book chapter"
        return value is not None and value.casefold() in {w.casefold() for w in wanted}
    return value in wanted


def _make_room(cache: dict, size: int) -> None:
    """Drops the oldest entry of a bounded cache that is full (safe when requests race for it)."""
    if len(cache) >= size:
        try:
            cache.pop(next(iter(cache)), None)
        except (StopIteration, RuntimeError):
            pass


def _top(scores: np.ndarray, count: int) -> np.ndarray:
    """Rows of the ``count`` highest scores, best first, without sorting the whole array."""
    if len(scores) <= count:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, count)[:count]
    return part[np.argsort(-scores[part], kind="stable")]


def _quote_topic(query: str, roles: list[str]) -> str:
    """What a quote query is about: without the words that ask for a quote or name the speaker
    ("headteacher quote on involving the whole family" → "involving the whole family")."""
    topic = _QUOTE_INTENT_RE.sub(" ", query)
    for role, pattern in ROLE_RES:
        if role in roles:
            topic = pattern.sub(" ", topic, count=1)
    topic = re.sub(r"\s+", " ", topic).strip(" ,.;:?!'’")
    topic = re.sub(r"^(?:(?:on|about|from|by|that|of|a|an|the|what|did|does|do|own|one|some|[’']s?)\b\W*)+", "", topic, flags=re.I)
    return topic if len(topic.split()) >= 2 else query


_COMMON_WORD_ZIPF = 3.5     # wordfreq's scale: "promise" 4.7, "dont" 4.7, "tailored" 3.6, a typo ("chlid", "resilence") below 1.5


def _english_word(folded: str) -> bool:
    """Whether a case-folded word is English as it stands: common itself, or a common word with a
    regular ending ("judging" from "judge", "clashes" from "clash", "shopped" from "shop", "replies"
    from "reply"). Such words are rarer than their stems ("crediting" 2.8, "tendering" 2.7, "clashing"
    2.9: rare enough to pass for typos), yet English. A misspelt ending ("occured") passes too, so it
    gets no respelling; a misspelt stem ("resilence", "colaborating") does not pass."""
    from wordfreq import zipf_frequency as zipf

    return any(zipf(word, "en") >= _COMMON_WORD_ZIPF for word in (folded, *regular_bases(folded)))


def _asks_only_for_a_speaker(query: str, roles: list[str] | None = None) -> bool:
    """Whether a query names whose words it wants and nothing else ("what did managers say",
    "parent quotes", "quotes from practitioners"): no topic is left without the asking and the role.
    ``roles``: the query's roles when the caller has them (roles_in)."""
    rest = _QUOTE_INTENT_RE.sub(" ", query)
    jobs = role_words_in(query)         # a job a role takes in, named whole ("police officers", "attendance officer")
    for words, _ in jobs:
        rest = re.sub(r"(?<!\w)" + re.escape(words) + r"(?!\w)", " ", rest, flags=re.I)
    for _, pattern in ROLE_RES:
        rest = pattern.sub(" ", rest)
    named = (roles_in(query) or [role for _, role in jobs]) if roles is None else roles
    return bool(named) and not tokenize(rest)


def _own_word_held(term: str, others: dict[str, re.Pattern | None], text: str) -> bool:
    """Whether a text holding an index term holds it as the query's own word: any word, for a term
    no other word shares (not in ``others``, from :meth:`Searcher._other_words`), else one its pattern finds."""
    if term not in others:
        return True
    ours = others[term]
    return ours is not None and bool(ours.search(text))


def _quote_words(quote: dict[str, Any]) -> str:
    """The words a quote is found by: the sentence introducing it, its speaker and its own."""
    return f"{quote.get('introduction') or ''} {quote.get('speaker') or ''} {quote['text']}"


def _stand_in_terms(synonyms: dict[str, list[str]]) -> dict[str, str]:
    """The index terms of the synonyms of the query's words that no passage uses (``_synonyms_asked``:
    "kids" → child, youngster), each with the word it stands in for."""
    return {term: word for word, found in synonyms.items() for synonym in found for term in tokenize(synonym)}


def _keyword_text(query: str) -> str:
    """What the keywords of a query are taken from: "parent quote on trust" gives "parent … on trust";
    a query of nothing but such words stays whole."""
    asked = _QUOTE_INTENT_RE.sub(" ", query)
    return asked if tokenize(asked) else query


def asks_for_quote(query: str) -> bool:
    """Whether a query asks to hear someone's words ("parent quote on…", "what did a carer say
    about…", "board member on…", "practitioner describing…"), not what a document says ("can the
    report already say what works")."""
    if _QUOTE_INTENT_RE.search(_DOCUMENT_SAYS_RE.sub(" ", query)):
        return True
    opening = _SPEAKER_OPENING_RE.match(query)
    return bool(opening and roles_in(opening.group("who")))


# a query opening with a speaker and what they speak on, as a slide credits a quotation: "board member on
# …", "practitioner describing …", "project worker who speaks …" (a speaker, no "of", "in" or "and": not
# "parents of children in need …"; a verb of speaking: not "practitioners working together …")
_SPEAKER_OPENING_RE = re.compile(
    r"^\s*(?:(?:a|an|the|one|some)\s+)?(?P<who>(?:(?!(?:of|in|and|for|to|with|on|about|who)\b)[\w'’-]+\s+){0,3}?"
    r"(?!(?:of|in|and|for|to|with)\b)[\w'’-]+)\s+(?:on|about|who|" + SPEAKING_ING + r")\b", re.I)


def is_bibliography(passage: dict[str, Any]) -> bool:
    """A reference-list passage, less the lists of funded studies ("Studies since 2005: [S1] NECF …
    £6m"): those answer questions about studies, funders and grants, not only about works."""
    return passage.get("kind") == "references" and not STUDY_SECTION_RE.search(passage.get("heading") or "")


def _ranks(values: np.ndarray | list[float]) -> np.ndarray:
    """0 for the largest value, 1 for the next… (ties keep their order)."""
    order = np.argsort(-np.asarray(values, dtype=float), kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    return ranks


def _similarities(vectors: np.ndarray, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    if len(vectors) == 0 or vectors.shape[1] != len(vector):
        return np.zeros(len(rows))
    return np.asarray(vectors[rows] @ vector, dtype=float)


def _unit(values: np.ndarray) -> np.ndarray:
    """Scaled to 0–1 over the candidates (all equal: all 0)."""
    if not len(values):
        return values
    lo, hi = float(values.min()), float(values.max())
    return (values - lo) / (hi - lo) if hi > lo else np.zeros(len(values))


def _bounds(owner: np.ndarray, count: int) -> list[tuple[int, int]]:
    """(start, end) rows of each passage's windows (windows are stored grouped by passage)."""
    starts = np.searchsorted(owner, np.arange(count), side="left")
    ends = np.searchsorted(owner, np.arange(count), side="right")
    return list(zip(starts.tolist(), ends.tolist()))


def _array(path: Path, ndim: int, mmap: bool = False) -> np.ndarray:
    """A .npy file of the index (memory-mapped with ``mmap``) with the number of dimensions it should
    have; a file missing, cut short or garbled is a LibraryError naming it."""
    array = read_build_file(path, lambda p: np.load(p, mmap_mode="r" if mmap else None))
    if not isinstance(array, np.ndarray) or array.ndim != ndim:
        raise LibraryError(f"{path} is damaged (not an array of {ndim} dimension{'s' if ndim > 1 else ''}); "
                           "rebuild with `ckg build`")
    return array


def _vectors(path: Path, count: int, dimension: int | None) -> np.ndarray:
    """A file of ``count`` vectors (of ``dimension`` numbers, when known), memory-mapped."""
    vectors = _array(path, 2, mmap=True)
    if len(vectors) != count or (dimension and vectors.shape[1] != dimension):
        raise LibraryError(f"{path} does not match the passages of its build ({len(vectors)} vectors of "
                           f"{vectors.shape[1]}, not {count}); rebuild with `ckg build`")
    return vectors


def _vector_index(path: Path, kind: str | None, count: int) -> VectorIndex:
    """A FAISS index of the build, of ``count`` vectors."""
    index = read_build_file(path, lambda p: VectorIndex.load(p, kind or "flat"))
    if index.size != count:
        raise LibraryError(f"{path} does not match the passages of its build ({index.size} vectors, not {count}); "
                           "rebuild with `ckg build`")
    return index
