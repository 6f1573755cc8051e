"""The `ckg` command line. Every command only calls the library's own functions."""
from __future__ import annotations

import contextlib
import errno
import json
import logging
import re
import shlex
import socket
import sys
from pathlib import Path
from typing import Iterator

import click

from .corpus import (DOCUMENT_TYPES, MetadataError, check_source_id, keep_removed_entry, load_metadata, removed_entry,
                     removed_entry_path, same_content, with_metadata, without_entry, write_metadata)
from .quote_export import EXPORT_ALL
from .quote_export import FORMATS as EXPORT_FORMATS
from .quote_export import GROUPS as EXPORT_GROUPS
from .quotes import ROLE_NAMES
from .settings import Settings

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _settings(**overrides) -> Settings:
    return Settings.from_env().with_overrides(**overrides)


class _Commands(click.Group):
    """The command group: the library's own errors (a damaged or missing build, a bad setting, a search
    it refuses) end a command with their message, never a traceback."""

    def invoke(self, ctx: click.Context):
        from .index.search import SearchError
        from .library import LibraryError
        from .settings import SettingsError

        try:
            return super().invoke(ctx)
        except (LibraryError, SearchError, SettingsError) as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands, context_settings=CONTEXT)
@click.version_option(package_name="common-knowledge", prog_name="ckg")
def main() -> None:
    """Common Knowledge: a knowledge graph and search over the literature on inter-professional
    work in children's services.

    Typical use: `ckg build` (reads corpus/, writes build/), then `ckg serve`.
    Settings can also be given as environment variables CKG_<NAME> (see `ckg settings`).
    """


@main.command(context_settings=CONTEXT)
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Folder of documents and sources.toml [default: corpus].")
@click.option("--out", "--build", "out_dir", type=click.Path(path_type=Path),
              help="Build directory (--build as the commands that read a build) [default: build].")
