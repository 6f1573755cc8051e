"""Domain adaptation of the embedding model: a low-rank weight delta learnt from the library's own text.

all-MiniLM-L6-v2 was trained on web question–answer pairs; the language of children's services
research ("heavy-end prevention", "object motive", "rule-bending") is not what it knows best. An
adapter is learnt without any query or judgement, by the Inverse Cloze Task: one sentence of a
passage is a query and the rest of that passage its answer, the other passages of the batch the
wrong answers (in-batch negatives, cross-entropy over scaled cosines). Training moves every weight a
little; the change of each weight matrix is then kept as its best rank-``rank`` approximation
(``up @ down``, by SVD), vectors and norms' changes in full, in fp16: 5.4 MB at rank 64 instead
of a 90 MB model. The token embeddings are left as they were.

The product ships one adapter, learnt from the seed corpus (``field``: README, "The field adapter"); `ckg adapt`
learns one from any built library. The ``embedding_adapter`` setting chooses it, ``none`` for the
plain model. An adapter records the fingerprint of the model it was learnt on and is refused on any
other.
"""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any, Callable, Iterable

ADAPTER_FORMAT = "ckg-adapter/1"
PACKAGED = {"field": Path(__file__).resolve().parent / "adapters" / "field-ict-r64.safetensors"}
NO_ADAPTER = ("", "none")


class AdapterError(ValueError):
    """An adapter that cannot be used: missing, damaged or made for another model."""


def resolve_adapter_path(adapter: str | None) -> Path | None:
    """The adapter file the ``embedding_adapter`` setting names: a packaged one by name, a file
    made by `ckg adapt`, or None for ``none``."""
    if adapter is None or adapter.strip().lower() in NO_ADAPTER:
        return None
    if adapter in PACKAGED:
        path = PACKAGED[adapter]
    else:
        path = Path(adapter).expanduser()
    if not path.is_file():
        known = ", ".join(sorted(PACKAGED))
        raise AdapterError(f"embedding adapter {adapter!r} is not a file (setting embedding_adapter): give {known}, "
                           "none, or the path of a file made by `ckg adapt`")
    return path.resolve()


def adapter_label(adapter: str | None) -> str | None:
    """How a build records its adapter: a packaged one by name (the build stays valid wherever the
    code is installed), a file by its absolute path, none as None."""
    path = resolve_adapter_path(adapter)
    if path is None:
        return None
    return adapter if adapter in PACKAGED else str(path)


def adapter_metadata(path: Path) -> dict[str, str]:
    """The record an adapter file carries (format, base model and its fingerprint, training)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="np") as handle:     # not "pt": checking a setting must not import torch
            metadata = dict(handle.metadata() or {})
    except Exception as exc:
        raise AdapterError(f"embedding adapter {path} could not be read ({exc}); make it again with `ckg adapt`") from exc
    if metadata.get("format") != ADAPTER_FORMAT:
        raise AdapterError(f"{path} is not an embedding adapter of format {ADAPTER_FORMAT} "
                           f"(it says {metadata.get('format')!r}); make one with `ckg adapt`")
    return metadata


def check_adapter_base(path: Path, base_fingerprint: str) -> dict[str, str]:
    """The adapter's record, once it is known to have been learnt on the model of ``base_fingerprint``."""
    metadata = adapter_metadata(path)
    if metadata.get("base_fingerprint") != base_fingerprint:
        raise AdapterError(f"embedding adapter {path} was made for the model {metadata.get('base_model')!r} "
                           f"(fingerprint {metadata.get('base_fingerprint')}), not for this one ({base_fingerprint}); "
                           "set embedding_adapter to none or make an adapter for this model with `ckg adapt`")
    return metadata


def apply_adapter(auto_model: Any, path: Path, base_fingerprint: str) -> dict[str, str]:
    """Add the adapter's weight changes to ``auto_model`` (the transformer inside a
    sentence-transformers model) in place; refused unless it was learnt on the same base model."""
    import torch
    from safetensors.torch import load_file

    metadata = check_adapter_base(path, base_fingerprint)
    tensors = load_file(str(path))
    state = auto_model.state_dict()
    changes: dict[str, torch.Tensor] = {}
    for name, tensor in tensors.items():
        key, _, part = name.rpartition("::")
        if key not in state:
            raise AdapterError(f"embedding adapter {path} changes {key!r}, which this model does not have")
        if part == "delta":
            changes[key] = tensor.float()
        elif part == "up":
            changes[key] = tensor.float() @ tensors[f"{key}::down"].float()
        elif part != "down":
            raise AdapterError(f"embedding adapter {path} holds an unknown part {name!r}")
    with torch.no_grad():
        for key, change in changes.items():
            if change.shape != state[key].shape:
                raise AdapterError(f"embedding adapter {path}: {key} is {tuple(change.shape)}, the model's {tuple(state[key].shape)}")
            state[key].add_(change.to(state[key].dtype))
    return metadata


