"""Process-wide settings for serving: how many threads one request's vector maths may use.

A server answers many requests at once on its own threads. If each request's matrix products
(numpy's BLAS, faiss's OpenMP, torch's intra-op pool) also fan out over every core, the threads
oversubscribe the machine and spin against each other: measured on the 2-core machine while it
was busy, one 2,387×384 product took 16 ms instead of 0.2 ms, and one query embedding 500 ms
instead of 24 ms. So `ckg serve` gives each request's maths one thread.
"""
from __future__ import annotations


def limit_math_threads(threads: int = 1) -> dict[str, int]:
    """Limit BLAS/OpenMP pools (threadpoolctl), faiss and torch to ``threads`` each; call once the
    libraries are loaded. Returns what was set, for the startup log."""
    done: dict[str, int] = {}
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)     # kept for the life of the process (not used as a context)
        done["blas/openmp"] = threads
    except ImportError:
        pass
    try:
        import faiss

        faiss.omp_set_num_threads(threads)
        done["faiss"] = threads
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(threads)
        done["torch"] = threads
    except ImportError:
        pass
    return done