@click.option("--workers", type=click.IntRange(min=1), help="Files extracted in parallel [default: 2].")
@click.option("--file-timeout", "file_timeout_s", type=click.FloatRange(min=0, min_open=True), help="Seconds allowed per file [default: 120].")
@click.option("--file-memory", "file_memory_mb", type=click.IntRange(min=1), help="Memory limit per file in MB [default: 2048].")
@click.option("--strict", is_flag=True, help="Exit non-zero when any file fails, not only when nothing was built.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; only the closing report.")
def build(corpus_dir, out_dir, workers, file_timeout_s, file_memory_mb, strict, quiet) -> None:
    """Build the library (passages and their metadata) from a corpus folder.

    The new build replaces the previous one only once it is complete: an interrupted build
    leaves the last good build in place. Files that cannot be read are reported with the
    reason and the rest is built.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .build import build as run_build
    from .corpus import plan

    settings = _settings(corpus_dir=corpus_dir, build_dir=out_dir, workers=workers,
                         file_timeout_s=file_timeout_s, file_memory_mb=file_memory_mb)
    console = Console(stderr=True)
    try:
        total = len(plan(settings.corpus_dir).files)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise click.UsageError(str(exc)) from None
    except MetadataError as exc:        # a catalogue that cannot be read: no build without it
        raise click.ClickException(str(exc)) from None
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.fields[last]}"), console=console, disable=quiet or not console.is_terminal)
    from .build import BuildLocked, BuildOutputError
    from .index.embed import EmbeddingSettingsError

    try:
        with progress, _terminate_as_interrupt():
            task = progress.add_task("extracting", total=total, last="")
            report = run_build(settings, progress=lambda file, result: progress.update(task, advance=1, last=file),
                               strict=strict)
    except (EmbeddingSettingsError, BuildLocked, BuildOutputError, MetadataError) as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was published; the last build is kept", err=True)
        sys.exit(130)
    _print_report(report, console)
    if not report.ingested or (strict and report.failed):
        sys.exit(1)


def _rebuild_settings(corpus_dir, out_dir) -> Settings:
    """The settings of a command that changes the corpus and rebuilds, refused at once when the
    embedding model or adapter setting is wrong (before anything in the corpus changes)."""
    from .index.embed import EmbeddingSettingsError, check_embedding_settings

    settings = _settings(corpus_dir=corpus_dir, build_dir=out_dir)
    try:
        check_embedding_settings(settings)
    except EmbeddingSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    _check_built_from(settings)
    return settings


def _check_built_from(settings: Settings) -> None:
    """Refuses to rebuild a library from another corpus folder than it was built from: `ckg add FILE
    --corpus corpsu` (a typo) made a folder holding FILE alone and published it as the whole library."""
    from .build import CURRENT

    build_dir, corpus = Path(settings.build_dir), Path(settings.corpus_dir)
    try:
        built_from = json.loads((build_dir / CURRENT / "manifest.json").read_text(encoding="utf-8"))["corpus_dir"]
    except (OSError, ValueError, KeyError, TypeError):
        return          # no library there yet (a new one is made), or one the rebuild replaces anyway
    if Path(built_from).resolve() != corpus.resolve():
        raise click.ClickException(
            f"the library in {build_dir} was built from {built_from}, not from {corpus}: rebuilding it from {corpus} "
            f"would make that folder's documents the whole library. Give --corpus {built_from}, or, to build the "
            f"library from {corpus} on purpose, run `ckg build --corpus {corpus} --out {build_dir}`; nothing was changed")


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (what timeout, systemd, docker and CI send) handled as Ctrl-C is: the corpus put back,
    the partial build removed, a message; it used to end the process where it stood."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:          # not the main thread (a test calling the command): nothing to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _build_lock(settings: Settings) -> Iterator[None]:
    """The build directory's lock (kg.build.build_lock), or a refusal naming the build that holds it
    (or saying why the directory cannot be used); SIGTERM is an interruption while it is held."""
    from .build import BuildLocked, BuildOutputError, build_lock

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(build_lock(Path(settings.build_dir)))
        except (BuildLocked, BuildOutputError) as exc:
            raise click.ClickException(f"{exc}; nothing was changed") from None
        stack.enter_context(_terminate_as_interrupt())
        yield


def _build_or_put_back(settings: Settings, put_back, console):
    """Rebuild after a change to the corpus and print the report; a build that raises (interrupted,
    broken) first has ``put_back`` restore the corpus (the last build still serves)."""
    from .build import build as run_build

    try:
        report = run_build(settings, lock=False)      # the caller holds the build directory's lock
    except KeyboardInterrupt:
        put_back()
        click.echo("interrupted: the corpus is as it was and the last build is kept", err=True)
        sys.exit(130)
    except BaseException:
        put_back()
        raise
    _print_report(report, console)
    return report


def _print_report(report, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Build report", show_lines=False)
    table.add_column("file")
    table.add_column("result")
    table.add_column("passages", justify="right")
    table.add_column("seconds", justify="right")
    # file names and messages are the user's text: "notes [v2].txt" must not be read as console markup
    for result in sorted(report.results, key=lambda r: r.file):
        status = "[green]ingested" if result.ok else f"[red]failed: {escape(result.reason)}"
        table.add_row(escape(result.file), status, str(result.passages or ""), f"{result.seconds:.2f}")
    console.print(table)
    for result in report.failed:
        console.print(f"[red]✗[/red] {escape(result.message)}")
    for warning in report.warnings:
        console.print(f"[yellow]![/yellow] {escape(warning)}")
    where = report.release_dir or report.withheld or "nothing written: no file could be ingested"
    console.print(
        f"{len(report.ingested)} files ingested, {len(report.failed)} failed, "
        f"{report.passage_count} passages in {report.seconds:.1f} s → {escape(str(where))}"
    )


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), help="Corpus folder [default: corpus].")
@click.option("--build", "--out", "out_dir", type=click.Path(path_type=Path),
              help="Build directory to rebuild, as the other commands' --build (--out as for ckg build) [default: build].")
@click.option("--replace", is_flag=True, help="Overwrite a corpus file of the same name.")
@click.option("--id", "source_id", help="Source id (lower case, digits, '-', '.', '_'), part of every passage id "
                                       "[default: the file name's].")
@click.option("--title", help="Title as the document states it.")
@click.option("--author", "authors", multiple=True, help="An author as 'Surname, Given' (or a body's full name); "
                                                           "repeat for each, in order.")
@click.option("--year", type=int, help="Year of publication.")
@click.option("--type", "doc_type", type=click.Choice(DOCUMENT_TYPES, case_sensitive=False), help="Document type.")
@click.option("--venue", help="Journal, book title or series.")
@click.option("--publisher", help="Publisher.")
@click.option("--place", help="Place of publication.")
@click.option("--editor", "editors", multiple=True, help="An editor as 'Surname, Given'; repeat for each.")
@click.option("--pages", help="Page range, e.g. 123-140.")
@click.option("--url", help="Web address the document gives for itself.")
@click.option("--study", "studies", multiple=True, help="A study or programme the document reports (e.g. NECF); "
                                                         "repeat for each.")
@click.option("--note", help="Where the metadata came from, and what is unknown.")
def add(file: Path, corpus_dir, out_dir, replace, source_id, title, authors, year, doc_type, venue, publisher, place,
        editors, pages, url, studies, note) -> None:
    """Add (or with --replace, replace) one document and rebuild.

    The file is copied into the corpus folder and the library rebuilt; only texts not embedded
    before are embedded (the embedding cache keeps the others), so the other sources are not
    re-embedded. A file that cannot be ingested (no text layer, encrypted, damaged, too large or
    too slow) is refused before anything changes: the corpus, a file it would replace and the
    library stay as they were.

    The catalogue options (--title, --author, --year, --type …) write the file's [[source]] entry
    in corpus/sources.toml (created, or updated: fields not given keep their values; the file's
    other entries and comments are kept), which gives its citations and pages their authors and
    year. They are undone with the file if the build fails. For a file already in the corpus,
    `ckg add corpus/FILE --year 2010` updates its entry and rebuilds.
    """
    settings = _rebuild_settings(corpus_dir, out_dir)      # before the file is copied into the corpus
    with _build_lock(settings):            # held from the first look at the corpus to the last build
        _add(settings, file, replace, catalogue={"id": source_id, "title": title, "authors": authors, "year": year,
             "type": doc_type, "venue": venue, "publisher": publisher, "place": place, "editors": editors,
             "pages": pages, "url": url, "studies": studies, "note": note})


def _add(settings: Settings, file: Path, replace: bool, catalogue: dict) -> None:
    """`ckg add` once the build directory is locked."""
    import shutil
    import tempfile

    from rich.console import Console

    from .build import build as run_build
    from .build import extract_one
    from .extract import SUPPORTED_SUFFIXES, ExtractionError

    if file.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise click.BadParameter(f"{file.name}: only .txt, .md and .pdf files can be added; save or export it as PDF "
                                 "(or as plain text) and add that", param_hint="FILE")
    corpus_root = Path(settings.corpus_dir).resolve()
    restored = file.resolve().is_relative_to(corpus_root / ".removed")
    if restored:        # a removal undone: the file goes back under its name, with the entry kept beside it
        kept = removed_entry(file)
        name = kept.get("file") or file.name
        target = Path(settings.corpus_dir) / name
        catalogue = {**{key: value for key, value in kept.items() if key != "file"},
                     **{key: value for key, value in catalogue.items() if value not in (None, "", [], ())}}
    elif file.resolve().is_relative_to(corpus_root):    # already in the corpus (maybe in a subfolder): stays put
        target, name = file, file.resolve().relative_to(corpus_root).as_posix()
    else:
        target, name = Path(settings.corpus_dir) / file.name, file.name
    if target.exists() and target.resolve() != file.resolve() and not replace:
        raise click.ClickException(f"{target} already exists; use --replace to overwrite it")
    twin = same_content(Path(settings.corpus_dir), file, besides=target) if target.resolve() != file.resolve() else None
    if twin:        # "report (final).txt" added beside "report.txt": every passage, quote and citation would show twice
        raise click.ClickException(f"{file.name} was not added (the corpus and the library are unchanged): it has the same "
                                   f"content as {twin}, already in the library; to keep it under the new name, "
                                   f"`ckg remove {twin}` first")
    catalogue = {key: [v.strip() for v in value] if isinstance(value, (tuple, list)) else value.strip() if isinstance(value, str)
                 else value for key, value in catalogue.items()}    # repeated options come as tuples
    metadata = None                         # (sources.toml before, after) when catalogue options are given
    try:
        if any(value not in (None, "", []) for value in catalogue.values()):
            metadata = with_metadata(Path(settings.corpus_dir), name, catalogue)
        else:                               # a file named like another source would take its id, or get "<id>-2"
            check_source_id(Path(settings.corpus_dir), name)
    except MetadataError as exc:
        message = f"{file.name} was not added (the corpus and the library are unchanged): {exc}"
        if exc.field:           # an option's value: a bad option, exit 2, as click's own checks are
            option = {"authors": "author", "editors": "editor", "studies": "study"}.get(exc.field, exc.field)
            raise click.BadParameter(message, param_hint=f"'--{option}'") from None
        raise click.ClickException(message) from None
    # tried alone first, by the build's own extractor in a worker with the build's limits
    try:
        extract_one(file, settings)
    except ExtractionError as exc:
        # the file is not in the corpus: "remove the file" (the build's advice for a corpus file) does not apply
        reason = f"{file.name} has no text; give it its text, then add it again" if exc.reason == "empty" else exc.message
        raise click.ClickException(f"{file.name} was not added (the corpus and the library are unchanged): {reason}") from None
    Path(settings.corpus_dir).mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    previous_existed = target.exists()     # --replace, or a file of the corpus given again: "replaced"
    with tempfile.TemporaryDirectory(prefix="ckg-add-") as keep:
        previous = None
        if target.resolve() != file.resolve():
            if target.exists():                 # --replace: the old file comes back if the new one fails
                previous = Path(keep) / target.name
                shutil.copy2(target, previous)
            shutil.copy2(file, target)
        if metadata is not None:
            write_metadata(Path(settings.corpus_dir), metadata[1])

        def put_back() -> None:
            """The corpus as it was: the entry, and the file replaced or taken out."""
            if metadata is not None:
                write_metadata(Path(settings.corpus_dir), metadata[0])
            if target.resolve() != file.resolve():
                if previous is not None:
                    shutil.copy2(previous, target)
                else:
                    target.unlink()

        report = _build_or_put_back(settings, put_back, console)
        added = next((r for r in report.results if r.file == name), None)
        if added is None or not added.ok:
            reason = added.message if added else "not found"
            put_back()
            if target.resolve() == file.resolve():      # a file already in the corpus: only its entry to undo
                if metadata is not None:
                    run_build(settings, lock=False)
                raise click.ClickException(f"{file.name} was not ingested: {reason}")
            run_build(settings, lock=False)     # the library as it was (the cache makes it quick)
            raise click.ClickException(f"{file.name} was not ingested and was taken out again: {reason}")
    if report.index:
        console.print(f"embedded {report.index.embedded} new texts; {report.index.reused} came from the cache")
    from rich.markup import escape

    if restored:        # back in the corpus: .removed/ keeps no second copy
        file.unlink()
        removed_entry_path(file).unlink(missing_ok=True)
    verb = ("restored" if restored else "updated" if target.resolve() == file.resolve()
            else "replaced" if previous_existed else "added")
    console.print(escape(f"{verb} {name} as source {added.source_id}: {added.passages} passage{'' if added.passages == 1 else 's'} "
                         f"(ckg passages, or /sources/{added.source_id} in the UI)"))


@main.command(context_settings=CONTEXT)
@click.argument("source")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), help="Corpus folder [default: corpus].")
@click.option("--build", "--out", "out_dir", type=click.Path(path_type=Path), help="Build directory to rebuild [default: build].")
def remove(source: str, corpus_dir, out_dir) -> None:
    """Take one document out of the library and rebuild: SOURCE is its source id or its file name.

    The file is moved to the corpus folder's .removed/ (which builds ignore), its [[source]] entry
    taken out of sources.toml and kept beside it (`ckg add corpus/.removed/FILE` puts both back;
    delete them to forget the document); the library is rebuilt from
    the rest (the embedding cache spares re-embedding). If that build fails, the file and its entry
    are put back and the library stays as it was.
    """
    settings = _rebuild_settings(corpus_dir, out_dir)      # before anything moves
    with _build_lock(settings):            # held from the first look at the corpus to the rebuild
        _remove(settings, source)


def removal_path(corpus: Path, file: str) -> Path:
    """Where `ckg remove` keeps a removed file: .removed/<file>, or, when an earlier removal of a file
    of that name is kept there, .removed/<stem>-2<suffix> (-3, …), so no removal overwrites another."""
    wanted = corpus / ".removed" / file
    candidate, n = wanted, 1
    while candidate.exists():
        n += 1
        candidate = wanted.with_name(f"{wanted.stem}-{n}{wanted.suffix}")
    return candidate


def _remove(settings: Settings, source: str) -> None:
    """`ckg remove` once the build directory is locked."""
    import shutil

    from rich.console import Console
    from rich.markup import escape

    from .corpus import plan

    corpus = Path(settings.corpus_dir)
    try:
        files = plan(corpus).files
    except (FileNotFoundError, NotADirectoryError, MetadataError) as exc:
        raise click.ClickException(str(exc)) from None
    chosen = [(path, meta) for path, meta in files if source in (meta.id, meta.file, path.name)]
    if not chosen:
        known = ", ".join(meta.id for _, meta in files) or "none"
        raise click.BadParameter(f"no document in {corpus} has the source id or file name {source!r} (sources: {known})",
                                 param_hint="SOURCE")
    if len(chosen) > 1:
        raise click.BadParameter(f"{source!r} names {len(chosen)} documents ({', '.join(m.file for _, m in chosen)}); "
                                 "give the source id", param_hint="SOURCE")
    if len(files) == 1:
        raise click.ClickException(f"{chosen[0][1].file} is the library's only document; a library needs one")
    path, meta = chosen[0]
    try:
        before, after = without_entry(corpus, meta.file)
    except MetadataError as exc:
        raise click.ClickException(f"{meta.file} was not removed (nothing changed): {exc}") from None
    entry = load_metadata(corpus)[0].get(meta.file)
    removed = removal_path(corpus, meta.file)
    removed.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(removed))
    keep_removed_entry(removed, entry)      # its title, authors and year, for `ckg add` of it to put back
    if after != before:
        write_metadata(corpus, after)
    console = Console(stderr=True)

    def put_back() -> None:
        shutil.move(str(removed), str(path))
        removed_entry_path(removed).unlink(missing_ok=True)
        if after != before:
            write_metadata(corpus, before)

    report = _build_or_put_back(settings, put_back, console)
    if report.release_dir is None:
        put_back()
        raise click.ClickException(f"the library could not be rebuilt without {meta.file}; it is back in the corpus "
                                   "and the library is as it was")
    kept = " with its catalogue entry" if entry else ""
    import shlex

    # the name it is kept under ("report-2.txt" when .removed/ holds an earlier "report.txt"), quoted for a shell
    console.print(escape(f"removed {meta.id}: {meta.file} is in {removed.parent} as {removed.name}{kept}; "
                         f"`ckg add {shlex.quote(str(removed))}` puts it back"))


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per passage per line.")
@click.option("--source-id", help="Source id to use in passage ids [default: from corpus/sources.toml or the file name].")
@click.option("--slides/--no-slides", default=None, help="Treat each page as a slide [default: detected].")
def passages(file: Path, as_json: bool, source_id: str | None, slides: bool | None) -> None:
    """Print one file's passages without building anything.

    JSON lines carry passage_id, source_id, page, page_label, start, end, heading, kind, text;
    start/end index the cleaned text.
    """
    from .build import extract_one
    from .corpus import check_id_form, load_metadata, slugify
    from .extract import ExtractionError
    from .segment import segment

    settings = _settings()
    entry = {}
    if source_id is not None:
        try:
            check_id_form(source_id)
        except MetadataError as exc:
            raise click.BadParameter(str(exc), param_hint="'--source-id'") from None
    if source_id is None:
        try:
            entries, _ = load_metadata(file.parent)
        except MetadataError:       # a broken catalogue beside the file: its passages all the same, by its name
            entries = {}
        entry = entries.get(file.name, {})
        source_id = entry.get("id") or slugify(file.stem)
    try:       # in a worker with the build's limits: a hostile file is refused, as the build refuses it
        document = extract_one(file, settings)
    except ExtractionError as exc:
        click.echo(f"ckg passages: {exc.message}", err=True)
        sys.exit(2)
    for warning in document.warnings:       # on stderr: stdout is the passages
        click.echo(f"ckg passages: {file.name}: {warning}", err=True)
    if slides is None:
        slides = document.layout == "slides" or entry.get("type") == "presentation slides"
    found = segment(document, source_id, min_words=settings.min_passage_words, max_words=settings.max_passage_words,
                    max_chars=settings.max_passage_chars, slides=slides, authors=entry.get("authors") or [])
    for passage in found:
        if as_json:
            click.echo(json.dumps(passage.to_dict(), ensure_ascii=False))
        else:
            where = f"p. {passage.page_label or passage.page}" if passage.page else "no page"
            click.echo(f"── {passage.passage_id}  {where}  [{passage.kind}]  {passage.heading or ''}")
            click.echo(passage.text)
            click.echo()


@main.command(context_settings=CONTEXT)
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory to serve [default: build].")
@click.option("--host", help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, help="Port [default: 8000].")
@click.option("--threads", "server_threads", type=click.IntRange(min=1), help="Server worker threads [default: 8].")
def serve(build_dir, host, port, server_threads) -> None:
    """Serve the web UI and JSON API with the production WSGI server (waitress)."""
    import waitress

    from search_app import create_app

    from .library import LibraryError

    settings = _settings(build_dir=build_dir, host=host, port=port, server_threads=server_threads)
    if not 0 <= settings.port <= 65535:   # the resolver would quietly wrap 70000 round to 4464
        raise click.ClickException(f"port {settings.port} is out of range; choose one from 1 to 65535 with --port")
    try:
        app = create_app({"BUILD_DIR": str(settings.build_dir), "MAX_CONTENT_LENGTH": settings.max_request_kb * 1024,
                          "PROXY_COUNT": settings.proxy_count, "RESPONSE_CACHE_MB": settings.response_cache_mb})
    except LibraryError as exc:
        raise click.ClickException(str(exc)) from None
    # bind the port before loading anything: a port in use is one line, not a traceback after "Serving"
    try:
        server = waitress.create_server(app, **server_options(settings))
    except OSError as exc:
        raise click.ClickException(listen_error(exc, settings.host, settings.port)) from None
    except ValueError:   # waitress could not resolve the host, or the port is out of range
        raise click.ClickException(f"cannot listen on {settings.host}:{settings.port}: not a known host or a valid port; "
                                   "check --host and --port") from None
    click.echo("Loading the search index…", err=True)
    app.extensions["ckg_library"].warm()    # the model and indexes now, not on the first query
    from .runtime import limit_math_threads

    limit_math_threads(settings.serve_math_threads)
    app.extensions["ckg_sparql"].start()     # SPARQL workers load the graph in the background
    logging.basicConfig()                    # waitress reports queue and socket trouble through logging
    port = getattr(server, "effective_port", settings.port)   # the port given, or the one chosen for --port 0
    click.echo(f"Serving {settings.build_dir} on http://{settings.host}:{port}/  (Ctrl+C to stop; "
               "a new build is served as soon as it is complete)", err=True)
    try:
        server.run()
    finally:
        app.extensions["ckg_follower"].close()     # builds may prune the release it served


def listen_error(exc: OSError, host: str, port: int) -> str:
    """One line saying why the server cannot listen on host:port and which option changes it."""
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:   # (a resolver error's codes are not errnos)
        return f"cannot listen on host {host!r} ({exc.strerror or exc}); check --host"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use; choose another with --port"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need root); choose another with --port"
    return f"cannot listen on {host}:{port} ({exc.strerror or exc}); check --host and --port"


def server_options(settings: Settings) -> dict:
    """waitress's options from the settings: threads and the limits a server on a network needs."""
    return {
        "host": settings.host, "port": settings.port, "threads": settings.server_threads, "ident": "ckg",
        "max_request_body_size": settings.max_request_kb * 1024,
        "max_request_header_size": settings.max_header_kb * 1024,
        "channel_timeout": settings.channel_timeout_s,
        "connection_limit": settings.connection_limit,
    }


