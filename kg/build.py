"""`ckg build`: corpus folder → a built library directory, written atomically.

Layout of the build directory::

    build/
      .build.lock                       held (flock) by the build, `ckg add` or `ckg remove` running here
      current -> releases/<release>     (symlink swapped atomically when a build completes)
      releases/<release>/manifest.json  versions, settings, counts, corpus hash, failures
                        /.in-use-<pid>-<token>  a server's mark: not pruned while that process lives
                        /sources.json   one record per ingested source (metadata + page map)
                        /passages.jsonl one passage per line
                        /documents/<source_id>.json  cleaned text, blocks and pages for the reader

Each file is extracted in its own worker process with a wall-clock limit and an address-space
limit, so a hostile or broken file is reported for that file while the rest builds.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Callable, Iterator

from . import __version__
from .corpus import CorpusPlan, SourceMeta, plan
from .extract import ExtractedDocument, ExtractionError, extract
from .index.adapt import adapter_label
from .index.embed import check_embedding_settings
from .quotes import Quote, credit_cited_works, find_quotes
from .segment import Passage, segment
from .settings import Settings

FORMAT_VERSION = 1
CURRENT = "current"
RELEASES = "releases"
LOCK_FILE = ".build.lock"


class BuildOutputError(ValueError):
    """The build directory cannot be one: a file stands at its path."""


class BuildLocked(RuntimeError):
    """Another build (or `ckg add`, `ckg remove`) holds the build directory's lock."""


@contextlib.contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Hold the lock of the build directory ``out_dir`` for the duration of the block, or raise
    BuildLocked at once when another process holds it. Two builds at once would each publish the
    corpus as they read it, the last to finish winning even with the older corpus. The lock is an
    flock, which the kernel releases when its process ends however it ends: the lock file a killed
    build leaves behind never blocks the next one."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildOutputError(f"the build directory {out_dir} is a file, not a folder; pass a folder (a new one is made) "
                               "or move the file away")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = os.open(out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BuildOutputError(f"the build directory {out_dir} cannot be used ({exc.strerror or exc}); pass a folder "
                               "you can write to") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise BuildLocked(f"another build is running in {out_dir} (pid {holder}); wait for it to finish") from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode("ascii"), 0)     # for the message of a build refused meanwhile
        try:
            yield
        finally:
            os.ftruncate(handle, 0)
    finally:
        os.close(handle)                    # closing releases the flock


@dataclass
class FileResult:
    file: str
    source_id: str
    ok: bool
    reason: str = ""
    message: str = ""
    passages: int = 0
    seconds: float = 0.0


@dataclass
class BuildReport:
    out_dir: Path
    release_dir: Path | None
    results: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    index: Any = None            # kg.index.build.IndexReport once the search index is built
    quote_count: int = 0
    withheld: str | None = None  # why a build that ingested files was not published (--strict and a file failed)

    @property
    def ingested(self) -> list[FileResult]:
        return [r for r in self.results if r.ok]

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if not r.ok]

    @property
    def passage_count(self) -> int:
        return sum(r.passages for r in self.ingested)


# --- worker processes ---------------------------------------------------------------------------

_OUT_OF_MEMORY_RE = re.compile(r"failed to map segment|cannot allocate memory|out of memory", re.I)


def _out_of_memory(path: str) -> tuple[str, str]:
    return "memory", f"{Path(path).name} needs more memory than the limit (setting file_memory_mb)"


