"""The corpus folder: which files to ingest and their bibliographic metadata (sources.toml)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .extract import SUPPORTED_SUFFIXES

METADATA_FILE = "sources.toml"
DOCUMENT_TYPES = ("journal article", "research report", "presentation slides", "book chapter", "impact case study",
                  "book", "thesis", "policy document")
_IGNORED_NAMES = {METADATA_FILE, "readme.md", "readme.txt", "license", "license.txt"}


@dataclass
class SourceMeta:
    id: str
    file: str
    title: str = ""
    title_supplied: bool = False
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    type: str = ""
    venue: str = ""
    publisher: str = ""
    place: str = ""
    editors: list[str] = field(default_factory=list)
    pages: str = ""
    url: str = ""
    studies: list[str] = field(default_factory=list)
    note: str = ""
    has_metadata: bool = True     # false for a file with no sources.toml entry

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CorpusPlan:
    corpus_dir: Path
    files: list[tuple[Path, SourceMeta]]
    skipped: list[tuple[str, str, str]]        # (file, reason, message)
    warnings: list[str]
    corpus_hash: str
    copies: list[tuple[str, str]] = field(default_factory=list)    # (a document, the earlier one it is a copy of)

    def copy_warnings(self, ingested: set[str] | None = None) -> list[str]:
        """A warning for each copy of a document under another name, both read (``ingested``: the files
        that were; None: all): a copy that failed shows nothing twice."""
        return [f"{copy} has the same content as {first}: its passages, quotes and citations show twice; remove "
                "one of them (ckg remove)" for copy, first in self.copies
                if ingested is None or (copy in ingested and first in ingested)]


_LATIN_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
                                "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "ı": "i"})


def slugify(text: str) -> str:
    """A source id from a file name: accents dropped ("résumé" → resume, "Ökonomie" → okonomie); a
    name with no Latin letter or digit ("報告") gets one made from the name itself, so an id never
    depends on which other files the folder holds."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.translate(_LATIN_LETTERS)) if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if slug and re.search(r"[^\W\d_]", re.sub(r"[A-Za-z0-9]", "", plain)) is None:
        return slug
    if slug:        # Latin and other letters mixed: keep the Latin part, told apart by the whole name
        return f"{slug}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"
    return "source-" + hashlib.sha1(text.encode()).hexdigest()[:8] if text.strip() else "source"


def load_metadata(corpus_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Entries of sources.toml keyed by file name, in the catalogue's order, and warnings for the
    values left out (a year or type the build cannot take, an entry without a file). Raises
    MetadataError when sources.toml is not valid TOML: building on would strip every source of its
    title, authors and year, so the last good build stays until it is fixed."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{path} is not valid TOML ({exc}); fix it, then run the command again (nothing was "
                            "changed or built: the last build is kept)") from None
    if not isinstance(data.get("source", []), list):
        raise MetadataError(f"{path}: 'source' must be a list of [[source]] tables; fix it, then run the command "
                            "again (nothing was changed or built: the last build is kept)")
    entries: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for key in sorted(set(data) - {"source"}):      # "[[sources]]" for "[[source]]": every entry would be lost unsaid
        hint = " (the entries are [[source]] tables)" if key.rstrip("s") == "source" or isinstance(data[key], list) else ""
        warnings.append(f"{path}: unknown top-level key {key!r}{hint}; it is ignored")
    known = set(SourceMeta.__dataclass_fields__) - {"has_metadata"}
    for number, entry in enumerate(data.get("source", []), start=1):
        where = f"{path}: [[source]] #{number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not entry["file"].strip():
            given = f" (id {entry['id']!r})" if isinstance(entry, dict) and entry.get("id") else ""
            what = "has no 'file' key" if not isinstance(entry, dict) or not entry.get("file") else "has a 'file' that is no file name"
            warnings.append(f"{where}{given} {what}; entry ignored (add file = \"NAME\" to it)")
            continue
        unknown = set(entry) - known
        if unknown:
            warnings.append(f"{path}: [[source]] for {entry['file']} has unknown keys {sorted(unknown)}; they are ignored")
        entry = {k: v for k, v in entry.items() if k in known}
        if isinstance(entry.get("type"), str) and entry["type"].strip().lower() in DOCUMENT_TYPES:
            entry["type"] = entry["type"].strip().lower()       # "Journal article" as "journal article"
        for name in ("authors", "editors", "studies"):
            if isinstance(entry.get(name), str):                # authors = "Smith, J.": one name, not its letters
                entry[name] = [entry[name]]
        if isinstance(entry.get("year"), str) and re.fullmatch(r"\s*\d{4}\s*", entry["year"]):
            entry["year"] = int(entry["year"])                  # year = "2001" as 2001
        for name in [k for k in entry if k != "file"]:
            problem = _field_problem(name, entry[name])
            if problem:
                fallback = " (the file name gives the id)" if name == "id" else ""
                warnings.append(f"{path}: [[source]] for {entry['file']}: {problem}; it is ignored{fallback}")
                del entry[name]
        entries[entry["file"]] = entry
    for file_name in entries:
        if not (corpus_dir / file_name).exists():
            warnings.append(f"{path}: {file_name} is listed but not in {corpus_dir}")
    return entries, warnings