@main.command("sources", context_settings=CONTEXT)
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines: one JSON object per source per line, every metadata field and reported_studies, as "
                   "/api/sources/<id> gives them (without the passages), for jq or a loop.")
def list_sources(build_dir, as_json) -> None:
    """List the sources of a built library."""
    from search_app.viewdata import source_detail

    library = _library(build_dir)
    for source in library.sources():
        if as_json:
            record = source_detail(library, source["id"]) or dict(source)
            record.pop("passages", None)
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            authors = "; ".join(source.get("authors") or []) or "—"
            click.echo(f"{source['id']:32s} {source.get('year') or '':>5}  {source.get('type') or '':20s} {authors}: {source['title']}")


# the search API's parameter names as the command line spells them
_SEARCH_OPTIONS = {"q": "QUERY", "k": "-k", "page": "--page", "mode": "--mode", "source": "--source", "concept": "--concept",
                   "kind": "--kind", "study": "--study", "type": "--type", "year": "--year", "respell": "--respell"}


def _as_option_error(exc) -> click.BadParameter:
    """The search's "parameter 'k' must be …" as "Invalid value for '-k': must be …"."""
    if exc.param in _SEARCH_OPTIONS:
        return click.BadParameter(exc.problem, param_hint=f"'{_SEARCH_OPTIONS[exc.param]}'")
    return click.BadParameter(str(exc))


