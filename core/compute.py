"""Where search trials run: one small executor interface and its local worker pool.

An executor runs one *trial function* over a list of trial parameter dicts, beside a set of
numpy arrays (candles, signal inputs) that reach the workers once, never once per trial::

    with make_executor(config.compute, arrays) as executor:      # ships the arrays, once
        for index, result in executor.map(run_trial, setup, trials):
            ...                                                  # as each trial finishes

The contract, for this executor and any other dropped in beside it (a Ray one: ``ray.put`` the
arrays once, one remote task per chunk of trials):

- ``fn(arrays, setup, params) -> result`` is a module-level function (pickled by reference);
  ``arrays`` maps names to read-only numpy arrays, ``setup`` is one small picklable object
  shared by every trial, ``params`` is one trial's dict; the result must pickle.
- ``map`` yields ``(index into trials, result)`` in the order trials finish. A trial that raises
  yields a :class:`TrialError` as its result; the others go on.
- Stopping the iteration early (``close()`` on the generator, or leaving the ``with``) drops the
  trials not yet started: that is how a search is cancelled.

:class:`LocalExecutor` runs ``workers`` processes started with ``forkserver`` (``spawn`` where
there is none), never plain ``fork``: the server process runs waitress, APScheduler and torch
threads, which a forked child would inherit mid-step. The arrays live in one
``multiprocessing.shared_memory`` block that every worker maps read-only.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import shared_memory
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TrialFunction = Callable[[dict[str, np.ndarray], Any, dict], Any]
ALIGN = 64  # bytes: each array starts on a cache line


@dataclass(frozen=True)
class TrialError:
    """What a trial that raised gives back instead of its result."""

    message: str


class Executor(ABC):
    """Runs trials beside shared arrays; see the module docstring."""

    workers: int

    @abstractmethod
    def map(
        self, fn: TrialFunction, setup: Any, trials: Sequence[dict]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, result)`` as each trial finishes."""

    def close(self) -> None:  # noqa: B027 (an optional hook)
        """Stop the workers and free the arrays."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_executor(compute, arrays: dict[str, np.ndarray], preload: Sequence[str] = ()) -> Executor:
    """The executor ``compute`` (the ``compute:`` section) names, holding ``arrays``.
    ``preload``: modules the workers import before their first trial (the trial function's)."""
    return LocalExecutor(compute.workers, arrays, preload)


# ---- the local pool ---------------------------------------------------------------------------

_ARRAYS: dict[str, np.ndarray] = {}  # in a worker: the shared arrays, read-only views
_BLOCK: shared_memory.SharedMemory | None = None


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _layout(arrays: dict[str, np.ndarray]) -> tuple[dict[str, tuple[int, str, tuple]], int]:
    """Where each array sits in the block: name -> (offset, dtype, shape); and its size."""
    manifest, offset = {}, 0
    for name, array in arrays.items():
        manifest[name] = (offset, array.dtype.str, array.shape)
        offset += math.ceil(max(array.nbytes, 1) / ALIGN) * ALIGN
    return manifest, max(offset, ALIGN)


def _views(buffer, manifest) -> dict[str, np.ndarray]:
    views = {}
    for name, (offset, dtype, shape) in manifest.items():
        view = np.ndarray(shape, dtype=np.dtype(dtype), buffer=buffer, offset=offset)
        view.flags.writeable = False
        views[name] = view
    return views


def _attach(block_name: str, manifest: dict) -> None:
    """Worker initializer: map the shared block (no copy)."""
    global _BLOCK
    # the parent owns the block and unlinks it; a worker only maps it (before 3.13 the workers
    # share the parent's resource tracker, which counts the block once)
    untracked = {"track": False} if sys.version_info >= (3, 13) else {}
    _BLOCK = shared_memory.SharedMemory(name=block_name, **untracked)
    _ARRAYS.clear()
    _ARRAYS.update(_views(_BLOCK.buf, manifest))


def _run_chunk(
    fn: TrialFunction, setup: Any, chunk: list[tuple[int, dict]]
) -> list[tuple[int, Any]]:
    out = []
    for index, params in chunk:
        try:
            out.append((index, fn(_ARRAYS, setup, params)))
        except Exception as exc:  # one bad trial is its own result; the others go on
            out.append((index, TrialError(f"{type(exc).__name__}: {exc}")))
    return out


class LocalExecutor(Executor):
    """``workers`` processes on this machine, the arrays in one shared-memory block."""

    def __init__(self, workers: int, arrays: dict[str, np.ndarray], preload: Sequence[str] = ()):
        self.workers = max(1, int(workers))
        arrays = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
        manifest, size = _layout(arrays)
        self._block = shared_memory.SharedMemory(create=True, size=size)
        try:
            for name, view in _views(self._block.buf, manifest).items():
                view.flags.writeable = True
                view[...] = arrays[name]
                del view
            context = _context()
            if context.get_start_method() == "forkserver":
                # the forkserver imports these once; each worker forked from it has them
                context.set_forkserver_preload(["__main__", *preload])
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_attach,
                initargs=(self._block.name, manifest),
            )  # fmt: skip
        except BaseException:
            self._free()
            raise
        self.nbytes = size

    def map(
        self, fn: TrialFunction, setup: Any, trials: Sequence[dict]
    ) -> Iterator[tuple[int, Any]]:
        items = list(enumerate(trials))
        if not items:
            return
        # chunks small enough to spread over the workers and show progress, large enough that
        # a fast trial (a millisecond) is not all overhead
        size = max(1, min(16, len(items) // (self.workers * 8)))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        pending: set[Future] = set()
        queue = iter(chunks)
        try:
            for chunk in queue:
                pending.add(self._pool.submit(_run_chunk, fn, setup, chunk))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        results = future.result()
                    except BrokenProcessPool as exc:
                        raise RuntimeError(
                            "a search worker process died (out of memory?); the trials finished"
                            " so far are kept"
                        ) from exc
                    yield from results
                    chunk = next(queue, None)
                    if chunk is not None:
                        pending.add(self._pool.submit(_run_chunk, fn, setup, chunk))
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._free()

    def _free(self) -> None:
        block = getattr(self, "_block", None)
        if block is not None:
            block.close()
            with contextlib.suppress(FileNotFoundError):
                block.unlink()
            self._block = None
