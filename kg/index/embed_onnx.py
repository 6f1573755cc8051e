"""Query encoding through ONNX Runtime, the second backend of :class:`kg.index.embed.Embedder`.

A query is a batch of one short text. There torch spends its time re-packing each weight matrix for
every small product (about 21 ms per query on the 2-core machine); ONNX Runtime packs the weights once
when the session opens (about 7–9 ms). Passages are still embedded by sentence-transformers: this
backend only answers queries, and only once it has been checked to give the same vectors.

The model's transformer is exported once into the embedding cache folder, named by a fingerprint of
the model's files: the network (``<fp>.onnx``), the model's own tokenizer with its length limit
(``<fp>.tokenizer.json``) and a record (``<fp>.json``, written last, so a half-written export is
never taken for a whole one) of the model's own vectors for a few probe texts. Exporting needs
sentence-transformers and torch; loading an export does not, so a search process whose build is
exported starts in about a second instead of importing torch (several seconds). On every load the
probes are encoded again and compared with the record: a damaged export, or a model whose pipeline
this does not reproduce (another pooling), raises :class:`OnnxUnavailable` and the caller keeps the
sentence-transformers encoder.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import warnings
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

_PROBES = [
    "what does relational agency mean",
    "Parent: ‘They listened to me, and for once I felt that what I said counted.’",
    "Heavy-end prevention; the four levels of prevention (Hardiker) — co-configuration, rule-bending…",
    " ".join(["Inter-professional work in children's services demands relational expertise."] * 40),  # over max_seq_length
]
_AGREEMENT = 0.9999          # least cosine between the export's vectors of a probe and the model's own
_RECORD_FORMAT = 1


class OnnxUnavailable(RuntimeError):
    """ONNX Runtime cannot stand in for the model here; the message says why."""


class OnnxQueryEncoder:
    """The model's query vectors computed by ONNX Runtime from an export (``stem``: the export's path
    without suffix, as :func:`export_model` makes it), checked against the model's recorded vectors."""

    def __init__(self, stem: Path, threads: int = 1):
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise OnnxUnavailable(f"{exc.name} is not installed") from exc
        stem = Path(stem)
        self.path = stem.with_suffix(".onnx")
        record_path = stem.with_suffix(".json")
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            if record.get("format") != _RECORD_FORMAT:
                raise ValueError(f"record format {record.get('format')!r} is not {_RECORD_FORMAT}")
            self.name, self.dimension = record["model"], int(record["dimension"])
            self._max_length = int(record["max_length"])
            probes, recorded = record["probes"], np.asarray(record["vectors"], dtype=np.float32)
            tokenizer = Tokenizer.from_file(str(stem.with_suffix(".tokenizer.json")))
        except Exception as exc:     # damaged or foreign: removed, so the next load exports it anew
            _remove(stem)
            raise OnnxUnavailable(f"{record_path} could not be read ({exc}); the export was removed and is made again next time") from exc
        # the model's limit and padding to the batch's longest text, whatever the file's own defaults
        tokenizer.enable_truncation(max_length=self._max_length)
        tokenizer.enable_padding(pad_id=int(record.get("pad_id", 0)), pad_token=record.get("pad_token", "[PAD]"))
        self._tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        # idle pool threads sleep rather than spin: a server runs many requests' encodes side by side
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            _remove(stem)
            raise OnnxUnavailable(f"{self.path} could not be opened ({exc}); it was removed and is exported again next time") from exc
        self._inputs = {i.name for i in self._session.get_inputs()}
        got = self.encode(probes)
        agreement = float(np.min(np.sum(recorded * got, axis=1))) if got.shape == recorded.shape else -1.0
        if agreement < _AGREEMENT:
            _remove(stem)
            raise OnnxUnavailable(f"{self.path} gives vectors that differ from the model's (least cosine {agreement:.6f} "
                                  f"< {_AGREEMENT}); it was removed and is exported again next time")
        self.agreement = agreement

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return self.encode_tokens(texts, batch_size, tokens=False)[0]

    def piece_spans(self, text: str) -> list[tuple[int, int]]:
        """Where each word piece stands in ``text``, as :meth:`kg.index.embed.Embedder.piece_spans`."""
        encoded = self._tokenizer.encode(text)
        return [span for span, special in zip(encoded.offsets, encoded.special_tokens_mask) if not special]

    def encode_tokens(self, texts: list[str], batch_size: int = 64,
                      tokens: bool = True) -> tuple[np.ndarray, list[np.ndarray]]:
        """The texts' vectors and, from the same run, their token vectors (:func:`~kg.index.embed.token_rows`)."""
        from .embed import token_rows

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        out, rows = [], []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer.encode_batch(texts[start:start + batch_size])
            feeds = {"input_ids": np.array([b.ids for b in batch], dtype=np.int64),
                     "attention_mask": np.array([b.attention_mask for b in batch], dtype=np.int64)}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.array([b.type_ids for b in batch], dtype=np.int64)
            hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
            if tokens:
                rows.extend(token_rows(h[m.astype(bool)]) for h, m in zip(hidden, feeds["attention_mask"]))
        return np.ascontiguousarray(np.vstack(out), dtype=np.float32), rows