def _library(build_dir):
    """The library a command reads; a missing or damaged one ends the command (see _Commands)."""
    from .library import Library

    settings = _settings(build_dir=build_dir)
    return Library(settings.build_dir, settings)


@main.command(context_settings=CONTEXT)
@click.argument("query")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "dense"]), default="hybrid", show_default=True, help="Ranking.")
@click.option("-k", "k", type=click.IntRange(min=1), default=10, show_default=True, help="Number of results.")
@click.option("--source", help="Only passages of this source id (comma-separated for several).")
@click.option("--concept", help="Only passages that mention this concept id.")
@click.option("--kind", help="Only passages of this kind or tag: text, list, slide, references, quote, definition…")
@click.option("--study", help="Only the sources that report this study: its id, acronym or title (e.g. necf, NECF).")
@click.option("--type", "doc_type", help="Only sources of this document type (e.g. 'journal article').")
@click.option("--year", help="Only sources of this year (comma-separated for several).")
@click.option("--page", "page_number", type=int, default=1, show_default=True, help="Page of results (k per page).")
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--respell/--no-respell", default=True, show_default=True,
              help="When no word of the query is in the library, search for its nearest respelling.")
@click.option("--json", "as_json", is_flag=True, help="The same JSON as GET /api/search.")
def search(query, mode, k, source, concept, kind, study, doc_type, year, page_number, build_dir, respell, as_json) -> None:
    """Search the passages: meaning, keywords and concepts, with why each result matched. Exits 1
    when nothing is found (a filter matching nothing, a page past the end), 2 on a bad option."""
    from search_app.searchdata import BadParameter, parse
    from search_app.searchdata import search as search_view

    library = _library(build_dir)
    args = {"q": query, "mode": mode, "k": str(k), "page": str(page_number), "source": source or "", "concept": concept or "",
            "kind": kind or "", "study": study or "", "type": doc_type or "", "year": year or "",
            "respell": "1" if respell else "0"}
    try:
        data = search_view(library, parse(args, library.settings.max_results))
    except BadParameter as exc:
        raise _as_option_error(exc) from None
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        sys.exit(0 if data["results"] else 1)
    if data["message"]:
        click.echo(data["message"])
    if data["did_you_mean"] and not data["searched_for"]:
        click.echo(f"Did you mean: {data['did_you_mean']}")
    for rank, result in enumerate(data["results"], start=data["offset"] + 1):
        page = f"p. {result['page_label'] or result['page']}" if result["page"] else ""
        click.echo(f"{rank:2d}. {result['score']:.3f}  {result['source_id']} {page}  #{result['passage_id']}")
        why = result["why"]
        reasons = []
        if why.get("keywords"):
            reasons.append("keywords: " + ", ".join(why["keywords"][:8]))
        for key, said in (("stem_words", "words sharing a stem"), ("prefix_words", "words sharing only a prefix"),
                          ("label_words", "the concept's other names"),
                          ("context_words", "named just before the passage")):
            if why.get(key):
                reasons.append(f"{said}: " + ", ".join(why[key][:8]))
        if why.get("synonyms"):
            reasons.append("synonyms: " + ", ".join(f"{s['word']} (for “{s['for']}”)" for s in why["synonyms"][:8]))
        if why.get("abbreviations"):
            reasons.append("abbreviated or spelt out: " + ", ".join(f"{a['word']} (for “{a['for']}”)" for a in why["abbreviations"]))
        if why.get("words_by_meaning"):
            reasons.append("in other words: " + ", ".join(f"{w['word']} ≈ {w['passage_word']}" for w in why["words_by_meaning"]))
        if why.get("concepts"):
            reasons.append("concepts: " + ", ".join(why["concepts"]))
        for credit in why.get("credits") or []:
            reasons.append(f"credits {credit['label']} to {', '.join(credit['works'])}")
        if why.get("quote"):
            reasons.append(f"quotes {why['quote'].get('speaker') or 'a speaker'} ({why['quote'].get('speaker_role') or 'role unknown'})")
        if why.get("meaning"):
            reasons.append(f"meaning {why['meaning']['similarity']:.2f}")
        click.echo("    " + " | ".join(reasons))
        click.echo("    " + result["text"][:300].replace("\n", " ") + ("…" if len(result["text"]) > 300 else ""))
    if not data["results"]:
        sys.exit(1)     # as grep: nothing found (a filter matching nothing, a page past the end)


@main.command(context_settings=CONTEXT)
@click.argument("query", required=False, default="")
@click.option("--role", "speaker_role", type=click.Choice(ROLE_NAMES, case_sensitive=False),
              help="Only quotes of speakers in this role.")
@click.option("--source", help="Only quotes from this source id.")
@click.option("--concept", help="Only quotes from passages that mention this concept id.")
@click.option("--study", help="Only quotes from this study or the sources reporting it: its id, acronym or title.")
@click.option("--kind", type=click.Choice(["participant", "literature"]), help="Participants' words or quoted texts.")
@click.option("-k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Number of quotes.")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="How many of the ranking to skip: the next page is --offset K.")
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--respell/--no-respell", default=True, show_default=True,
              help="When no word of the query is in the library, rank by its nearest respelling.")
@click.option("--json", "as_json", is_flag=True, help="The same JSON as GET /api/quotes.")
@click.option("--export", "export_format", type=click.Choice(list(EXPORT_FORMATS)),
              help="Print the quotes found, each verified against its source, in this format (as /api/quotes/export).")
@click.option("--group", type=click.Choice(list(EXPORT_GROUPS)), default="quote", show_default=True,
              help="With --export: one reference per quote, or one per source with its quotes as notes "
                   "(a reference manager then holds each source once).")
@click.option("--link-base", metavar="URL", default="",
              help="With --export: the address the library is served at (http://host:port), so each quote links to "
                   "its passage (RIS UR, BibTeX url, the CSV and Markdown links); without it the links are the "
                   "app's own paths and RIS and BibTeX have none.")
