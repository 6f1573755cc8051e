"""Query encoding through ONNX Runtime, the second backend of :class:`kg.index.embed.Embedder`.

A query is a batch of one short text. There torch spends its time re-packing each weight matrix for
every small product (about 21 ms per query on the 2-core machine); ONNX Runtime packs the weights once
when the session opens (about 7–9 ms). Passages are still embedded by sentence-transformers: this
backend only answers queries, and only once it has been checked to give the same vectors.

The model's transformer is exported once to ONNX into the embedding cache folder (a file named by the
model's fingerprint, written atomically); tokenisation, mean pooling and normalisation are the
model's own. On load, a few probe texts are encoded both ways: a model whose pipeline this does not
reproduce (another pooling, a failed export) raises :class:`OnnxUnavailable` and the caller keeps
the sentence-transformers encoder.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from .embed import SentenceTransformerEmbedder

_PROBES = [
    "what does relational agency mean",
    "Parent: ‘They listened to me, and for once I felt that what I said counted.’",
    "Heavy-end prevention; the four levels of prevention (Hardiker) — co-configuration, rule-bending…",
    " ".join(["Inter-professional work in children's services demands relational expertise."] * 40),  # over max_seq_length
]
_AGREEMENT = 0.9999          # least cosine between the two backends' vectors of a probe


class OnnxUnavailable(RuntimeError):
    """ONNX Runtime cannot stand in for the model here; the message says why."""


class OnnxQueryEncoder:
    """Same vectors as ``reference`` (checked), computed by ONNX Runtime."""

    def __init__(self, reference: SentenceTransformerEmbedder, cache_dir: Path, threads: int = 1):
        try:
            import onnxruntime
        except ImportError as exc:
            raise OnnxUnavailable("onnxruntime is not installed") from exc
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
        self.name = reference.name
        self.dimension = reference.dimension
        self._tokenizer = model.tokenizer
        self._max_length = int(model.max_seq_length or 512)
        path = Path(cache_dir) / "onnx" / f"{_fingerprint(model[0])}.onnx"
        if not path.exists():
            try:
                _export(model[0].auto_model, self._tokenizer, path)
            except OSError as exc:        # a read-only build folder, a full disk
                raise OnnxUnavailable(f"could not write {path} ({exc})") from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        # idle pool threads sleep rather than spin: a server runs many requests' encodes side by side
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:     # a damaged or foreign file: removed, so the next load exports it anew
            path.unlink(missing_ok=True)
            raise OnnxUnavailable(f"{path} could not be opened ({exc}); it was removed and is exported again next time") from exc
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.path = path
        expected = reference.encode(_PROBES)
        got = self.encode(_PROBES)
        agreement = float(np.min(np.sum(expected * got, axis=1)))
        if agreement < _AGREEMENT:
            raise OnnxUnavailable(f"ONNX vectors differ from the model's (least cosine {agreement:.6f} < {_AGREEMENT})")
        self.agreement = agreement

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                                    max_length=self._max_length, return_tensors="np")
            feeds = {name: np.asarray(batch[name], dtype=np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")
                     if name in self._inputs and name in batch}
            hidden = self._session.run(None, feeds)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        return np.ascontiguousarray(np.vstack(out), dtype=np.float32)


_EXPORT_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


def query_encoder(reference: SentenceTransformerEmbedder, settings, cache_dir: Path):
    """The encoder the ``query_encoder`` setting asks for: ``reference`` itself for torch, the ONNX
    Runtime one (or ``reference`` where it cannot stand in) for onnx."""
    if settings.query_encoder == "torch":
        return reference
    if settings.query_encoder != "onnx":
        raise ValueError(f"setting query_encoder must be onnx or torch, not {settings.query_encoder!r}")
    return load_query_encoder(reference, cache_dir, max(1, settings.serve_math_threads))


@lru_cache(maxsize=4)
def load_query_encoder(reference: SentenceTransformerEmbedder, cache_dir: Path, threads: int = 1):
    """The ONNX Runtime encoder for ``reference``'s queries, or ``reference`` itself (with the
    reason logged) where ONNX Runtime cannot give the same vectors."""
    try:
        return OnnxQueryEncoder(reference, cache_dir, threads)
    except OnnxUnavailable as exc:
        _log.warning("queries are encoded by sentence-transformers: %s", exc)
        return reference


def _fingerprint(transformer) -> str:
    """Names the exported file by the weights it was made from (a changed model is exported anew)."""
    digest = hashlib.sha1()
    for name, tensor in sorted(transformer.auto_model.state_dict().items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(tensor.detach().cpu().numpy()[..., :4]).tobytes())
        digest.update(str(tuple(tensor.shape)).encode())
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

    with _EXPORT_LOCK:
        if path.exists():
            return
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