_EXPORT_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


def query_encoder(model: str, settings, cache_dir: Path, adapter: str | None = None):
    """The encoder of ``model``'s queries (with ``adapter`` added) the ``query_encoder`` setting asks
    for: the sentence-transformers model itself for torch; for onnx, the ONNX Runtime one (exported
    first if the cache folder has no export of this model) or, where it cannot stand in, the model itself."""
    from .embed import load_embedder

    if settings.query_encoder == "torch":
        return load_embedder(model, adapter)
    if settings.query_encoder != "onnx":
        raise ValueError(f"setting query_encoder must be onnx or torch, not {settings.query_encoder!r}")
    return load_query_encoder(model, Path(cache_dir), max(1, settings.serve_math_threads), adapter)


@lru_cache(maxsize=4)
def load_query_encoder(model: str, cache_dir: Path, threads: int = 1, adapter: str | None = None):
    """The ONNX Runtime encoder for ``model``'s queries, or the sentence-transformers model itself
    (with the reason logged) where ONNX Runtime cannot give the same vectors."""
    from .embed import load_embedder

    try:
        stem = export_stem(model, cache_dir, adapter)
        refused = stem.with_suffix(".refused")
        if refused.exists():     # this model (with these library versions) was found not to export faithfully
            raise OnnxUnavailable(refused.read_text(encoding="utf-8", errors="replace").strip())
        if stem.with_suffix(".json").exists():
            return OnnxQueryEncoder(stem, threads)
        export_model(load_embedder(model, adapter), stem)
        try:
            return OnnxQueryEncoder(stem, threads)
        except OnnxUnavailable as exc:      # a fresh export that fails its check would fail again: remembered
            _write_atomically(refused, f"{exc}\n")
            raise
    except (OnnxUnavailable, OSError) as exc:
        _log.warning("queries are encoded by sentence-transformers: %s", exc)
        return load_embedder(model, adapter)


def export_stem(model: str, cache_dir: Path, adapter: str | None = None) -> Path:
    """Where ``model``'s export (with ``adapter`` added) lives in ``cache_dir`` (without suffix)."""
    from .embed import model_fingerprint

    return Path(cache_dir) / "onnx" / _fingerprint(model_fingerprint(model, adapter))


