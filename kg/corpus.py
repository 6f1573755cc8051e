"""The corpus folder: which files to ingest and their bibliographic metadata (sources.toml)."""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .extract import SUPPORTED_SUFFIXES

METADATA_FILE = "sources.toml"
DOCUMENT_TYPES = ("journal article", "research report", "presentation slides", "book chapter", "impact case study")
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


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "source"


def load_metadata(corpus_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Entries of sources.toml keyed by file name; a broken file is a warning, never fatal."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [f"{path}: not valid TOML ({exc}); files are ingested without metadata until it is fixed"]
    entries: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    known = set(SourceMeta.__dataclass_fields__) - {"has_metadata"}
    for number, entry in enumerate(data.get("source", []), start=1):
        if not isinstance(entry, dict) or not entry.get("file"):
            warnings.append(f"{path}: [[source]] #{number} has no 'file' key; entry ignored")
            continue
        unknown = set(entry) - known
        if unknown:
            warnings.append(f"{path}: [[source]] for {entry['file']} has unknown keys {sorted(unknown)}; they are ignored")
        if entry.get("type") and entry["type"] not in DOCUMENT_TYPES:
            warnings.append(f"{path}: type {entry['type']!r} of {entry['file']} is not one of {', '.join(DOCUMENT_TYPES)}")
        if "year" in entry and not isinstance(entry["year"], int):
            warnings.append(f"{path}: year of {entry['file']} must be a whole number; it is ignored")
            entry = {k: v for k, v in entry.items() if k != "year"}
        entries[entry["file"]] = {k: v for k, v in entry.items() if k in known}
    for file_name in entries:
        if not (corpus_dir / file_name).exists():
            warnings.append(f"{path}: {file_name} is listed but not in {corpus_dir}")
    return entries, warnings


def plan(corpus_dir: Path) -> CorpusPlan:
    """Files to ingest with their metadata, files skipped (unsupported), and a hash of it all."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder {corpus_dir} does not exist; pass --corpus DIR")
    entries, warnings = load_metadata(corpus_dir)
    files: list[tuple[Path, SourceMeta]] = []
    skipped: list[tuple[str, str, str]] = []
    used_ids: set[str] = set()
    digest = hashlib.sha256()
    root = corpus_dir.resolve()
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(corpus_dir).as_posix()
        if _passed_over(path, corpus_dir):
            if path.name == METADATA_FILE:
                digest.update(path.read_bytes())
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append((relative, "unsupported", f"{relative}: only .txt, .md and .pdf are ingested; convert it or remove it"))
            continue
        if not path.resolve().is_relative_to(root):
            # a link out of the corpus could publish any file the server can read (/etc/passwd, keys…)
            skipped.append((relative, "outside-corpus", f"{relative} is a link to a file outside the corpus folder; copy the file in instead"))
            continue
        entry = entries.get(relative) or entries.get(path.name)
        meta = SourceMeta(**entry) if entry and entry.get("id") else None
        if meta is None:
            meta = SourceMeta(id=slugify(path.stem), file=relative, has_metadata=False, **{k: v for k, v in (entry or {}).items() if k not in ("id", "file")})
        meta.file = relative
        if meta.id in used_ids:
            base, n = meta.id, 2
            while f"{base}-{n}" in used_ids:
                n += 1
            warnings.append(f"{relative}: source id {meta.id!r} is already used; this file gets {base}-{n}")
            meta.id = f"{base}-{n}"
        used_ids.add(meta.id)
        files.append((path, meta))
        digest.update(relative.encode() + b"\0" + _file_hash(path).encode() + b"\0")
    return CorpusPlan(corpus_dir, files, skipped, warnings, digest.hexdigest())


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class MetadataError(ValueError):
    """A catalogue entry that cannot be written as asked (the message says what to change)."""


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
    listed = {e.get("file") for e in entries if isinstance(e, dict)}
    taken = taken or next((name for name, stem in _corpus_files(Path(corpus_dir))     # files without an entry: named by their file
                           if name != file_name and name not in listed and slugify(stem) == wanted_id), None)
    if taken:
        raise MetadataError(f"source id {wanted_id!r} is already used by {taken} in {path}; choose another with --id")
    changes = dict(fields)
    if "title" in fields:
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


def _passed_over(path: Path, corpus_dir: Path) -> bool:
    """A file the build does not read as a document: in a dot folder (.removed/, .git/), a dot
    file, sources.toml or a README."""
    return any(part.startswith(".") for part in path.relative_to(corpus_dir).parts) or path.name.lower() in _IGNORED_NAMES


def _corpus_files(corpus_dir: Path) -> list[tuple[str, str]]:
    """(name relative to the corpus, file stem) of the documents the build would ingest."""
    if not corpus_dir.is_dir():
        return []
    return [(p.relative_to(corpus_dir).as_posix(), p.stem) for p in sorted(corpus_dir.rglob("*"))
            if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not _passed_over(p, corpus_dir)]


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


def _check_fields(fields: dict[str, Any]) -> None:
    import datetime

    if "id" in fields and not _ID_RE.fullmatch(str(fields["id"])):
        raise MetadataError(f"id {fields['id']!r} must be lower-case letters, digits, '.', '-' or '_' (it is part of "
                            "every passage id and page address), e.g. 'edwards-2010'")
    if "year" in fields:
        latest = datetime.date.today().year + 5
        if not isinstance(fields["year"], int) or isinstance(fields["year"], bool) or not 1500 <= fields["year"] <= latest:
            raise MetadataError(f"year {fields['year']!r} must be a whole number between 1500 and {latest}")
    if "type" in fields and fields["type"] not in DOCUMENT_TYPES:
        raise MetadataError(f"type {fields['type']!r} must be one of: {', '.join(DOCUMENT_TYPES)}")
    if "pages" in fields:
        # the reference lists and citations print this as it stands ("pp. abc" helps no reader)
        pages = _PAGES_RE.fullmatch(str(fields["pages"]).strip()) if isinstance(fields["pages"], str) else None
        if pages is None or (pages.group(2) and int(pages.group(2)) < int(pages.group(1))):
            raise MetadataError(f"pages {fields['pages']!r} must be a page or a page range, first page first, "
                                "e.g. '123-140' or '12'")
    if "url" in fields and not re.match(r"https?://\S+$", str(fields["url"])):
        raise MetadataError(f"url {fields['url']!r} must be a web address starting with http:// or https://")
    for key in ("authors", "editors", "studies"):
        names = fields.get(key, [])
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n.strip() for n in names):
            raise MetadataError(f"{key} must be a list of non-empty names")
    for key in ("title", "venue", "publisher", "place", "pages", "note"):
        if key in fields and (not isinstance(fields[key], str) or ("\n" in fields[key] and key != "note")):
            raise MetadataError(f"{key} must be one line of text")