def _worker(path: str, limits: dict[str, Any], conn) -> None:
    """Runs in a child process: limits first, then extraction; the answer goes back on ``conn``."""
    try:
        memory = int(limits["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(limits["timeout_s"]) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (ValueError, OSError):
        pass   # a platform without these limits still has the parent's wall-clock limit
    try:
        document = extract(path, max_pages=int(limits["max_pages"]), max_bytes=int(limits["max_bytes"]))
        conn.send(("ok", document.to_dict()))
    except ExtractionError as exc:
        conn.send(("error", (exc.reason, exc.message)))
    except MemoryError:
        conn.send(("error", _out_of_memory(path)))
    except RecursionError:
        conn.send(("error", ("corrupt", f"{Path(path).name} is nested too deeply to parse")))
    except Exception as exc:  # any other failure of a parser on a bad file: report it, never crash the build
        if isinstance(exc, (ImportError, OSError)) and _OUT_OF_MEMORY_RE.search(str(exc)):
            # the limit met while a library loads ("failed to map segment from shared object")
            conn.send(("error", _out_of_memory(path)))
            return
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        conn.send(("error", ("failed", f"{Path(path).name} could not be read ({detail})")))
    finally:
        conn.close()


def _worker_context():
    """Workers come from a fork server: a clean process started once (with the extractors
    imported), so a worker never inherits the threads of a parent that has loaded torch, and
    starting one costs a fork, not a fresh interpreter."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["kg.extract", "kg.build"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Job:
    path: Path
    meta: SourceMeta
    process: Any
    conn: Any
    started: float


def extract_all(
    files: list[tuple[Path, SourceMeta]],
    settings: Settings,
    on_done: Callable[[Path, SourceMeta, ExtractedDocument | None, FileResult], None],
) -> None:
    """Extract every file in worker processes, ``settings.workers`` at a time, honouring the limits."""
    context = _worker_context()
    limits = {
        "memory_mb": settings.file_memory_mb,
        "timeout_s": settings.file_timeout_s,
        "max_pages": settings.max_pages,
        "max_bytes": int(settings.max_file_mb * 1024 * 1024),
    }
    queue = list(files)
    running: list[_Job] = []
    while queue or running:
        while queue and len(running) < max(1, settings.workers):
            path, meta = queue.pop(0)
            if path.stat().st_size > limits["max_bytes"]:
                on_done(path, meta, None, FileResult(meta.file, meta.id, False, "too-large",
                        f"{meta.file} is {path.stat().st_size / 1048576:.3g} MB, over the limit of {settings.max_file_mb:g} MB (setting max_file_mb)"))
                continue
            parent, child = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(str(path), limits, child), daemon=True)
            process.start()
            child.close()
            running.append(_Job(path, meta, process, parent, time.monotonic()))
        for job in list(running):
            elapsed = time.monotonic() - job.started
            outcome = None
            if job.conn.poll(0.05):
                try:
                    outcome = job.conn.recv()
                except (EOFError, OSError):
                    outcome = ("error", ("crashed", _crash_message(job)))
            elif not job.process.is_alive():
                job.process.join()
                outcome = ("error", ("crashed", _crash_message(job)))
            elif elapsed > settings.file_timeout_s:
                job.process.kill()
                outcome = ("error", ("timeout", f"{job.meta.file} took longer than {settings.file_timeout_s:g} s to extract (setting file_timeout_s)"))
            if outcome is None:
                continue
            running.remove(job)
            job.process.join(timeout=5)
            if job.process.is_alive():
                job.process.kill()
            job.conn.close()
            status, payload = outcome
            result = FileResult(job.meta.file, job.meta.id, status == "ok", seconds=time.monotonic() - job.started)
            document = None
            if status == "ok":
                document = ExtractedDocument.from_dict(payload)
            else:
                result.reason, result.message = payload
            on_done(job.path, job.meta, document, result)


def extract_one(path: Path, settings: Settings) -> ExtractedDocument:
    """One file extracted as the build extracts it: in a worker with the build's limits (time,
    memory, size, pages). Raises ExtractionError (reason, message naming the file and the setting)
    when it cannot be."""
    from .corpus import slugify

    answers: list[tuple[ExtractedDocument | None, FileResult]] = []
    extract_all([(path, SourceMeta(id=slugify(path.stem), file=path.name))], settings,
                lambda _path, _meta, document, result: answers.append((document, result)))
    if not answers:
        raise ExtractionError("failed", f"{path.name}: the extractor gave no answer")
    document, result = answers[0]
    if document is None:
        raise ExtractionError(result.reason or "failed", result.message or f"{path.name} could not be read")
    return document


def _crash_message(job: _Job) -> str:
    code = job.process.exitcode
    if code is not None and code < 0:
        return f"{job.meta.file}: the extractor was killed by signal {-code} (memory or CPU limit?)"
    return f"{job.meta.file}: the extractor stopped unexpectedly (exit code {code})"


# --- the build ----------------------------------------------------------------------------------

def build(
    settings: Settings,
    corpus_dir: Path | None = None,
    out_dir: Path | None = None,
    progress: Callable[[str, FileResult], None] | None = None,
    progress_note: Callable[[str], None] | None = None,
    *,
    lock: bool = True,
    strict: bool = False,
) -> BuildReport:
    """Build the library from ``corpus_dir`` into ``out_dir``; the previous build stays until this one is complete.

    Holds the lock of ``out_dir`` (see :func:`build_lock`; raises BuildLocked when another build
    holds it) unless ``lock`` is False, which says the caller holds it already. ``strict``: when any
    file fails, nothing is published (``report.withheld`` says why) and the last build stays.
    Raises MetadataError when the corpus's sources.toml cannot be read."""
    out_dir = Path(out_dir or settings.build_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildOutputError(f"the build directory {out_dir} is a file, not a folder; pass --out a folder "
                               "(a new one is made) or move the file away")
    # a wrong model or adapter setting fails now: before the build directory is made, not after extraction
    check_embedding_settings(settings)
    if not lock:
        return _build(settings, Path(corpus_dir or settings.corpus_dir), out_dir, progress, progress_note, strict)
    with build_lock(out_dir):
        return _build(settings, Path(corpus_dir or settings.corpus_dir), out_dir, progress, progress_note, strict)


def _build(settings: Settings, corpus_dir: Path, out_dir: Path, progress: Callable[[str, FileResult], None] | None,
           progress_note: Callable[[str], None] | None, strict: bool = False) -> BuildReport:
    started = time.monotonic()
    started_at = datetime.now(timezone.utc)        # the build activity's prov:startedAtTime in graph.nq
    corpus = plan(corpus_dir)
    report = BuildReport(out_dir=out_dir, release_dir=None, warnings=list(corpus.warnings))
    for file, reason, message in corpus.skipped:
        report.results.append(FileResult(file, "", False, reason, message))

    releases = out_dir / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(releases)
    _remove_stale_links(out_dir)
    # unique even for two builds in one second; the trailing pid lets a later build spot abandoned partials
    release_name = f"{started_at:%Y%m%dT%H%M%S}-{corpus.corpus_hash[:8]}-{uuid.uuid4().hex[:6]}-{os.getpid()}"
    partial = releases / f".partial-{release_name}"
    sources: list[dict[str, Any]] = []
    passages: list[Passage] = []
    quotes: list[Quote] = []
    concepts = _load_concepts(settings, report)
    # the scheme's names: one in quote marks is a term the text names, not words it quotes
    terms = {" ".join(label.casefold().split()) for concept in concepts.values() for label in concept.labels}

    def on_done(path: Path, meta: SourceMeta, document: ExtractedDocument | None, result: FileResult) -> None:
        if document is not None:
            slides = document.layout == "slides" or meta.type == "presentation slides"
            found = segment(
                document, meta.id,
                min_words=settings.min_passage_words, max_words=settings.max_passage_words,
                max_chars=settings.max_passage_chars, slides=slides, authors=meta.authors,
            )
            result.passages = len(found)
            report.warnings.extend(f"{meta.file}: {warning}" for warning in document.warnings)
            passages.extend(found)
            quotes.extend(find_quotes(document.text, meta.id, [p.to_dict() for p in found], [vars(p) for p in document.pages],
                                      slides=slides, studies=meta.studies, terms=terms))
            sources.append(_source_record(meta, document, found, slides))
            _write_json(partial / "documents" / f"{meta.id}.json", {
                "source_id": meta.id, "text": document.text, "layout": "slides" if slides else document.layout,
                "pages": [vars(p) for p in document.pages], "blocks": [vars(b) for b in document.blocks],
                "removed_furniture": document.removed_furniture,
            })
        report.results.append(result)
        if progress:
            progress(meta.file, result)

    try:
        # made inside the try: an interruption at any moment after takes the partial release away
        (partial / "documents").mkdir(parents=True)
        extract_all(corpus.files, settings, on_done)
        report.warnings.extend(corpus.copy_warnings({r.file for r in report.results if r.ok}))
        order = {meta.id: n for n, (_, meta) in enumerate(corpus.files)}
        sources.sort(key=lambda s: order[s["id"]])
        passages.sort(key=lambda p: (order[p.source_id], p.start))
        if strict and report.failed:
            report.withheld = (f"nothing published: {len(report.failed)} file(s) failed and --strict asks for all; "
                               "the last build is kept")
        if not report.ingested or report.withheld:
            shutil.rmtree(partial, ignore_errors=True)
            report.seconds = time.monotonic() - started
            return report
        _write_json(partial / "sources.json", sources)
        links = _link(partial, passages, concepts, _study_names(settings))
        cited = _citations(partial, sources, passages, report, settings.ontology_dir)
        if cited:       # a quotation introduced by a citation the quote finder cannot read alone
            credit_cited_works(quotes, {sid: found.get("citations") or [] for sid, found in cited["sources"].items()})
        quotes.sort(key=lambda q: (order[q.source_id], q.start))
        _write_json(partial / "quotes.json", [q.to_dict() for q in quotes])
        report.quote_count = len(quotes)
        _graph(settings, partial, sources, passages, report, corpus, started_at)
        _index(settings, partial, passages, links, out_dir, report, progress_note)
        with (partial / "passages.jsonl").open("w", encoding="utf-8") as handle:
            for passage in passages:
                handle.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
        _graph_end(partial, report)
        report.seconds = time.monotonic() - started
        _write_json(partial / "manifest.json", _manifest(settings, corpus, report, sources, passages))
        final = releases / release_name
        _fsync_tree(partial)
        partial.rename(final)
        _swap_current(out_dir, final)
        report.release_dir = final
        _prune_releases(releases, keep={final.name, _current_name(out_dir)})
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    report.seconds = time.monotonic() - started
    return report


def _load_concepts(settings: Settings, report: BuildReport) -> dict[str, Any]:
    """The concept scheme of the ontology folder (empty, with a warning, when it is missing or broken)."""
    from .concepts import load_scheme

    scheme = Path(settings.ontology_dir) / "concepts.ttl"
    if not scheme.exists():
        report.warnings.append(f"{scheme} not found: passages are built without concept links")
        return {}
    try:
        return load_scheme(scheme)
    except Exception as exc:  # a broken Turtle file must not lose the build
        report.warnings.append(f"{scheme} could not be read ({exc}); passages are built without concept links")
        return {}


def _study_names(settings: Settings) -> list[str]:
    """Every name of the ontology folder's studies (none when studies.ttl is missing or broken: the
    build goes on, and the knowledge graph's step reports the file)."""
    from .studies import load_study_labels

    path = Path(settings.ontology_dir) / "studies.ttl"
    try:
        return [label for study in load_study_labels(path).values() for label in study.labels] if path.exists() else []
    except Exception:
        return []


def _link(release: Path, passages: list[Passage], concepts: dict[str, Any], taken: list[str]) -> dict[str, Any]:
    """Concept mentions and definitional passages (when the ontology folder has a concept scheme); the
    abbreviations the texts give a concept's name ("Team Around the Child (TAC)", and no study's name)
    become its labels first, so passages using only the abbreviation are linked too."""
    from .concepts import ConceptMatcher, abbreviated_labels, add_found_labels, link_concepts

    links: dict[str, Any] = {}
    if concepts:
        dicts = [p.to_dict() for p in passages]
        found = abbreviated_labels(dicts, concepts, taken)
        add_found_labels(concepts, found)
        links = link_concepts(dicts, concepts, ConceptMatcher(concepts))
        for concept_id, labels in found.items():      # the graph puts each in its source's named graph
            for label in labels:
                links[label["passage_id"]].setdefault("found_labels", []).append({"concept_id": concept_id, **label})
    _write_json(release / "concepts.json", {cid: c.to_dict() for cid, c in sorted(concepts.items())})
    _write_json(release / "links.json", links)
    return links


def _citations(release: Path, sources: list[dict[str, Any]], passages: list[Passage], report: BuildReport,
               ontology_dir: str | Path | None = None) -> dict[str, Any] | None:
    """Reference lists, in-text citations, works and people (citations.json, and returned); a failure
    is a warning (and None)."""
    from .citation_graph import align_people
    from .citations import FILE, build_citations
    from .graph import ontology_graph

    try:
        documents = {}
        for record in sources:
            data = json.loads((release / "documents" / f"{record['id']}.json").read_text(encoding="utf-8"))
            documents[record["id"]] = {"text": data.get("text") or "", "pages": data.get("pages") or []}
        found = build_citations(documents, [p.to_dict() for p in passages], sources)
        if ontology_dir is not None:     # people get their graph nodes' ids: the API's ids and the graph's are one
            align_people(found, ontology_graph(ontology_dir))
        _write_json(release / FILE, found)
        return found
    except Exception as exc:  # the passages and the search must not be lost with the citations
        report.warnings.append(f"citations could not be extracted ({type(exc).__name__}: {exc}); "
                               "work pages and citation lineage are unavailable in this build")
        return None


def _graph(settings: Settings, release: Path, sources: list[dict[str, Any]], passages: list[Passage],
           report: BuildReport, corpus: CorpusPlan, started_at: datetime | None = None) -> None:
    """The RDF dataset (graph.nq: ontology + one named graph per source); a failure is a warning."""
    from .graph import STATS_FILE as GRAPH_STATS, write_graph

    try:
        stats = write_graph(release, ontology_dir=settings.ontology_dir, sources=sources,
                            passages=[p.to_dict() for p in passages], corpus=corpus, version=__version__,
                            validate=settings.graph_validate, build_started=started_at)
        if not stats.get("shacl", {}).get("conforms", True):
            report.warnings.append(f"the knowledge graph does not conform to {settings.ontology_dir}/shapes.ttl "
                                   f"(see {GRAPH_STATS} in the release)")
    except Exception as exc:  # the passages and the search must not be lost with the graph
        report.warnings.append(f"the knowledge graph could not be built ({type(exc).__name__}: {exc}); "
                               "concept pages and /sparql are unavailable in this build")


def _graph_end(release: Path, report: BuildReport) -> None:
    """The build's prov:endedAtTime, added to graph.nq once everything but the manifest is written."""
    from .graph import record_build_end

    try:
        record_build_end(release, datetime.now(timezone.utc))
    except Exception as exc:  # the graph without an end time is still the graph
        report.warnings.append(f"the build's end time could not be added to the knowledge graph ({type(exc).__name__}: {exc})")


def _index(settings: Settings, release: Path, passages: list[Passage], links: dict[str, Any], out_dir: Path,
           report: BuildReport, note: Callable[[str], None] | None) -> None:
    """Embeddings and keyword index; vectors of passages unchanged since the last build are reused."""
    from .index.build import build_index

    if settings.cache_dir is None:
        settings = settings.with_overrides(cache_dir=out_dir / "cache")
    quotes = json.loads((release / "quotes.json").read_text(encoding="utf-8"))
    result = build_index(release, [p.to_dict() for p in passages], links, settings, quotes=quotes, progress=note)
    report.index = result


def _source_record(meta: SourceMeta, document: ExtractedDocument, passages: list[Passage], slides: bool) -> dict[str, Any]:
    record = meta.to_dict()
    if not record["title"]:
        record["title"] = document.title or Path(meta.file).stem
        record["title_from"] = "pdf metadata" if document.pdf_metadata.get("title") == record["title"] else "first heading"
    if not record.get("authors"):
        found = authors_from_pdf(document.pdf_metadata.get("author") or "")
        if found:       # a catalogue entry says better; until there is one, the file's own word
            record["authors"], record["authors_from"] = found, "pdf metadata"
    record.update({
        "format": document.format,
        "layout": "slides" if slides else document.layout,
        "chars": len(document.text),
        "page_count": len(document.pages),
        "page_labels": {str(p.number): p.label for p in document.pages if p.label},
        "passage_count": len(passages),
        "pdf_metadata": document.pdf_metadata,
        "warnings": document.warnings,
    })
    return record


# what word processors and PDF tools put in a PDF's Author field when nobody wrote one there
_NOT_AN_AUTHOR = re.compile(r"\b(?:user|admin(?:istrator)?|owner|author|unknown|microsoft|office|word|acrobat|adobe|"
                            r"windows|pdf|printer|scanner|default|guest|staff|computer|hp|dell|lenovo|apple|mac)\b", re.I)


# one author written surname first: "Edwards, Anne", "Daniels, H. R."
_SURNAME_FIRST = r"[^,\s]+,\s*[^,\s]+(?:\s+[^,\s]+)?"


def authors_from_pdf(value: str) -> list[str]:
    """Authors from a PDF's Author field, as the catalogue writes them ("Surname, Given"): "Hana
    Nakamura; Peter Lindqvist" → ["Nakamura, Hana", "Lindqvist, Peter"]; "Nakamura, Hana" stays one
    author; a body's name stays as it is. Nothing when the field holds what software puts there
    ("Microsoft Office User", "Administrator") or anything but names."""
    value = " ".join(value.split())
    if not value or len(value) > 300 or re.search(r"[\d@/\\<>{}=]", value) or _NOT_AN_AUTHOR.search(value):
        return []
    if ";" in value:
        parts = value.split(";")
    elif re.fullmatch(r"[^,]+,\s*[^,\s]+(?:\s+[A-Z]\.?)*", value) and len(value.split(",")[0].split()) == 1:
        parts = [value]                                     # "Nakamura, Hana": one author, surname first
    elif all(re.fullmatch(_SURNAME_FIRST, p.strip()) for p in re.split(r"\s+(?:and|&)\s+", value)) and re.search(r"\s(?:and|&)\s", value):
        parts = re.split(r"\s+(?:and|&)\s+", value)         # "Edwards, Anne and Daniels, Harry": surnames first
    else:
        parts = re.split(r",\s*(?:and\s+|&\s*)?|\s+(?:and|&)\s+", value)
    names = []
    for part in (re.sub(r"(?<![\s,.][A-Z])\.$", "", p.strip(" ,")) for p in parts):     # an initial keeps its full stop
        words = part.replace(",", " ").split()
        if not part or not all(w[:1].isupper() for w in words if w.lower() not in ("de", "van", "von", "der", "du", "la")):
            return []
        if "," in part or len(words) == 1:
            names.append(part)
        else:
            names.append(f"{words[-1]}, {' '.join(words[:-1])}")
    return names


def _manifest(settings: Settings, corpus: CorpusPlan, report: BuildReport, sources: list, passages: list) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "ckg_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "corpus_dir": str(corpus.corpus_dir.resolve()),
        "corpus_hash": corpus.corpus_hash,
        "counts": {"sources": len(sources), "passages": len(passages), "failed": len(report.failed),
                   "quotes": report.quote_count},
        "failures": [{"file": r.file, "reason": r.reason, "message": r.message} for r in report.failed],
        "warnings": report.warnings,
        "settings": {k: str(v) for k, v in vars(settings).items()},
        "versions": _versions(),
        "build_seconds": round(report.seconds, 3),
        "ontology_hash": _ontology_hash(Path(settings.ontology_dir)),
        "index": {
            "model": settings.embedding_model,
            "adapter": report.index.adapter if report.index else adapter_label(settings.embedding_adapter),
            "passages": report.index.passages if report.index else 0,
            "windows": report.index.windows if report.index else 0,
            "embedded_texts": report.index.embedded if report.index else 0,
            "cached_texts": report.index.reused if report.index else 0,
            "embed_seconds": round(report.index.embed_seconds, 3) if report.index else 0,
        },
    }


def _ontology_hash(directory: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.ttl")) if directory.is_dir() else []:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("pdfminer.six", "wordfreq", "flask", "rdflib", "sentence-transformers", "torch", "faiss-cpu", "bm25s"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            pass
    return versions


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def _swap_current(out_dir: Path, release: Path) -> None:
    """Point ``out_dir/current`` at ``release`` with one atomic rename of a fresh symlink."""
    link = out_dir / CURRENT
    temporary = out_dir / f".{CURRENT}-{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(Path(RELEASES) / release.name)
    os.replace(temporary, link)


def _current_name(out_dir: Path) -> str | None:
    link = out_dir / CURRENT
    return os.readlink(link).split("/")[-1] if link.is_symlink() else None


def _remove_stale_partials(releases: Path) -> None:
    """Partial builds left by an interrupted run (their process is gone) are removed."""
    for path in releases.glob(".partial-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
            continue
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_links(out_dir: Path) -> None:
    """Temporary `current` links left by a build killed in the middle of switching it."""
    for path in out_dir.glob(f".{CURRENT}-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if path.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prune_releases(releases: Path, keep: set[str | None], retain: int = 2) -> None:
    """Remove releases older than the ``retain`` newest, except those in ``keep`` and those a
    running server has marked in use (see :func:`mark_in_use`)."""
    finished = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")), key=_finished_order)
    for path in finished[:-retain]:
        if path.name not in keep and not in_use(path):
            shutil.rmtree(path, ignore_errors=True)


def _finished_order(release: Path) -> tuple[str, int]:
    """Releases oldest first: by the second in their name, then, for two builds in one second (whose
    names differ after it by a random token), by when their manifest was written."""
    try:
        written = (release / "manifest.json").stat().st_mtime_ns
    except OSError:
        written = 0
    return release.name[:15], written


IN_USE = ".in-use-"


def mark_in_use(release: Path) -> Path | None:
    """Mark ``release`` as served by this process (a file ``.in-use-<pid>-<token>`` in it): builds
    do not prune it while this process lives. Returns the marker to pass to :func:`unmark_in_use`,
    or None when the release cannot be written to (then it is not protected)."""
    marker = Path(release) / f"{IN_USE}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        marker.touch(exist_ok=False)
    except OSError:
        return None
    return marker


def unmark_in_use(marker: Path | None) -> None:
    if marker is not None:
        marker.unlink(missing_ok=True)


def in_use(release: Path) -> bool:
    """Whether a live process has marked ``release`` in use; markers of dead processes do not count."""
    for marker in Path(release).glob(f"{IN_USE}*"):
        pid = marker.name[len(IN_USE):].split("-", 1)[0]
        if pid.isdigit() and _alive(int(pid)):
            return True
    return False