def export_model(reference, stem: Path) -> None:
    """Export ``reference`` (a :class:`~kg.index.embed.SentenceTransformerEmbedder`): the network,
    its tokenizer and the record of its own probe vectors, the record written last."""
    model = reference._model
    modules = [type(m).__name__ for m in model]
    if modules[:2] != ["Transformer", "Pooling"] or any(m != "Normalize" for m in modules[2:]):
        raise OnnxUnavailable(f"the model's pipeline {modules} is not transformer + pooling (+ normalise)")
    config = model[1].get_config_dict() if hasattr(model[1], "get_config_dict") else {}
    modes = config.get("pooling_mode")      # sentence-transformers 6: "mean"; before: pooling_mode_mean_tokens=True
    modes = [modes] if isinstance(modes, str) else modes or \
        [key[len("pooling_mode_"):] for key, on in config.items() if key.startswith("pooling_mode_") and on is True]
    if modes not in (["mean"], ["mean_tokens"]):
        raise OnnxUnavailable(f"the model pools its tokens by {modes or 'an unknown rule'}, not by their mean")
    tokenizer = model.tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise OnnxUnavailable("the model's tokenizer has no fast (tokenizers) form to export")
    record = {"format": _RECORD_FORMAT, "model": reference.name, "dimension": int(reference.dimension),
              "max_length": int(model.max_seq_length or 512), "pad_id": int(tokenizer.pad_token_id or 0),
              "pad_token": str(tokenizer.pad_token or "[PAD]"), "probes": _PROBES,
              "vectors": reference.encode(_PROBES).tolist()}
    with _EXPORT_LOCK:
        if stem.with_suffix(".json").exists():
            return
        try:
            stem.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_exports(stem)
            _export(model[0].auto_model, tokenizer, stem.with_suffix(".onnx"))
            _write_atomically(stem.with_suffix(".tokenizer.json"), backend.to_str())
            _write_atomically(stem.with_suffix(".json"), json.dumps(record))
        except OSError as exc:        # a read-only build folder, a full disk
            raise OnnxUnavailable(f"could not write the export {stem}.* ({exc})") from exc


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _remove_stale_exports(stem: Path) -> None:
    """Exports beside ``stem`` left without a record (cut off, or of an earlier format) and an hour
    old (not another process's export under way): 90 MB each."""
    for stale in stem.parent.glob("*.onnx"):
        try:
            if stale.stem != stem.name and not stale.with_suffix(".json").exists() and time.time() - stale.stat().st_mtime > 3600:
                stale.unlink()
        except OSError:
            pass        # gone meanwhile, or not ours to remove: it costs disk, not correctness


def _remove(stem: Path) -> None:
    for suffix in (".json", ".onnx", ".tokenizer.json"):     # the record first: without it the rest is not used
        stem.with_suffix(suffix).unlink(missing_ok=True)


def _fingerprint(model_digest: str) -> str:
    """Names an export by the model's fingerprint (its files and adapter, read without loading the
    model: a changed model is exported anew) and by the versions of the libraries that compute its vectors."""
    digest = hashlib.sha1(model_digest.encode())
    for package in ("sentence-transformers", "tokenizers", "onnxruntime"):    # versions whose change could alter vectors
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()[:16]


def _export(model, tokenizer, path: Path) -> None:
    """The transformer to ONNX (input ids and attention mask → token states), written atomically."""
    import torch

    class _Tokens(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["an example query"], return_tensors="pt")
    previous = getattr(model.config, "_attn_implementation", None)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        if previous and previous != "eager" and hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation("eager")       # the exporter traces plain attention
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")       # the tracer's notes on shapes: the probes check the result
            torch.onnx.export(_Tokens(model).eval(), (sample["input_ids"], sample["attention_mask"]), temporary,
                              input_names=["input_ids", "attention_mask"], output_names=["token_states"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                            "token_states": {0: "batch", 1: "tokens"}},
                              opset_version=17, dynamo=False)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except Exception as exc:
        raise OnnxUnavailable(f"the model could not be exported to ONNX ({type(exc).__name__}: {exc})") from exc
    finally:
        if previous and previous != "eager" and hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation(previous)
        Path(temporary).unlink(missing_ok=True)
