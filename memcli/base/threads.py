"""Thread counts: one BLAS thread for the small matrix products of one query,
and the cores this process may use (the embedder's pool).

NumPy's BLAS (OpenBLAS) splits even a 12x384 by 384x1536 product over every
core. On a machine where another program holds a core, each product then
waits for a thread that is not running: measured on 2 cores with a benchmark
beside it, one such product took 23 ms instead of 0.3 ms. A query's products
are small, so one thread is both faster and steady; batches keep every core.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator

_controller: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with NumPy's BLAS on one thread (restored after)."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # without it the products just keep their threads
            _controller = False
        else:
            _controller = ThreadpoolController()
    if not _controller:
        yield
        return
    with _controller.limit(limits=1, user_api="blas"):
        yield


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)