def quotes(query, speaker_role, source, concept, study, kind, k, offset, build_dir, respell, as_json, export_format,
           group, link_base) -> None:
    """Find quotations by meaning and words, with speaker, role, page and a ready citation.
    `ckg quotes "trust" --role parent --export ris > quotes.ris` exports them. Exits 1 when nothing
    is found, 2 on a bad option."""
    from .index.search import SearchError
    from .quote_export import NOTHING_FOUND, ExportError, nearest_only

    if as_json and export_format:
        raise click.UsageError("--json and --export both choose what is printed: give one of them "
                               "(--export csl-json for CSL JSON)")
    if group != "quote" and not export_format:
        raise click.UsageError("--group says how an export is gathered: give --export FORMAT with it")
    link_base = link_base.strip().rstrip("/")
    if link_base and not re.fullmatch(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", link_base):
        raise click.BadParameter(f"{link_base!r} is not a web address; give one such as http://127.0.0.1:8000",
                                 param_hint="'--link-base'")
    if link_base and not export_format:
        raise click.UsageError("--link-base is the address the exports' links start with: give --export FORMAT with it")
    library = _library(build_dir)
    filters = {"speaker_role": speaker_role, "source": source, "concept": concept, "study": study, "kind": kind}
    k_given = click.get_current_context().get_parameter_source("k") is not click.core.ParameterSource.DEFAULT
    if export_format and not (query or "").strip() and not k_given:
        k = EXPORT_ALL       # no query to rank by: every quote the filters let through (`--role parent`: all of them)
    try:
        data = library.search_quotes(query, k=k, filters=filters, respell=respell, offset=offset)
    except SearchError as exc:
        raise click.BadParameter(str(exc)) from None
    if export_format:
        if not data["results"]:
            raise click.ClickException(NOTHING_FOUND)
        if nearest_only(data):
            raise click.ClickException(nearest_only(data))
        try:
            click.echo(library.export_quotes([q["quote_id"] for q in data["results"]], export_format, link_base=link_base,
                                             group=group), nl=False)
        except ExportError as exc:
            raise click.ClickException(str(exc)) from None
        if data["total"] > len(data["results"]):     # said on stderr: stdout is the export
            ranked = f" ranked for “{data['query']}”" if data["query"] else ""
            click.echo(f"Exported {len(data['results'])} of the {data['total']} quotes{ranked}; -k N exports more "
                       f"(at most {EXPORT_ALL}).", err=True)
        return
    if as_json:
        from search_app.searchdata import quotes_json

        given = {name: value for name, value in filters.items() if value}
        click.echo(json.dumps(quotes_json(data, given), ensure_ascii=False, indent=1))
        sys.exit(0 if data["results"] else 1)
    if data["searched_for"]:
        click.echo(f"No quote contains {', '.join(data['unknown_words'])}: ranked for “{data['searched_for']}”")
    elif data["did_you_mean"]:
        click.echo(f"Not found in the library: {', '.join(data['unknown_words'])}; did you mean: {data['did_you_mean']}")
    elif data.get("message"):
        click.echo(data["message"])
    if data.get("with_words") is not None and data["results"] and data["with_words"] < data["total"]:
        holds = "holds" if data["with_words"] == 1 else "hold"
        click.echo(f"{data['with_words']} of the {data['total']} quotes {holds} your words, the rest are near in meaning"
                   if data["with_words"] else "No quote holds your words: these are only near in meaning.")
    for rank, quote in enumerate(data["results"], start=offset + 1):
        click.echo(f"{rank:2d}. {quote['text']}\n    — {_speaker_line(quote)}; ({quote['citation']})  #{quote['quote_id']}")
    if not data["results"]:
        sys.exit(1)     # as grep: nothing found


def _speaker_line(quote: dict) -> str:
    """Who speaks, as a reader takes it: "One mother [parent]", "speaker not named [practitioner]",
    "quoted text" (never a bare "other" or "literature", which read as a speaker's name)."""
    role = quote.get("speaker_role")
    if quote.get("kind") != "participant":
        return "quoted text"
    who = quote.get("speaker") or "speaker not named"
    return f"{who} [{role}]" if role and role != "other" else who


@main.command("lineage", context_settings=CONTEXT)
@click.argument("label")
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--all", "show_all", is_flag=True, help="Also the works cited where the concept is discussed, not for it.")
@click.option("--json", "as_json", is_flag=True, help="The lineage as JSON (the same object as /api/concepts/<id>/lineage).")
def lineage(label, build_dir, show_all, as_json) -> None:
    """Where a concept came from: who the sources say introduced it, then the works they cite for it,
    earliest first, each with the sentence that says so (LABEL as for `ckg concept`)."""
    from search_app import workdata

    from search_app.conceptdata import concept_list

    library = _library(build_dir)
    ladder = concept_list(library, label)["ladder"] if label.strip() else None
    if ladder and ladder["exact"]:      # "levels of prevention": the framework's lineage, all four levels
        data = workdata.concept_lineage(library, workdata.LADDER_ID)
    else:
        matches = _concept_matches(library, label, "lineage")
        data = workdata.concept_lineage(library, matches[0]["id"])
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    cited_for = [r for r in data["results"] if r["attached"]]
    others = [r for r in data["results"] if not r["attached"]]
    click.echo(f"{data['label']}  ({data['concept_id']}): {len(cited_for)} works cited for it, "
               f"{len(others)} more cited where it is discussed")
    if data.get("origins"):     # who the sources say coined or introduced it, earliest first
        click.echo("\ncoined or introduced, as the sources say:")
    for c in data.get("origins") or []:
        who, traced = _coiners(c)
        who = f"traced to {who}" if traced else who
        where = _where(library, c["source_id"], c.get("page"), c.get("page_label"), c.get("passage_id"), c.get("end_page"),
                       c.get("end_page_label")) or "page not known"
        click.echo(f"  {c['year'] or 'n.d.':8s} {who}" + (f" ({c['citation']})" if c["citation"] else "")
                   + (f"\n           “{c['evidence']}” — {c['source_id']}, {where}" if c.get("evidence") else ""))
    labels = {r["work_id"]: r["label"] for r in data["results"]}
    for title, rows in (("cited for it", cited_for), ("cited where it is discussed", others if show_all else [])):
        if rows:
            click.echo(f"\n{title}:")
        for row in rows:
            where = _where(library, row["source_id"], row.get("page"), row.get("page_label"), row.get("passage_id")) or "page not known"
            where = (f"(the same sentence as {labels[row['same_sentence_as']]})" if row["same_sentence_as"]
                     else f"“{row['sentence']}” — {row['source_id']}, {where}")
            # a funded study is dated by the year its award ended, not published: say so
            kind = f" ({_KIND_NOTES[row['kind']]})" if row.get("kind") in _KIND_NOTES else ""
            click.echo(f"  {row['year'] or 'n.d.':8s} {row['label']}{kind}  [{row['work_id']}]\n           {where}")
    if others and not show_all:
        click.echo("\n(--all lists the works cited where it is discussed)")


@main.command("eval", context_settings=CONTEXT)
@click.argument("queries", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scorer", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The scorer (score.py) whose relevance rule is used [default: score.py beside the first QUERIES file].")
@click.option("--modes", default="bm25,dense,hybrid", show_default=True, help="Modes to compare (comma-separated).")
@click.option("-k", "k", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--misses", is_flag=True, help="List the queries whose answer is not in the top 5 (hybrid).")
@click.option("--quotes", "quote_finder", is_flag=True,
              help="Also score the quote finder (mode 'quotes') on the queries of kind 'quote': a quote is an answer "
                   "when its own words hold a gold snippet.")
@click.option("--json", "as_json", is_flag=True)
def evaluate(queries, scorer, modes, k, build_dir, misses, quote_finder, as_json) -> None:
    """Score bm25, dense and hybrid search on one or more query sets, taken together, with the
    shared scorer's rule (S@1, S@5, MRR@10, nDCG@10), e.g. `ckg eval ../shared/eval/queries-dev.json`."""
    import importlib.util

    chosen = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in ("bm25", "dense", "hybrid")]
    if unknown or not chosen:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'}: give one or more of bm25, dense, hybrid, "
                                 "comma-separated", param_hint="'--modes'")
    scorer = scorer or queries[0].parent / "score.py"
    if not scorer.exists():
        raise click.BadParameter(f"{scorer} not found; pass --scorer PATH/score.py", param_hint="'--scorer'")
    spec = importlib.util.spec_from_file_location("ckg_eval_scorer", scorer) if scorer.suffix == ".py" else None
    if spec is None or spec.loader is None:
        raise click.BadParameter(f"{scorer} is not a Python file; pass the scorer score.py", param_hint="'--scorer'")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:        # the scorer is the user's own code: say where it failed
        raise click.BadParameter(f"{scorer} could not be loaded ({type(exc).__name__}: {exc})", param_hint="'--scorer'") from None
    if not callable(getattr(module, "score", None)):
        raise click.BadParameter(f"{scorer} has no score(queries, ranked, k) function", param_hint="'--scorer'")
    items: list[dict] = []
    seen: dict[str, Path] = {}
    for path in queries:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"{path} is not valid JSON in UTF-8 ({exc})", param_hint="QUERIES") from None
        if not isinstance(loaded, list) or not all(isinstance(q, dict) and {"id", "query", "gold"} <= set(q)
                                                   and isinstance(q["query"], str) and isinstance(q["gold"], list)
                                                   and all(isinstance(g, str) for g in q["gold"]) for q in loaded):
            raise click.BadParameter(f"{path} must be a list of objects with id, query (text) and gold (a list of "
                                     "texts)", param_hint="QUERIES")
        if not loaded:
            raise click.BadParameter(f"{path} holds no queries", param_hint="QUERIES")
        # as the scorer compares: an empty snippet is held by every passage (S@1 1.0 for any query)
        form = getattr(module, "match_form", None)
        for item in loaded:
            if not item["query"].strip() or not item["gold"] or not all(
                    (form(g) if callable(form) else g).strip() for g in item["gold"]):
                raise click.BadParameter(f"{path}: query {item['id']!r} needs a query text and gold snippets that are not "
                                         "empty (as the scorer reads them): an empty snippet is in every passage",
                                         param_hint="QUERIES")
            if item["id"] in seen:
                raise click.BadParameter(f"query id {item['id']!r} is in both {seen[item['id']]} and {path}; ids must be unique")
            seen[item["id"]] = path
        items += loaded
    library = _library(build_dir)
    table: dict[str, dict] = {}
    missed: list = []
    for mode in chosen:
        ranked = {q["id"]: [r["text"] for r in library.search(q["query"], k=k, mode=mode).results] for q in items}
        metrics, mode_misses = module.score(items, ranked, k)
        table[mode] = metrics
        if mode == "hybrid":
            missed = mode_misses
    if quote_finder:
        asking = [q for q in items if q.get("kind") == "quote"]
        if not asking:
            raise click.BadParameter("no query of kind 'quote' to score the quote finder on", param_hint="--quotes")
        ranked = {q["id"]: [r["text"] for r in library.search_quotes(q["query"], k=k)["results"]] for q in asking}
        table["quotes"], _ = module.score(asking, ranked, k)
    if as_json:
        click.echo(json.dumps({"metrics": table, "misses": missed}))
        return
    columns = ["S@1", "S@5", "S@10", "MRR@10", "nDCG@10"]
    click.echo(f"{'mode':8s} {'group':10s} {'n':>3s} " + " ".join(f"{c:>8s}" for c in columns))
    for mode, metrics in table.items():
        for group in ["all"] + sorted(g for g in metrics if g != "all"):
            row = metrics[group]
            click.echo(f"{mode:8s} {group:10s} {row['n']:3d} " + " ".join(f"{row.get(c, 0):8.3f}" for c in columns))
    if misses:
        for qid, rank, text in missed:
            click.echo(f"miss {qid} rank={rank} {text}")