def plan(corpus_dir: Path) -> CorpusPlan:
    """Files to ingest with their metadata, files skipped (unsupported), and a hash of it all."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        if corpus_dir.exists():
            raise NotADirectoryError(f"{corpus_dir} is a file, not a corpus folder; pass --corpus DIR, the folder "
                                     "holding the documents and sources.toml")
        raise FileNotFoundError(f"corpus folder {corpus_dir} does not exist; pass --corpus DIR")
    entries, warnings = load_metadata(corpus_dir)
    files, skipped = _files_with_ids(corpus_dir, entries, warnings)
    digest = hashlib.sha256()
    ingested = {path for path, _ in files}
    first_with: dict[str, str] = {}        # a content hash → the first document holding it
    copies: list[tuple[str, str]] = []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):    # the order and bytes hashed before ids were reserved
        if path in ingested:
            content = _file_hash(path)
            digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0" + content.encode() + b"\0")
            relative = path.relative_to(corpus_dir).as_posix()
            if content in first_with:       # "report (final).pdf" beside "report.pdf": every passage would show twice
                copies.append((relative, first_with[content]))
            first_with.setdefault(content, relative)
        elif path.name == METADATA_FILE and _passed_over(path, corpus_dir):
            digest.update(path.read_bytes())
    return CorpusPlan(corpus_dir, files, skipped, warnings, digest.hexdigest(), copies)


def same_content(corpus_dir: Path, file: Path, besides: Path | None = None) -> str | None:
    """The corpus document (its path relative to the corpus) whose bytes equal ``file``'s, other than
    ``file`` itself and ``besides`` (the document a --replace overwrites); None when there is none."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return None
    skip = {file.resolve(), *([besides.resolve()] if besides is not None else [])}
    size, content = file.stat().st_size, None
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        if path.resolve() in skip or _passed_over(path, corpus_dir) or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if path.stat().st_size == size:     # a hash only for files of the same size
            content = content or _file_hash(file)
            if _file_hash(path) == content:
                return path.relative_to(corpus_dir).as_posix()
    return None


