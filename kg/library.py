"""The built library as one object: what the CLI, the web app and the tests read."""
from __future__ import annotations

import json
import logging
import re
import threading
import time
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from .build import CURRENT, FORMAT_VERSION, mark_in_use, unmark_in_use
from .settings import Settings

log = logging.getLogger(__name__)


class LibraryError(Exception):
    """The build directory is missing, incomplete or from an incompatible version."""


# what a reader of a build's file raises on a missing, cut-short or garbled file: json and numpy
# (ValueError, EOFError), FAISS (RuntimeError), pyoxigraph (SyntaxError)
READ_ERRORS = (OSError, EOFError, ValueError, RuntimeError, SyntaxError)
_NOT_GIVEN: Any = object()


def _reason(exc: BaseException) -> str:
    """A reader's message on one line, without FAISS's C++ function and source line."""
    text = " ".join(str(exc).split())
    if text.startswith("This file contains pickled"):     # numpy's word for bytes that are no .npy array
        return "not a NumPy array file"
    return re.sub(r"^Error in .*? at \S+:\d+: (?:Error: )?", "", text)[:300]


def _damaged(path: Path, exc: BaseException) -> str:
    if not path.exists() and not path.is_symlink():
        return f"{path} is missing; rebuild with `ckg build`"
    return f"{path} is damaged or unreadable ({type(exc).__name__}: {_reason(exc)}); rebuild with `ckg build`"


def damaged(path: Path, exc: BaseException) -> LibraryError:
    """The error for a file of the build that could not be read: it names the file, says it is
    missing or damaged (with the reader's reason) and to rebuild with `ckg build`."""
    return LibraryError(_damaged(Path(path), exc))


def read_build_file(path: Path, read: Callable[[Path], Any], default: Any = _NOT_GIVEN) -> Any:
    """``read(path)`` for a file of a build, where it is loaded: a file that cannot be read is a
    :class:`LibraryError` naming it, never the reader's own error. With ``default``, a missing file
    (one that builds made before it lack) gives ``default``."""
    if default is not _NOT_GIVEN and not path.exists():
        return default
    try:
        return read(path)
    except READ_ERRORS as exc:
        raise damaged(path, exc) from None


_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def read_json(path: Path, kind: type | None = None, default: Any = _NOT_GIVEN) -> Any:
    """A JSON file of a build; a damaged one (or, with ``kind``, one holding another type of value:
    a list for an object) is a LibraryError naming it. With ``default``, a missing file (one that
    builds made before it lack) gives ``default``."""
    if default is not _NOT_GIVEN and not path.exists():
        return default
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise LibraryError(_damaged(path, exc)) from None
    if kind is not None and not isinstance(data, kind):
        raise LibraryError(f"{path} is damaged (it holds a JSON {_JSON_TYPES.get(type(data), 'value')} where a JSON "
                           f"{_JSON_TYPES.get(kind, kind.__name__)} belongs); rebuild with `ckg build`")
    return data


