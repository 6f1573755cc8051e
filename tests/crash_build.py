"""`ckg build` that kills itself with SIGKILL at a chosen moment (used by tests/test_build_crash.py).

    python tests/crash_build.py MOMENT CORPUS OUT

The moment is reached by wrapping one of the build's own steps, so the kill lands exactly there,
every time: nothing in the build knows about it, and SIGKILL cannot be caught or cleaned up after.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(moment: str) -> None:
    from kg import build

    if moment == "extraction":            # the first file is back from its worker; the others are still running
        build.segment = lambda *args, **kwargs: die()
    elif moment == "graph":               # graph.nq half written
        from rdflib import Dataset

        def serialize(self, destination=None, **kwargs):
            Path(destination).write_text("<urn:a> <urn:b> <urn:c> <urn:g> .\n<urn:a> <urn:b> ", encoding="utf-8")
            die()

        Dataset.serialize = serialize
    elif moment == "embedding":           # the model has encoded its first batch of many
        from kg.index import embed

        original = embed.SentenceTransformerEmbedder.encode

        def encode(self, texts, batch_size=64):
            original(self, texts[:batch_size], batch_size=batch_size)
            die()

        embed.SentenceTransformerEmbedder.encode = encode
    elif moment == "before-rename":       # every file of the release written and synced, not yet renamed
        original_sync = build._fsync_tree
        build._fsync_tree = lambda root: (original_sync(root), die())
    elif moment == "before-swap":         # the release is complete under its final name; `current` not yet switched
        build._swap_current = lambda out_dir, release: die()
    else:
        raise SystemExit(f"unknown moment {moment!r}")


if __name__ == "__main__":
    moment, corpus, out = sys.argv[1:4]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    arm(moment)
    from kg.build import build as run_build
    from kg.settings import Settings

    run_build(Settings.from_env(), Path(corpus), Path(out))
    sys.exit("the build finished: the kill never happened")