def _files_with_ids(corpus_dir: Path, entries: dict[str, dict[str, Any]],
                    warnings: list[str]) -> tuple[list[tuple[Path, SourceMeta]], list[tuple[str, str, str]]]:
    """The documents of ``corpus_dir`` (sorted by path) with their metadata and source ids, and the
    files skipped. An id sources.toml gives is reserved before any id made from a file name, so a
    new file named like a catalogued document ("jopling-vincent-2020.md" beside the catalogued
    "jopling-vincent-2020.txt") gets "<id>-2" and never takes the catalogued document's id, whatever
    the order of their names. Ids that clash are reported in ``warnings``."""
    files: list[tuple[Path, SourceMeta]] = []
    skipped: list[tuple[str, str, str]] = []
    given: list[SourceMeta] = []            # documents whose id sources.toml states
    made: list[SourceMeta] = []             # documents named by their file
    root = corpus_dir.resolve()
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(corpus_dir).as_posix()
        if _passed_over(path, corpus_dir):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append((relative, "unsupported", f"{relative}: only .txt, .md and .pdf are ingested; convert it or remove it"))
            continue
        if not path.resolve().is_relative_to(root):
            # a link out of the corpus could publish any file the server can read (/etc/passwd, keys…)
            skipped.append((relative, "outside-corpus", f"{relative} is a link to a file outside the corpus folder; copy the file in instead"))
            continue
        entry = entries.get(relative) or entries.get(path.name)
        if entry and entry.get("id"):
            meta = SourceMeta(**entry)
            given.append(meta)
        else:
            meta = SourceMeta(id=slugify(path.stem), file=relative, has_metadata=False, **{k: v for k, v in (entry or {}).items() if k not in ("id", "file")})
            made.append(meta)
        meta.file = relative
        files.append((path, meta))
    # ids sources.toml gives twice: the entry written first keeps the id, whatever the files' names
    catalogue_order = {name: n for n, name in enumerate(entries)}
    given.sort(key=lambda meta: min(catalogue_order.get(meta.file, len(entries)),
                                    catalogue_order.get(Path(meta.file).name, len(entries))))
    owners: dict[str, str] = {}             # source id → the file that has it
    for meta in given + made:
        if meta.id in owners:
            base, n = meta.id, 2
            while f"{base}-{n}" in owners:
                n += 1
            warnings.append(f"{meta.file}: source id {meta.id!r} is already used by {owners[meta.id]}; "
                            f"this file gets {base}-{n} (give it an id of its own in {METADATA_FILE})")
            meta.id = f"{base}-{n}"
        owners[meta.id] = meta.file
    return files, skipped


def id_owner(corpus_dir: Path, file_name: str, source_id: str) -> str | None:
    """The corpus document, other than ``file_name``, that has the source id ``source_id`` now (as
    the build gives ids: its catalogue entry's, else its file name's), or None."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return None
    entries, _ = load_metadata(corpus_dir)
    files, _ = _files_with_ids(corpus_dir, entries, [])
    return next((meta.file for _, meta in files if meta.file != file_name and meta.id == source_id), None)


def check_source_id(corpus_dir: Path, file_name: str, source_id: str | None = None) -> str:
    """The source id ``file_name`` (relative to the corpus) gets when it is added: ``source_id``,
    else its catalogue entry's, else its file name's. Raises MetadataError when another document
    has that id, so adding a file never takes a source's id from it (nor renames it "<id>-2")."""
    entries, _ = load_metadata(Path(corpus_dir))
    wanted = source_id or (entries.get(file_name) or {}).get("id") or slugify(Path(file_name).stem)
    owner = id_owner(corpus_dir, file_name, wanted)
    if owner:
        raise MetadataError(_taken_message(wanted, owner, Path(corpus_dir)))
    return wanted