class Library:
    """A built library loaded from ``build_dir`` (the directory `ckg build` wrote)."""

    def __init__(self, build_dir: str | Path, settings: Settings | None = None):
        self.build_dir = Path(build_dir)
        self.settings = settings or Settings.from_env()
        self.root = self._resolve(self.build_dir)
        self.manifest = self._load_manifest()
        self._sources: list[dict[str, Any]] = read_json(self.root / "sources.json", list)
        try:
            self._source_by_id = {s["id"]: s for s in self._sources}
        except (TypeError, KeyError) as exc:
            raise LibraryError(_damaged(self.root / "sources.json", exc)) from None
        self._passages: list[dict[str, Any]] = []
        try:
            with (self.root / "passages.jsonl").open(encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        self._passages.append(json.loads(line))
            self._passage_by_id = {p["passage_id"]: p for p in self._passages}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError, TypeError, KeyError) as exc:
            raise LibraryError(_damaged(self.root / "passages.jsonl", exc)) from None
        self._documents: dict[str, dict[str, Any]] = {}
        self._credits: dict[str, dict[str, dict[str, Any]]] = {}    # concept id → passages crediting it to a work
        self._aliases: dict[str, str] | None = None                   # a person's former id → their id
        self._graph_error: str | None = None                          # why graph.nq could not be loaded

    @staticmethod
    def _resolve(build_dir: Path) -> Path:
        if (build_dir / CURRENT).exists():
            return (build_dir / CURRENT).resolve()
        if (build_dir / "manifest.json").exists():
            return build_dir   # a release directory given directly
        if build_dir.is_file():
            raise LibraryError(f"{build_dir} is a file, not a build folder; give the folder `ckg build` wrote "
                               "(--build DIR, default build)")
        raise LibraryError(f"{build_dir} holds no built library; run `ckg build --out {build_dir}` first")

    def _load_manifest(self) -> dict[str, Any]:
        path = self.root / "manifest.json"
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise LibraryError(f"{path} is missing or unreadable ({exc}); rebuild with `ckg build`") from None
        if not isinstance(manifest, dict):
            raise LibraryError(f"{path} is damaged (it holds a JSON {_JSON_TYPES.get(type(manifest), 'value')} where a "
                               "JSON object belongs); rebuild with `ckg build`")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise LibraryError(
                f"{path} has format {manifest.get('format_version')}, this ckg reads {FORMAT_VERSION}; rebuild with `ckg build`"
            )
        for name in ("sources.json", "passages.jsonl"):
            if not (self.root / name).exists():
                raise LibraryError(f"{self.root / name} is missing; rebuild with `ckg build`")
        return manifest

    def available(self) -> bool:
        """Whether the release this library reads from is still on disk (its documents and indexes
        are read from it on first use)."""
        return (self.root / "manifest.json").is_file()

    def warm(self) -> None:
        """Load now what is otherwise loaded on first use: the model and indexes of the search, and
        the word list that tells a run-together word from a real one."""
        self.searcher.keyword.glued_terms()

    # --- sources and passages ---------------------------------------------------------------------

    def sources(self) -> list[dict[str, Any]]:
        return list(self._sources)

    def source(self, source_id: str) -> dict[str, Any] | None:
        return self._source_by_id.get(source_id)

    def passages(self, source_id: str | None = None) -> list[dict[str, Any]]:
        if source_id is None:
            return list(self._passages)
        return [p for p in self._passages if p["source_id"] == source_id]

    def passage(self, passage_id: str) -> dict[str, Any] | None:
        return self._passage_by_id.get(passage_id)

    def document(self, source_id: str) -> dict[str, Any] | None:
        """Cleaned text, pages and blocks of one source (loaded on first use)."""
        if source_id not in self._source_by_id:
            return None
        if source_id not in self._documents:
            path = self.root / "documents" / f"{source_id}.json"
            self._documents[source_id] = read_json(path, dict)
        return self._documents[source_id]

    # --- concepts ---------------------------------------------------------------------------------

    @cached_property
    def _concepts(self) -> dict[str, dict[str, Any]]:
        return read_json(self.root / "concepts.json", dict, default={})

    @cached_property
    def _links(self) -> dict[str, dict[str, Any]]:
        return read_json(self.root / "links.json", dict, default={})

    def concepts(self) -> dict[str, dict[str, Any]]:
        return self._concepts

    def concept(self, concept_id: str) -> dict[str, Any] | None:
        return self._concepts.get(concept_id)

    def links(self, passage_id: str) -> dict[str, Any]:
        """Concept mentions (offsets into the source's cleaned text) and defined concepts of a passage."""
        return self._links.get(passage_id, {"mentions": [], "defines": []})

    def section_of(self, passage_id: str | None) -> str | None:
        """The heading a passage stands under, which names its place where the source has no page
        numbers; not the source's own title, which a short note may carry as its only heading."""
        passage = self._passage_by_id.get(passage_id or "")
        heading = " ".join(((passage or {}).get("heading") or "").split())
        title = " ".join((self._source_by_id.get((passage or {}).get("source_id"), {}).get("title") or "").split())
        return heading if heading and heading.casefold() != title.casefold() else None

    def place(self, source_id: str | None, page: int | None, page_label: str | None,
              passage_id: str | None = None, end_page: int | None = None, end_label: str | None = None) -> str | None:
        """Where words stand in a source, as their citation gives it: "p. 12" (the printed page where
        the PDF labels its pages), "slide 3" in a deck, "pp. 4–5" for words running on to ``end_page``,
        or, where the source has no page numbers, the section the passage stands under ("section 3.4",
        "section ‘Trust’"); None without either."""
        from .quotes import locator, section_locator

        return (locator(page, page_label, self.source(source_id or ""), end_page, end_label) if page is not None else None) \
            or section_locator(self.section_of(passage_id))

    def passage_concepts(self, passage_id: str) -> list[str]:
        seen: list[str] = []
        for mention in self.links(passage_id)["mentions"]:
            if mention["concept_id"] not in seen:
                seen.append(mention["concept_id"])
        return seen

    @cached_property
    def counts(self) -> dict[str, int]:
        return {"sources": len(self._sources), "passages": len(self._passages), "failed": len(self.manifest.get("failures", []))}

    # --- quotes -----------------------------------------------------------------------------------

    @cached_property
    def _quotes(self) -> list[dict[str, Any]]:
        path = self.root / "quotes.json"
        quotes = read_json(path, list, default=[])
        from .quotes import harvard_citation

        for quote in quotes:
            # the heading it stands under: where a source has no page numbers, the citation names the section
            quote["section"] = self.section_of(quote.get("passage_id")) if quote.get("page") is None else None
            quote["citation"] = harvard_citation(quote, self._source_by_id.get(quote["source_id"], {}))
        return quotes

    def quotes(self) -> list[dict[str, Any]]:
        return list(self._quotes)

    @cached_property
    def _quote_by_id(self) -> dict[str, dict[str, Any]]:
        return {q["quote_id"]: q for q in self._quotes}

    def quote(self, quote_id: str) -> dict[str, Any] | None:
        return self._quote_by_id.get(quote_id)

    def verify_quote(self, quote: dict[str, Any]) -> bool:
        """Checked character for character against the source's cleaned text as built."""
        from .quotes import verify

        document = self.document(quote.get("source_id", ""))
        return document is not None and verify(quote, document["text"])

    def export_quotes(self, quote_ids: list[str], fmt: str, link_base: str = "", group: str = "quote") -> str:
        """The quotes in the order given, verified against their sources, in an export format; ``group``
        "source" gives a reference manager one reference per source, its quotes as notes."""
        from .quote_export import ExportError, export

        if not quote_ids:
            raise ExportError("no quotes to export: give their ids (ids=), or a query (q=) or filters that find some")
        quotes = [self.quote(qid) for qid in quote_ids]
        missing = [qid for qid, quote in zip(quote_ids, quotes) if quote is None]
        if missing:
            raise ExportError(f"unknown quote ids: {', '.join(missing[:10])}")
        changed = [q["quote_id"] for q in quotes if not self.verify_quote(q)]
        if changed:
            raise ExportError(f"these quotes no longer match their source text and were not exported: {', '.join(changed)}; "
                              "remove them from the basket and find them again")
        return export(quotes, self._source_by_id, fmt, link_base, group)

    def search_quotes(self, query: str = "", **options):
        return self.searcher.search_quotes(query, **options)

    # --- search -----------------------------------------------------------------------------------

    @cached_property
    def searcher(self):
        """The hybrid searcher (loads the model and indexes on first use)."""
        from .index.search import Searcher

        try:
            return Searcher(self.root, self._passages, self._source_by_id, self._concepts, self._links, self.settings,
                            quotes=self._quotes, study_sources=self._sources_by_study, credits=self.passages_crediting)
        except (OSError, ValueError) as exc:
            raise LibraryError(str(exc)) from None

    def search(self, query: str, **options):
        return self.searcher.search(query, **options)

    # --- knowledge graph ---------------------------------------------------------------------------

    @property
    def graph_path(self) -> Path:
        """The release's RDF dataset (graph.nq: ontology + one named graph per source)."""
        return self.root / "graph.nq"

    @cached_property
    def _graph_engine(self):
        from .sparql import Engine

        if not self.graph_path.exists():
            raise LibraryError(f"{self.graph_path} is missing; rebuild with `ckg build`")
        if self._graph_error is None:
            try:
                return Engine(str(self.graph_path), "oxigraph")     # a damaged graph.nq: a LibraryError naming it
            except LibraryError as exc:
                self._graph_error = str(exc)    # said again on the next use, not found again by parsing the file anew
        raise LibraryError(self._graph_error)

    def graph(self):
        """The knowledge graph as a pyoxigraph store, loaded on first use (read it, never write to it)."""
        return self._graph_engine.store

    def sparql(self, query: str, **options):
        """Run a read-only SPARQL query in this process (no time limit): a kg.sparql.Result;
        ``.dicts()`` gives SELECT rows as plain {variable: value} dicts."""
        return self._graph_engine.run(query, **options)

    @cached_property
    def _studies(self) -> dict[str, dict[str, Any]]:
        from .studies import catalogue

        return catalogue(lambda query: self.sparql(query).dicts()) if self.graph_path.exists() else {}

    def studies(self) -> dict[str, dict[str, Any]]:
        """Every study of the graph with its funder, years, leads, scale, method, sources and passages."""
        return self._studies

    def study(self, study_id: str) -> dict[str, Any] | None:
        return self._studies.get(study_id)

    def find_study(self, name: str) -> dict[str, Any] | None:
        """The study a name stands for: its id, acronym, title or a label, in any case."""
        from .studies import study_names

        wanted = name.strip().casefold()
        return next((study for study in self.studies().values() if wanted in study_names(study)), None)

    @cached_property
    def _study_matcher(self):
        from .concepts import Concept
        from .studies import StudyMatcher

        records = {}
        for sid, study in self.studies().items():
            name = study["name"] or study["label"] or sid
            others = [n for n in dict.fromkeys((study.get("acronym"), study.get("label"), *study.get("alt_labels", [])))
                      if n and n != name and not n.startswith("[")]
            records[sid] = Concept(id=sid, uri=study["uri"], pref_label=name, alt_labels=others)
        return StudyMatcher(records)

    def studies_named_in(self, text: str) -> list[str]:
        """The catalogued studies a short text (a query) names, in order: the whole text as a study's
        name in any case ("necf", "what is the LIW study?"), else each name written in it as the
        texts write it (acronyms in capitals: "relational agency in LIW")."""
        from .labels import bare_name

        text = " ".join((text or "").split())[:200]
        if not text:
            return []
        for whole in dict.fromkeys((text, bare_name(text).rstrip("?. "), re.sub(r"\s+(?:study|project|evaluation)$", "",
                                                                               bare_name(text).rstrip("?. "), flags=re.I))):
            study = self.find_study(whole) if whole else None
            if study:
                return [study["id"]]
        return list(dict.fromkeys(m["study_id"] for m in self._study_matcher.find(text)))

    def _sources_by_study(self) -> dict[str, dict[str, set[str]]]:
        """A study's id, acronym, title and labels (case-folded) → {"sources": the sources that report
        it, "names": all those names}."""
        from .studies import study_names

        out: dict[str, dict[str, set[str]]] = {}
        for study in self.studies().values():
            names = study_names(study)
            for name in names:
                entry = out.setdefault(name, {"sources": set(), "names": set()})
                entry["sources"] |= set(self.reporting_sources(study))
                entry["names"] |= names
        return out

    def reporting_sources(self, study: dict[str, Any]) -> list[str]:
        """The sources that report a study: those the graph links it to, less any naming it only in its
        reference list (Jopling and Vincent list an LIW report among their references: a work they cite,
        not a study they report)."""
        from .index.search import is_bibliography

        from .index.text import fold

        def only_listed(source_id: str) -> bool:
            here = [self.passage(p["passage_id"]) for p in study.get("passages") or []]
            here = [p for p in here if p and p["source_id"] == source_id]
            return bool(here) and all(is_bibliography(p) for p in here)

        names = {fold(name) for name in (study.get("name"), study.get("label")) if name}

        def cited_as_a_publication(source_id: str) -> bool:
            # an entry of its reference list, with authors, is the study's report ("[C7] Clarke-Phillips, J. &
            # Carr, M. (2009) Strengthening …"): the source cites that study as evidence, it does not report it
            return any(entry.get("authors") and fold(entry.get("title") or "") in names
                       for entry in self.references(source_id) or [])

        return [sid for sid in study.get("sources") or [] if not only_listed(sid) and not cited_as_a_publication(sid)]

    def failures(self) -> list[dict[str, str]]:
        return list(self.manifest.get("failures", []))

    # --- citation lineage ---------------------------------------------------------------------------

    @cached_property
    def _citations(self) -> dict[str, Any]:
        from .citations import FILE

        path = self.root / FILE
        return read_json(path, dict, default={"sources": {}, "works": {}, "people": {}})

    def works(self, q: str = "") -> list[dict[str, Any]]:
        """Canonical works whose author surnames, year or title words match every word of ``q`` (all when empty);
        when ``q`` is an in-text citation of several works ("(Edwards 2005, 2007, in press)"), the works it
        names, in its order (see :meth:`works_cited_in`)."""
        return self.works_for(q)[0]

    def works_for(self, q: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        """:meth:`works` and :meth:`works_cited_in` from one reading of ``q``: the works, and the parts of
        a citation of several works (None for any other ``q``)."""
        from .citations.works import work_matches

        works = list(self._citations["works"].values())
        if not q.strip():
            return works, None
        cited = self.works_cited_in(q)
        if cited is not None:
            return list({w["id"]: w for part in cited for w in part["works"]}.values()), cited
        return [w for w in works if work_matches(w, q)], None

    def works_cited_in(self, q: str) -> list[dict[str, Any]] | None:
        """When ``q`` is an in-text citation of several works ("(Bynner, 2001; France and Utting, 2005)",
        "Edwards 2005, 2007"), one entry per work it cites, in its order: {"citation": "Edwards (2007)",
        "works": the works that fit it, none when the library has none}; None for any other ``q``."""
        from .citations.works import works_cited_in

        return works_cited_in(q, list(self._citations["works"].values()))

    def work(self, work_id: str) -> dict[str, Any] | None:
        return self._citations["works"].get(work_id)

    def references(self, source_id: str) -> list[dict[str, Any]] | None:
        """The reference-list entries of a source (None for an unknown source)."""
        if source_id not in self._source_by_id:
            return None
        return self._citations["sources"].get(source_id, {}).get("references", [])

    def citations(self, source_id: str) -> list[dict[str, Any]] | None:
        """The in-text citations of a source, each with its sentence, passage, page and work."""
        if source_id not in self._source_by_id:
            return None
        return self._citations["sources"].get(source_id, {}).get("citations", [])

    def people(self) -> dict[str, dict[str, Any]]:
        return self._citations["people"]

    def person(self, person_id: str) -> dict[str, Any] | None:
        return self._citations["people"].get(person_id)

    def work_alias(self, work_id: str) -> str | None:
        """The id of the work that an unknown ``work_id`` clearly means: an id of the form works had before
        their keys were cut between words and kept the year's letter ("department-for-education-and-s-2004-every-child-matters"
        → "department-for-education-and-skills-2004b-every-child-matters"), or the id typed in another case.
        None when nothing or several works match."""
        works = self._citations["works"]
        if work_id in works:
            return None
        if work_id.casefold() in works:
            return work_id.casefold()
        asked = _work_key_parts(work_id.casefold())
        if asked is None:
            return None
        found = [wid for wid in works if (parts := _work_key_parts(wid)) is not None and _same_work_key(asked, parts)]
        return found[0] if len(found) == 1 else None

    def person_alias(self, person_id: str) -> str | None:
        """The id of the person or body that ``person_id`` clearly means when it is not an id of theirs:
        one they had before their graph id ("edwards-a" → "anne-edwards"), an id typed in another case
        or with spaces ("Anne Edwards"), a body without its "org-" or by its acronym ("dfes", "necf",
        "home-office"), or a surname only one person has ("engestrom"). None when nothing or several match."""
        people = self._citations["people"]
        if self._aliases is None:
            aliases = {alias: pid for pid, person in people.items() for alias in person.get("aliases") or []}
            for pid, person in people.items():
                aliases.setdefault(_id_form(person.get("name") or ""), pid)
                if person.get("kind") == "organization":
                    aliases.setdefault(_acronym(person.get("name") or ""), pid)
            aliases.pop("", None)
            self._aliases = aliases
        if person_id in self._aliases:
            return self._aliases[person_id]
        key = _id_form(person_id)
        for guess in (key, "org-" + key):
            if guess in people and guess != person_id:
                return guess
        if key in self._aliases:
            return self._aliases[key]
        by_surname = [pid for pid, person in people.items() if person.get("kind") != "organization"
                      and (pid.endswith("-" + key) or pid.startswith(key + "-"))]
        return by_surname[0] if len(by_surname) == 1 and len(key) > 2 else None

    def passages_crediting(self, concept_id: str) -> dict[str, dict[str, Any]]:
        """The passages where a source credits the concept to a work (a citation standing by its name
        in the sentence, as the lineage's "cited for" rows): passage id → {"place", "works"}, those
        crediting the earliest work first (place 0). Remembered per concept; do not change it."""
        from .citations.works import crediting_passages

        found = self._credits.get(concept_id)
        if found is None:
            found = self._credits[concept_id] = (
                crediting_passages(concept_id, self._citations, self._links, self._passage_by_id,
                                   self._narrower(concept_id))
                if concept_id in self._concepts else {})
        return found

    def concept_lineage(self, concept_id: str) -> list[dict[str, Any]] | None:
        """The works cited in the passages about a concept (those cited for it first, then the others;
        each earliest first), each with the citing
        sentence (one naming the concept when there is one), its source and passage, and whether
        that passage defines the concept. None for an unknown concept."""
        from .citations.works import lineage

        if concept_id not in self._concepts:
            return None
        return lineage(concept_id, self._citations, self._links, self._passage_by_id, self._narrower(concept_id))

    def _narrower(self, concept_id: str) -> set[str]:
        """Every concept below ``concept_id`` in the scheme (narrower, their narrower, …)."""
        found: set[str] = set()
        todo = list(self._concepts.get(concept_id, {}).get("narrower") or [])
        while todo:
            cid = todo.pop()
            if cid not in found and cid != concept_id:
                found.add(cid)
                todo.extend(self._concepts.get(cid, {}).get("narrower") or [])
        return found


_ACRONYM_SKIP = {"of", "the", "and", "for", "in", "on", "to", "a", "an", "&"}


class LibraryFollower:
    """The library a build directory serves now, for a long-running server: the release its
    ``current`` link points to, followed as builds, `ckg add` and `ckg remove` switch it.

    :meth:`get` looks at the link at most once per ``interval_s`` (one readlink). When it points to
    another release, that release is loaded (and, with ``warm``, its search index) and replaces
    the served library in one assignment; meanwhile the other threads keep answering from the
    library they have, and a request keeps the library it started with. The served release is
    marked in use (:func:`kg.build.mark_in_use`), so a build does not prune it while this process
    lives. ``on_change(old, new)`` listeners run after each switch (the app's caches and SPARQL
    workers are per release)."""

    def __init__(self, build_dir: str | Path, settings: Settings | None = None, interval_s: float = 1.0,
                 warm: bool = True):
        self.build_dir = Path(build_dir)
        self.interval_s = float(interval_s)
        self.warm = warm
        self.error: str | None = None       # why the release `current` points to could not be loaded
        self._library = Library(self.build_dir, settings)
        self._marker = mark_in_use(self._library.root)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Library, Library], None]] = []

    @property
    def library(self) -> Library:
        """The library served now, without looking at the link."""
        return self._library

    def on_change(self, listener: Callable[[Library, Library], None]) -> None:
        self._listeners.append(listener)

    def get(self) -> Library:
        """The library to answer from: the current release, looked at at most once per interval."""
        if time.monotonic() - self._checked < self.interval_s:
            return self._library
        if not self._lock.acquire(blocking=False):
            return self._library            # another thread is looking or loading: answer from what we have
        try:
            if time.monotonic() - self._checked >= self.interval_s:
                self._follow()
                self._checked = time.monotonic()
        finally:
            self._lock.release()
        return self._library

    def close(self) -> None:
        """This process no longer serves the release: builds may prune it."""
        unmark_in_use(self._marker)
        self._marker = None

    def _follow(self) -> None:
        link = self.build_dir / CURRENT
        if not link.is_symlink():
            return                          # a release directory served directly: nothing to follow
        try:
            target = link.resolve(strict=True)
        except OSError:
            return                          # switched or removed in this instant: look again next time
        if target == self._library.root:
            return
        marker = mark_in_use(target)        # before loading: a build pruning meanwhile spares it
        try:
            library = Library(target, self._library.settings)
            if self.warm:
                library.warm()
        except Exception as exc:            # a broken release must not stop the one being served
            unmark_in_use(marker)
            self.error = f"{target} could not be loaded ({type(exc).__name__}: {exc}); still serving {self._library.root}"
            log.warning("%s", self.error)
            return
        old, old_marker = self._library, self._marker
        self._library, self._marker, self.error = library, marker, None
        log.info("now serving %s (was %s)", library.root, old.root)
        for listener in self._listeners:
            listener(old, library)
        unmark_in_use(old_marker)


