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
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts) or path.name.lower() in _IGNORED_NAMES:
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
