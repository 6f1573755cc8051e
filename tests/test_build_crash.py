"""`kill -9` at any moment of `ckg build`: the last good build still loads and serves, and the
next build completes.

tests/crash_build.py runs a real build in a child process that SIGKILLs itself at one moment
(early extraction, while embedding, while writing the graph, just before the rename, between
the rename and the switch of `current`). The kills run one after another on one build folder,
each over the leftovers of the one before, and a normal build ends the sequence.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from kg.build import build
from kg.library import Library
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"
MOMENTS = ["extraction", "embedding", "graph", "before-rename", "before-swap"]


def _serves(out: Path, release: str) -> None:
    """The build folder's `current` is still ``release`` and the app serves it."""
    from search_app import create_app

    assert os.readlink(out / "current").split("/")[-1] == release
    library = Library(out)
    assert library.counts["sources"] == 3
    client = create_app({"BUILD_DIR": str(out), "TESTING": True}).test_client()
    assert client.get("/api/health").get_json()["status"] == "ok"
    assert client.get("/api/search?q=team+around+the+child&k=3").get_json()["results"]


def test_kill_9_at_every_moment_of_a_build(tmp_path):
    settings = Settings.from_env().with_overrides(graph_validate=False)
    out = tmp_path / "build"
    good = build(settings, TINY, out).release_dir.name
    env = dict(os.environ, CKG_GRAPH_VALIDATE="false", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    for moment in MOMENTS:
        # a fresh embedding cache makes the model really encode when the embedding moment comes
        run_env = dict(env, CKG_CACHE_DIR=str(tmp_path / "cache")) if moment == "embedding" else env
        process = subprocess.run([sys.executable, str(ROOT / "tests" / "crash_build.py"), moment, str(TINY), str(out)],
                                 cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=300)
        assert process.returncode == -signal.SIGKILL, (moment, process.returncode, process.stderr[-2000:])
        _serves(out, good)
        if moment == "before-swap":       # the killed build got as far as a complete, renamed release
            assert len([p for p in (out / "releases").iterdir() if not p.name.startswith(".")]) == 2
    report = build(settings, TINY, out)
    assert report.release_dir is not None and len(report.ingested) == 3
    _serves(out, report.release_dir.name)
    leftovers = [p.name for p in (out / "releases").iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers
    assert not [p for p in out.iterdir() if p.name.startswith(".current-")]