@main.command("adapt", context_settings=CONTEXT)
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Built library whose passages are learnt from [default: build].")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Adapter file to write (.safetensors).")
@click.option("--seed", type=int, default=11, show_default=True, help="Seed of the sentence choice, order and dropout.")
@click.option("--rank", type=click.IntRange(min=1), default=64, show_default=True, help="Rank kept of each weight matrix's change.")
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True, help="Passes over the pairs (the field adapter: 3).")
@click.option("--sentences", "sentences_per_passage", type=click.IntRange(min=1), default=2, show_default=True, help="Training sentences taken from each passage.")
def adapt(build_dir, out_file, seed, rank, epochs, sentences_per_passage) -> None:
    """Learn an embedding adapter from a built library's own passages (no queries, no judgements:
    each sentence is taught to find the rest of its passage) and write it to OUT. Then build with
    it: `CKG_EMBEDDING_ADAPTER=OUT ckg build`. About 11 minutes for the 348 seed passages on 2 cores.
    The shipped `field` adapter was made by `ckg adapt --out kg/index/adapters/field-ict-r64.safetensors`
    on the seed build."""
    from rich.progress import Progress

    from .index.adapt import learn_adapter

    library = _library(build_dir)
    settings = _settings(build_dir=build_dir)
    texts = [p["text"] for p in library.passages()]
    with Progress(transient=True) as bar:
        task = bar.add_task(f"learning from {len(texts)} passages", total=None)
        try:
            done = learn_adapter(texts, out_file, model=settings.embedding_model, seed=seed, rank=rank, epochs=epochs,
                                 sentences_per_passage=sentences_per_passage,
                                 note=f"corpus {library.manifest.get('corpus_hash', '')[:16]}",
                                 progress=lambda step, total: bar.update(task, completed=step, total=total))
        except (ValueError, OSError) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{done['pairs']} sentence–passage pairs, {done['steps']} steps in {done['seconds']:.0f} s → "
               f"{out_file} ({done['bytes'] / 1e6:.1f} MB)")
    click.echo(f"use it: CKG_EMBEDDING_ADAPTER={out_file} ckg build")


@main.command("cites", context_settings=CONTEXT)
@click.argument("source")
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--json", "as_json", is_flag=True, help="References and citations as JSON (as /api/sources/<id>/references and /citations).")
def cites(source, build_dir, as_json) -> None:
    """What a source cites: its reference list and its in-text citations, each with its work."""
    library = _library(build_dir)
    references, citations = library.references(source), library.citations(source)
    if references is None:
        known = ", ".join(s["id"] for s in library.sources())
        raise click.BadParameter(f"there is no source {source!r} in this build (sources: {known})", param_hint="SOURCE")
    if as_json:
        from search_app import workdata

        click.echo(json.dumps({"source_id": source, "references": workdata.references(library, source)["results"],
                               "citations": workdata.citations(library, source)["results"]}, ensure_ascii=False, indent=1))
        return
    unpaged = "" if any(c.get("doc_page") is not None for c in citations) or not citations else \
        " (the source has no page numbers: no page is known for them)"
    click.echo(f"{len(references)} references, {len(citations)} in-text citations{unpaged}")
    for ref in references:
        key = f"[{ref['key']}] " if ref["key"] else ""
        click.echo(f"  {key}{_described(ref['authors'], ref['year'] + ref['year_suffix'], ref['title'], ref.get('et_al'))}"
                   f"  → {ref.get('work_id') or '-'}")
    for citation in citations:
        where = _where(library, source, citation.get("doc_page"), citation.get("page_label"))
        page = f"{where}  " if where else ""
        target = citation.get("work_id") or " or ".join(citation.get("candidate_work_ids") or []) or "-"
        ambiguous = " (ambiguous)" if not citation.get("work_id") and citation.get("candidate_work_ids") else ""
        click.echo(f"  {page}{citation['surface']}  → {target}{ambiguous}")


@main.command("cited-by", context_settings=CONTEXT)
@click.argument("work")
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--json", "as_json", is_flag=True, help="The works as JSON (as /api/works/<id>).")
def cited_by(work, build_dir, as_json) -> None:
    """Who cites a work, in which sentence: WORK is a work id or words of its authors, year and title
    ("Leont'ev 1978"), or a citation of several works as a paper prints it ("(Edwards 2005, 2007,
    in press)"), which lists each work it names in its order, after a line saying which work each
    part of it is."""
    from search_app import workdata

    if not work.strip():
        raise click.BadParameter("give a work id or words of its authors, year and title (\"Leont'ev 1978\")", param_hint="WORK")
    library = _library(build_dir)
    exact = library.work(work)
    found, cited = ([exact], None) if exact else library.works_for(work)
    if cited is not None:
        # say which work each part of the citation is, and which part the library has no work for
        parts = [f"{part['citation']} → {' or '.join(w['id'] for w in part['works']) or 'no work in this library'}"
                 for part in cited]
        if not found:       # nothing found: exit 1, as `ckg concept` (a bad argument is 2)
            raise click.ClickException(f"{work!r} cites {len(cited)} works and no work of this library fits any of them: "
                                       f"{'; '.join(p['citation'] for p in cited)}")
        click.echo(f"{work} cites {len(cited)} works: " + "; ".join(parts), err=as_json)
    elif not found:
        raise click.ClickException(f"no work has the id or matches {work!r}; try `ckg cited-by` with an author and a year, "
                                   f"or list the works: ckg cites SOURCE")
    details = [workdata.work_detail(library, w["id"]) for w in found]
    if as_json:
        click.echo(json.dumps(details if len(details) > 1 else details[0], ensure_ascii=False, indent=1))
        return
    for detail in details:
        click.echo(f"{detail['id']}: {_described(detail['authors'], detail['year'], detail['title'], detail.get('et_al'))}")
        for entry in detail["cited_by"]:
            where = _where(library, entry["source_id"], entry.get("page"), entry.get("page_label"), entry.get("passage_id"))
            page = f", {where}" if where else (", page not known" if entry["context"] else "")
            others = " or ".join(c["label"] for c in entry.get("candidates") or [] if c["id"] != detail["id"])
            ambiguous = f"  [ambiguous: it may cite {others} instead]" if entry.get("ambiguous") else ""
            click.echo(f"  {entry['source_id']}{page}: {entry['context'] or '(in its reference list)'}{ambiguous}")