def training_pairs(texts: Iterable[str], sentences_per_passage: int, rng: random.Random) -> list[tuple[str, str]]:
    """Inverse Cloze pairs: (a sentence, its passage without it); now and then the passage keeps
    the sentence, so that the model does not learn that an answer never repeats the query."""
    from ..sentences import split_sentences

    pairs = []
    for text in texts:
        sentences = [s for s in split_sentences(text) if len(s) >= 40]
        if len(sentences) < 2:
            continue
        for sentence in rng.sample(sentences, min(len(sentences), sentences_per_passage)):
            rest = text if rng.random() < 0.1 else text.replace(sentence, " ")
            pairs.append((sentence, rest))
    return pairs


def learn_adapter(texts: list[str], out: Path, *, model: str, seed: int = 11, sentences_per_passage: int = 2,
                  epochs: int = 3, batch_size: int = 32, learning_rate: float = 2e-5, rank: int = 64,
                  scale: float = 20.0, note: str = "", progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Learn an adapter of ``model`` from ``texts`` (passages) and write it to ``out`` (atomically).
    Returns what was done: pairs, steps, seconds, size."""
    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer

    from .embed import model_fingerprint, resolve_model_path

    if rank < 1:
        raise ValueError(f"rank must be at least 1, not {rank}")
    started = time.perf_counter()
    rng = random.Random(seed)
    torch.manual_seed(seed)
    pairs = training_pairs(texts, sentences_per_passage, rng)
    if len(pairs) < 4:
        raise ValueError(f"{len(pairs)} training pairs: the library needs passages of two sentences or more "
                         "(at least four such pairs) to learn an adapter from")
    encoder = SentenceTransformer(str(resolve_model_path(model)), device="cpu")
    encoder.max_seq_length = min(encoder.max_seq_length or 256, 256)
    transformer = encoder[0].auto_model
    before = {k: v.detach().clone() for k, v in transformer.state_dict().items()}
    tokenize = getattr(encoder, "preprocess", None) or encoder.tokenize
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=learning_rate)
    encoder.train()
    steps_total = epochs * ((len(pairs) + batch_size - 1) // batch_size)
    steps = 0
    for _ in range(epochs):
        order = list(pairs)         # each epoch a new order of the pairs as made
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            steps += 1
            if len(batch) < 4:      # too few in-batch negatives to learn from
                continue
            queries = encoder(tokenize([q for q, _ in batch]))["sentence_embedding"]
            answers = encoder(tokenize([a for _, a in batch]))["sentence_embedding"]
            scores = F.normalize(queries, dim=-1) @ F.normalize(answers, dim=-1).T * scale
            loss = F.cross_entropy(scores, torch.arange(len(batch)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if progress:
                progress(steps, steps_total)
    encoder.eval()
    tensors = _low_rank_changes(before, transformer.state_dict(), rank)
    metadata = {"format": ADAPTER_FORMAT, "base_model": model, "base_fingerprint": model_fingerprint(model),
                "method": "inverse cloze task, in-batch negatives", "rank": str(rank), "seed": str(seed),
                "epochs": str(epochs), "batch_size": str(batch_size), "learning_rate": str(learning_rate),
                "sentences_per_passage": str(sentences_per_passage), "passages": str(len(texts)),
                "pairs": str(len(pairs)), "note": note}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    save_file(tensors, str(partial), metadata=metadata)
    partial.chmod(0o644)         # a file to share and commit, not a private one
    partial.replace(out)
    return {"pairs": len(pairs), "steps": steps, "seconds": time.perf_counter() - started,
            "bytes": out.stat().st_size, "metadata": metadata}


def _low_rank_changes(before: dict, after: dict, rank: int) -> dict:
    """Each weight's change: a matrix as ``up @ down`` of rank ``rank`` (by SVD), a vector in
    full; token, position and type embeddings unchanged. fp16."""
    import torch

    out = {}
    for key, old in before.items():
        if "embeddings" in key and "LayerNorm" not in key:
            continue
        change = after[key].detach().float() - old.float()
        if not torch.any(change):
            continue
        if change.dim() == 2 and min(change.shape) > rank:
            u, s, vh = torch.linalg.svd(change, full_matrices=False)
            out[f"{key}::up"] = (u[:, :rank] * s[:rank]).to(torch.float16).contiguous()
            out[f"{key}::down"] = vh[:rank].to(torch.float16).contiguous()
        else:
            out[f"{key}::delta"] = change.to(torch.float16).contiguous()
    return out