def _acronym(name: str) -> str:
    """"National Evaluation of the Children’s Fund" → "necf"."""
    words = [w for w in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", name) if w.casefold() not in _ACRONYM_SKIP]
    return "".join(w[0] for w in words).casefold() if len(words) > 1 else ""


def _id_form(text: str) -> str:
    """An id as the library spells them: case folded, accents dropped, words joined by hyphens."""
    plain = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", plain.replace("'", "")))


def _work_key_parts(work_id: str) -> tuple[list[str], str, list[str]] | None:
    """A work key's name words, year (without its letter) and title words: "engestrom-1999a-activity-theory"
    → (["engestrom"], "1999", ["activity", "theory"]); None for a key without a year."""
    match = re.fullmatch(r"(?P<name>[a-z0-9-]*?)-?(?P<year>\d{4})[a-z]?(?:-(?P<title>[a-z0-9-]*))?", work_id)
    if match is None or not match.group("name"):
        return None
    return match.group("name").split("-"), match.group("year"), [w for w in (match.group("title") or "").split("-") if w]


def _same_work_key(old: tuple[list[str], str, list[str]], new: tuple[list[str], str, list[str]]) -> bool:
    """Whether an older key names the work of a newer one: the same year, the older name the newer one
    cut anywhere (its last word may be cut short), the older title words the newer ones or the newer
    ones followed by a stop word the newer keys leave off."""
    (old_name, old_year, old_title), (name, year, title) = old, new
    if old_year != year or len(old_name) > len(name) or not old_name:
        return False
    if old_name[:-1] != name[:len(old_name) - 1] or not name[len(old_name) - 1].startswith(old_name[-1]):
        return False
    # a key without title words names the same work as one with them: a work first known from a bare
    # citation ("victor-1998") gains its title's words when a document added later lists it, and loses
    # them when that document is removed; links and BibTeX keys made before still lead to it
    shared = min(len(old_title), len(title))
    return old_title[:shared] == title[:shared]