def _where(library, source_id: str, page: int | None, label: str | None, passage_id: str | None = None,
           end_page: int | None = None, end_label: str | None = None) -> str:
    """Where words stand, as their citation gives it (``Library.place``: "pp. 4–5" for words running on to
    ``end_page``); "" without a page or a section."""
    return library.place(source_id, page, label, passage_id, end_page, end_label) or ""


def _described(authors: list[str], year: str | None, title: str | None, et_al: bool = False) -> str:
    """A work as a list prints it, leaving out what it lacks: "Edwards, A. (2010) Being an Expert…",
    "Evans et al. (2006)" (the sources name only the first author), "Evaluation of the CWDC … Pilot"
    (a listed study: no authors, no year)."""
    names = "; ".join(authors or []) + (" et al." if authors and et_al else "")
    return " ".join(part for part in (names, f"({year})" if year else "", title or "") if part) or "—"


# what a lineage row's work is when it is not a publication
_KIND_NOTES = {"study": "a funded study, dated by the end of its award",
               "corroborating source": "a corroborating source, not a publication"}


def _concept_matches(library, label: str, command: str) -> list[dict]:
    """The concepts a label resolves to, best first; exits with status 1 when there is none."""
    from search_app import conceptdata

    if not label.strip():       # an empty label would list every concept A–Z, the first taken for an answer
        raise click.BadParameter(f"give a concept's label, e.g. ckg {command} \"relational agency\"", param_hint="LABEL")
    matches = conceptdata.concept_list(library, label)["results"]
    if matches and matches[0]["score"] < conceptdata.NAMES_PART_ONLY:
        # the label is only part of other names ("factors"): suggest them, do not show one as if named
        listed = "; ".join(m["pref_label"] + (f" (“{m['matched_label']}”)" if m["matched_label"] != m["pref_label"] else "")
                           for m in matches[:5])
        click.echo(f"ckg {command}: no concept is named {label!r}; these concepts' names hold its words: {listed}. "
                   f"Show one with ckg {command} \"NAME\", or search the full text with: ckg search {shlex.quote(label)}", err=True)
        sys.exit(1)
    if not matches:
        study = library.find_study(label)
        person_id = label if library.person(label) else library.person_alias(label)
        named = (f" {label!r} is a study: {study.get('name') or study['id']}: ckg study {study['id']}." if study else "") + (
            f" {label!r} names {library.person(person_id)['name']}, cited in the sources: ckg cited-by {shlex.quote(label)}."
            if person_id and library.person(person_id) else "")
        click.echo(f"ckg {command}: no concept matches {label!r}.{named} Search the full text with: ckg search {shlex.quote(label)}", err=True)
        sys.exit(1)
    return matches


def _coiners(coinage: dict) -> tuple[str, bool]:
    """Who a coinage names, and whether only as where a source traces the concept from (``traced_to``:
    "We need to start with Vygotsky"), not as who coined or introduced it."""
    named = ", ".join(p["name"] for p in coinage["by"] + coinage["introduced_by"])
    if not named and coinage["traced_to"]:
        return ", ".join(p["name"] for p in coinage["traced_to"]), True
    return named or "the source's authors", False


def _print_ladder(browser: dict, as_json: bool, library) -> None:
    """The four levels of prevention: each level with its notation and definition, and where the framework comes from."""
    ladder = {"title": browser["ladder_title"], "source": browser["ladder_source"], "provenance": browser["ladder_provenance"],
              "sources": browser["ladder_sources"], "levels": browser["ladder"]}
    if as_json:
        click.echo(json.dumps(ladder, ensure_ascii=False, indent=1))
        return
    click.echo(ladder["title"])
    if ladder["provenance"]:
        click.echo(f"\n{ladder['provenance']}")
    for level in ladder["levels"]:
        click.echo(f"\n{level['notation']}. {level['label']}  ({level['id']})")
        if level["definition"]:
            click.echo(_quoted_definition(level["definition"], library))
    click.echo("\n(`ckg concept LEVEL` for one level; `ckg lineage \"levels of prevention\"` for the works cited for them)")


def _quoted_definition(d: dict, library) -> str:
    """A definition (or description) as the concept page shows it: the words, where they stand (the
    page, the slide of a deck, or the section where the source has no page numbers), whom the source
    credits, and a ready citation."""
    where = _where(library, d["source_id"], d["page"], d["page_label"], d.get("passage_id"), d.get("end_page"),
                   d.get("end_page_label")) if d.get("in_library") else ""
    where = f", {where}" if where else ""
    sense = f" [{d['sense']} sense]" if d.get("sense") else ""
    sense += " [found in the text, not reviewed]" if d.get("reviewed") is False else ""
    credited = ((f" (the source quotes it from {d['citation']})" if d.get("cited_words")
                 else f" (the source's own words, on {d['citation']})") if d.get("citation") else "")
    cite = (d.get("cite") or {}).get("in_text")
    return (f"\n  “{d['text']}”{sense}\n    — {d['source_title']}{where}{credited}"
            + (f"\n    cite: {cite}" if cite else ""))


@main.command("concept", context_settings=CONTEXT)
@click.argument("label")
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--json", "as_json", is_flag=True, help="The concept as JSON (the same object as /api/concepts/<id>).")
def concept(label, build_dir, as_json) -> None:
    """Show the concept a label names (any case, hyphenated or not, plural, British or American
    spelling, small typos): definitions quoted with source and page, who coined it, neighbours,
    studies, and the strongest passages."""
    from search_app import conceptdata as knowledge

    library = _library(build_dir)
    ladder = knowledge.concept_list(library, label)["ladder"] if label.strip() else None
    if ladder and ladder["exact"]:      # "levels of prevention": the framework, all four levels (as /concepts shows it)
        _print_ladder(knowledge.concept_browser(library), as_json, library)
        return
    matches = _concept_matches(library, label, "concept")
    data = knowledge.concept_detail(library, matches[0]["id"])
    if as_json:
        data["matched_label"], data["score"] = matches[0]["matched_label"], matches[0]["score"]
        data["other_matches"] = [m["id"] for m in matches[1:5]]
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"{data['pref_label']}  ({data['id']})" + (f"  notation {data['notation']}" if data["notation"] else ""))
    if data["alt_labels"]:
        click.echo("also: " + "; ".join(data["alt_labels"]))
    for found in data["found_labels"]:
        page = library.place(found["source_id"], found["page"], found["page_label"], found["passage_id"])
        click.echo(f"“{found['label']}” abbreviates “{found['long_form']}” in {found['source_id']}"
                   + (f", {page}" if page else "") + " (found in the text, not yet reviewed)")
    for h in data["homonyms"]:
        click.echo(f"not to be confused with {h['pref_label']} ({h['id']}), also called “{h['word']}”")
    if data["scope_note"]:
        click.echo(f"\n{data['scope_note']}")
    for d in data["definitions"]:
        click.echo(_quoted_definition(d, library))
    reviewed = any(d["reviewed"] for d in data["definitions"])
    if not data["definitions"]:
        click.echo(f"\nNo source in the library defines {data['pref_label']}"
                   + ("; what the sources say about it:" if data["descriptions"] else "."))
    elif not reviewed and data["descriptions"]:
        click.echo("\nwhat the sources say about it:")     # the found definitions are not reviewed: show these too
    if not reviewed:
        for d in data["descriptions"]:
            click.echo(_quoted_definition(d, library))
    for c in data["coined_by"]:
        who, traced = _coiners(c)
        click.echo(f"\n{'traced to' if traced else 'coined by'} {who}" + (f" ({c['citation']})" if c["citation"] else ""))
    for name in ("broader", "narrower", "related", "studies"):
        if data[name]:
            click.echo(f"{name}: {', '.join(data[name])}")
    if data["source_counts"]:
        click.echo("sources: " + "; ".join(f"{s['source_id']} ({s['mentions']})" for s in data["source_counts"]))
    for passage in data["passages"][:5]:
        mark = "defines · " if passage["defines"] else ""
        click.echo(f"\n── {passage['passage_id']}  {mark}{passage['mentions']} mention{'' if passage['mentions'] == 1 else 's'}")
        click.echo(" ".join(passage["text"].split())[:400])
    if len(matches) > 1:
        click.echo("\nother matches: " + ", ".join(m["id"] for m in matches[1:5]))