def _taken_message(source_id: str, owner: str, corpus_dir: Path) -> str:
    return f"source id {source_id!r} is already used by {owner} in {corpus_dir}; choose another with --id"


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class MetadataError(ValueError):
    """A catalogue entry that cannot be written as asked (the message says what to change; ``field``
    names the catalogue field at fault, when one is)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# the order a written entry lists its keys in, as the seed entries do
_ENTRY_ORDER = ("id", "file", "title", "title_supplied", "authors", "year", "type", "venue", "publisher", "place",
                "editors", "pages", "url", "studies", "note")
_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
# a page or a page range as a reference gives it: "12", "123-140", "123–140" (an en dash, as typeset)
_PAGES_RE = re.compile(r"(\d{1,6})(?:\s*[-–]\s*(\d{1,6}))?")


def with_metadata(corpus_dir: Path, file_name: str, fields: dict[str, Any]) -> tuple[str | None, str]:
    """The text of sources.toml after giving ``file_name`` the catalogue fields ``fields`` (an entry
    created, or the file's entry updated: fields not given keep their values), and its text before
    (None when there is no sources.toml). Nothing is written: see :func:`write_metadata`. Every
    other entry, comment and line of the file is kept as it was (tomlkit edits in place).

    Raises MetadataError for a value the build would refuse or misread, an id another entry uses,
    or a sources.toml that is not valid TOML."""
    import tomlkit

    unknown = set(fields) - set(_ENTRY_ORDER) - {"file"}
    if unknown:
        raise MetadataError(f"unknown catalogue field(s) {sorted(unknown)}; fields are {', '.join(_ENTRY_ORDER[2:])}")
    fields = {key: value for key, value in fields.items() if value not in (None, "", [], ())}
    _check_fields(fields)
    path = Path(corpus_dir) / METADATA_FILE
    before = path.read_text(encoding="utf-8") if path.exists() else None
    try:
        document = tomlkit.parse(before or "")
    except tomlkit.exceptions.TOMLKitError as exc:
        raise MetadataError(f"{path} is not valid TOML ({exc}); fix it, then add the metadata again") from None
    entries = document.get("source")
    if entries is None:
        entries = tomlkit.aot()
        document.append("source", entries)
    elif not isinstance(entries, list):
        raise MetadataError(f"{path}: 'source' must be a list of [[source]] tables; fix it, then add the metadata again")
    entry = next((e for e in entries if isinstance(e, dict) and e.get("file") == file_name), None)
    wanted_id = fields.get("id") or (entry.get("id") if entry is not None else None) or slugify(Path(file_name).stem)
    taken = next((e.get("file") for e in entries if isinstance(e, dict) and e is not entry and e.get("id") == wanted_id), None)
    if taken:                                   # an entry for a file not (yet) in the corpus counts too
        raise MetadataError(f"source id {wanted_id!r} is already used by {taken} in {path}; choose another with --id")
    taken = id_owner(Path(corpus_dir), file_name, wanted_id)    # catalogued, or named by its file
    if taken:
        raise MetadataError(_taken_message(wanted_id, taken, Path(corpus_dir)))
    changes = dict(fields)
    if "title" in fields and "title_supplied" not in fields:
        changes["title_supplied"] = False       # a title someone typed in is the document's, not ours
    if entry is None:
        entry = tomlkit.table()
        changes = {"id": wanted_id, "file": file_name} | changes
        entries.append(entry)
    for key in _ENTRY_ORDER:                    # an entry's other keys and comments stay where they are
        if key in changes:
            entry[key] = list(changes[key]) if isinstance(changes[key], tuple) else changes[key]
    text = tomlkit.dumps(document)
    spaced = re.sub(r"(?<=[^\n])\n(?=\[\[source\]\]\n)", "\n\n", text)   # a key added last ate the blank line
    return before, spaced if tomlkit.parse(spaced) == tomlkit.parse(text) else text


def without_entry(corpus_dir: Path, file_name: str) -> tuple[str | None, str | None]:
    """The text of sources.toml before and after taking out ``file_name``'s entry (both None when
    there is no sources.toml; the same text twice when the file has no entry). The rest of the
    file, comments too, is kept. Raises MetadataError for a sources.toml that is not valid TOML."""
    import tomlkit

    path = Path(corpus_dir) / METADATA_FILE
    if not path.exists():
        return None, None
    before = path.read_text(encoding="utf-8")
    try:
        document = tomlkit.parse(before)
    except tomlkit.exceptions.TOMLKitError as exc:
        raise MetadataError(f"{path} is not valid TOML ({exc}); fix it, then remove the file again") from None
    entries = document.get("source")
    if not isinstance(entries, list):
        return before, before
    kept = [e for e in entries if not (isinstance(e, dict) and e.get("file") == file_name)]
    if len(kept) == len(entries):
        return before, before
    if not kept:
        del document["source"]                  # an empty list of tables would be written "source = []"
    else:
        for index in reversed(range(len(entries))):
            if isinstance(entries[index], dict) and entries[index].get("file") == file_name:
                del entries[index]
    return before, tomlkit.dumps(document)


def removed_entry_path(removed: Path) -> Path:
    """Where `ckg remove` keeps the catalogue entry of a removed file: beside it, "<file>.toml"."""
    return removed.with_name(removed.name + ".toml")


def keep_removed_entry(removed: Path, entry: dict[str, Any] | None) -> None:
    """Write the [[source]] entry a removal took out of sources.toml beside the removed file, so that
    `ckg add` of that file puts its title, authors and year back with it (nothing kept for no entry)."""
    import tomlkit

    if not entry:
        return
    document = tomlkit.document()
    document.add(tomlkit.comment("the sources.toml entry of a removed document: `ckg add` of the file beside it puts it back"))
    tables = tomlkit.aot()
    table = tomlkit.table()
    for key in _ENTRY_ORDER:
        if entry.get(key) not in (None, "", []):
            table[key] = entry[key]
    tables.append(table)
    document["source"] = tables
    removed_entry_path(removed).write_text(tomlkit.dumps(document), encoding="utf-8")


def removed_entry(removed: Path) -> dict[str, Any]:
    """The catalogue entry kept beside a removed file ({} when none is, or it cannot be read)."""
    path = removed_entry_path(removed)
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("source") if path.exists() else None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return {}
    entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
    return {key: value for key, value in entry.items() if key in _ENTRY_ORDER}


def _passed_over(path: Path, corpus_dir: Path) -> bool:
    """A file the build does not read as a document: in a dot folder (.removed/, .git/), a dot
    file, sources.toml or a README."""
    return any(part.startswith(".") for part in path.relative_to(corpus_dir).parts) or path.name.lower() in _IGNORED_NAMES


def write_metadata(corpus_dir: Path, text: str | None) -> None:
    """Write sources.toml whole (None removes it), through a temporary file: an interrupted write
    leaves the old file, never half of the new one."""
    import os
    import tempfile

    path = Path(corpus_dir) / METADATA_FILE
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".sources-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _field_problem(name: str, value: Any) -> str | None:
    """What is wrong with one catalogue value as sources.toml gives it, or None."""
    if name == "title_supplied":
        return None if isinstance(value, bool) else f"title_supplied {value!r} must be true or false"
    if isinstance(value, str) and not value.strip() and name in ("title", "venue", "publisher", "place", "pages", "url", "note"):
        return None         # "" is the catalogue's way of saying "not stated"
    try:
        _check_fields({name: value})
    except MetadataError as exc:
        return str(exc)
    return None


def check_id_form(source_id: str) -> None:
    """Raises MetadataError when ``source_id`` is not a well-formed source id."""
    _check_fields({"id": source_id})


def _check_fields(fields: dict[str, Any]) -> None:
    import datetime

    if "id" in fields and not (isinstance(fields["id"], str) and _ID_RE.fullmatch(fields["id"])):
        raise MetadataError(f"id {fields['id']!r} must be lower-case letters, digits, '.', '-' or '_' (it is part of "
                            "every passage id and page address), e.g. 'edwards-2010'", "id")
    if "year" in fields:
        latest = datetime.date.today().year + 5
        if not isinstance(fields["year"], int) or isinstance(fields["year"], bool) or not 1500 <= fields["year"] <= latest:
            raise MetadataError(f"year {fields['year']!r} must be a whole number between 1500 and {latest}", "year")
    if "type" in fields and fields["type"] not in DOCUMENT_TYPES:
        raise MetadataError(f"type {fields['type']!r} must be one of: {', '.join(DOCUMENT_TYPES)}", "type")
    if "pages" in fields:
        # the reference lists and citations print this as it stands ("pp. abc" helps no reader)
        pages = _PAGES_RE.fullmatch(str(fields["pages"]).strip()) if isinstance(fields["pages"], str) else None
        if pages is None or (pages.group(2) and int(pages.group(2)) < int(pages.group(1))):
            raise MetadataError(f"pages {fields['pages']!r} must be a page or a page range, first page first, "
                                "e.g. '123-140' or '12'", "pages")
    if "url" in fields and not re.match(r"https?://\S+$", str(fields["url"])):
        raise MetadataError(f"url {fields['url']!r} must be a web address starting with http:// or https://", "url")
    for key in ("authors", "editors", "studies"):
        names = fields.get(key, [])
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n.strip() for n in names):
            raise MetadataError(f"{key} must be a list of non-empty names", key)
    for key in ("title", "venue", "publisher", "place", "pages", "note"):
        if key in fields and (not isinstance(fields[key], str) or ("\n" in fields[key] and key != "note")):
            raise MetadataError(f"{key} must be one line of text", key)