@main.command("study", context_settings=CONTEXT)
@click.argument("name", required=False)
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--json", "as_json", is_flag=True,
              help="As JSON: the same object as /api/studies/<id>, or without NAME as /api/studies.")
def study(name, build_dir, as_json) -> None:
    """Show the study NAME stands for (its id, acronym or title, any case: "NECF", "liw",
    "Programme A"): funder, years, leads, scale and methods with the source that states each,
    outputs, the sources that report it, its concepts and the passages naming it most. Without NAME,
    list every study."""
    from search_app import conceptdata as knowledge

    library = _library(build_dir)
    if name is None:
        listed = knowledge.study_list(library)
        if as_json:
            click.echo(json.dumps(listed, ensure_ascii=False, indent=1))
            return
        rows = sorted(listed["results"], key=lambda s: (s["name"] or s["id"]).strip("[").casefold())  # a supplied title in [ ] sorts by its words
        width = max((len(s["id"]) for s in rows), default=0)
        for s in rows:
            named = (s["name"] or s["id"]) + (f" ({s['acronym']})" if s["acronym"] and s["acronym"] != s["name"] else "")
            facts = "; ".join(part for part in (s["years"], ", ".join(s["funder_names"])) if part)
            click.echo(f"{s['id']:<{width}}  {named}" + (f" — {facts}" if facts else ""))
        return
    if not name.strip():
        raise click.BadParameter("give a study's id, acronym or title, e.g. ckg study NECF, or nothing to list every study",
                                 param_hint="NAME")
    found = library.study(name) or library.find_study(name)
    if found is None:
        concepts = knowledge.concept_list(library, name)["results"]
        concept = (f" {name!r} names a concept: ckg concept {shlex.quote(concepts[0]['pref_label'])}."
                   if concepts and concepts[0]["score"] >= knowledge.NAMES_PART_ONLY else "")
        click.echo(f"ckg study: no study is named {name!r}.{concept} The studies: "
                   + ", ".join(sorted(library.studies())) + f". Search the full text with: ckg search {shlex.quote(name)}",
                   err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(knowledge.study_detail(library, found["id"]), ensure_ascii=False, indent=1))
        return
    _print_study(knowledge.study_page(library, found["id"]), library)


def _print_study(data: dict, library) -> None:
    """A study as its page shows it: each fact of scale, method, budget and duration with the source
    that states it, or marked as the cataloguer's summary."""
    def stated(fact: dict) -> str:
        if not fact["sources"]:
            return "  (cataloguer's summary)"
        return "  — " + "; ".join(where["label"] for where in fact["sources"])

    def people(rows: list[dict]) -> str:
        return "; ".join(who["name"] for who in rows)

    click.echo(data["name"] + (f"  ({data['acronym']})" if data["acronym"] and data["acronym"] != data["name"] else "")
               + f"  [{data['id']}]")
    if data["description"]:
        click.echo(f"\n{data['description']}\n")
    lines = [("type", data["study_type"]), ("funder", "; ".join(data["funder_names"]) or "not stated"),
             ("years", data["years"] or "not stated"), ("lead", people(data["leads"])),
             ("co-leads", people(data["co_leads"])), ("team", people(data["team"])), ("partners", "; ".join(data["partners"])),
             ("where", data["spatial"]), ("evaluates", "; ".join(x["name"] for x in data["evaluates"])),
             ("policy context", "; ".join(x["name"] for x in data["policy_context"]))]
    for name, facts in (("duration", data["stated_in"].get("duration", [])), ("budget", data["stated_in"].get("budget", []))):
        lines += [(name, fact["text"] + stated(fact)) for fact in facts]
    for label, value in lines:
        if value:
            click.echo(f"{label + ':':<16}{value}")
    for name in ("scale", "method"):
        if data["stated_in"].get(name):
            click.echo(f"{name}:")
            for fact in data["stated_in"][name]:
                click.echo(f"  - {fact['text']}{stated(fact)}")
    if data["output"]:
        click.echo("outputs:")
        for output in data["output"]:
            click.echo(f"  - {output}")
    if data["source_links"]:
        click.echo("sources:")
        for s in data["source_links"]:
            click.echo(f"  - {s['title']}  [{s['id']}]" + ("  (names it only in its reference list)" if s["cited_only"] else ""))
    else:
        click.echo("sources:        no source of this library reports it")
    if data["concepts"]:
        click.echo("concepts: " + ", ".join(data["concepts"]))
    for passage in data["passages"][:5]:
        where = _where(library, passage["source_id"], passage["page"], passage["page_label"], passage["passage_id"])
        click.echo(f"\n── {passage['passage_id']}  {passage['mentions']} mention{'' if passage['mentions'] == 1 else 's'}"
                   + (f" · {where}" if where else ""))
        click.echo(" ".join(passage["text"].split())[:400])
    if len(data["passages"]) > 5:
        click.echo(f"\n({len(data['passages'])} passages name it: all of them on /studies/{data['id']} and in ckg study {data['id']} --json)")


@main.command("export", context_settings=CONTEXT)
@click.option("--format", "fmt", type=click.Choice(["turtle", "json-ld", "nquads", "trig"]), default="turtle",
              show_default=True, help="RDF syntax.")
@click.option("--graph", help="One named graph: ontology, build or a source id [default: all].")
@click.option("--build", "build_dir", type=click.Path(path_type=Path), help="Build directory [default: build].")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file [default: stdout].")
def export_graph(fmt, graph, build_dir, out_file) -> None:
    """Export the knowledge graph. N-Quads and TriG keep every named graph (the ontology, one per
    source, the build's provenance); Turtle and JSON-LD hold their union, or with --graph one graph."""
    from .graph import export

    if out_file is not None and (not str(out_file).strip() or out_file.is_dir()):
        raise click.BadParameter(f"{str(out_file)!r} is no file name; give the file to write, e.g. --out graph.ttl",
                                 param_hint="'--out'")
    library = _library(build_dir)
    if not library.graph_path.exists():
        raise click.ClickException(f"{library.graph_path} is missing; rebuild with `ckg build`")
    try:
        body = export(library.graph_path, fmt, graph)
    except KeyError as exc:         # a --graph the dataset has not: a bad option value
        names = ", ".join(["ontology", "build"] + [source["id"] for source in library.sources()])
        raise click.BadParameter(f"{exc.args[0]}; use one of {names}", param_hint="'--graph'") from None
    if out_file:
        partial = out_file.with_name(f".{out_file.name}.partial")
        try:        # written whole, then put in place: an interrupted export leaves no half file
            partial.write_bytes(body)
            partial.replace(out_file)
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise click.BadParameter(f"cannot write {out_file} ({exc.strerror or exc}); give a file in a folder "
                                     "that exists and you may write to", param_hint="'--out'") from None
        click.echo(f"{len(body)} bytes of {fmt} → {out_file}", err=True)
    else:
        sys.stdout.buffer.write(body)


@main.command("settings", context_settings=CONTEXT)
def show_settings() -> None:
    """List every setting with its default, its environment variable and what it does."""
    current = Settings.from_env()
    for name, default, help_text in Settings.describe():
        value, default = getattr(current, name), "not set" if default is None else default
        click.echo(f"{name} (CKG_{name.upper()}) = {'not set' if value is None else value}  [default {default}]\n    {help_text}")


if __name__ == "__main__":  # pragma: no cover
    main()
