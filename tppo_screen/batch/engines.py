"""Where chunks are scored: in this process, a local process pool, or a Dask cluster.

`scorer(model, options)` gives a function that starts scoring one
chunk and returns something with `.result()`; `in_order` keeps a bounded window of chunks in
flight and hands them back in input order. Every engine calls the same `score_frame`, so the
scores are the ones one process gives.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any

import pandas as pd

from tppo_screen.batch.options import BatchOptions
from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_frame

Submit = Callable[[pd.DataFrame, str, bool], Any]  # (chunk, text column, explain) -> has .result()


class _Done:
    """A finished result with the `.result()` of a future."""

    def __init__(self, value: pd.DataFrame) -> None:
        self.value = value

    def result(self) -> pd.DataFrame:
        return self.value


@contextmanager
def scorer(model: Model, options: BatchOptions) -> Iterator[Submit]:
    """Score in this process (engine `local`, one worker), in `options.workers` spawned
    processes (`local`), or on the Dask cluster at `options.scheduler` (`dask`; default: a
    LocalCluster of `options.workers` processes)."""
    workers = options.workers
    if options.engine == "dask":
        with _dask_client(options.scheduler, workers, options.scheduler_timeout) as client:
            shared = client.scatter(model, broadcast=True)
            yield lambda chunk, column, explain: client.submit(
                score_frame, shared, chunk, column, explain=explain, pure=False
            )
    elif workers == 1:
        yield lambda chunk, column, explain: _Done(score_frame(model, chunk, column, explain=explain))
    else:
        with _pool(workers) as pool:
            yield lambda chunk, column, explain: pool.submit(
                score_frame, model, chunk, column, explain=explain
            )


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` spawned processes. When the job stops early (an error, Ctrl-C, SIGTERM
    turned into an exception by the CLI) the chunks still queued are cancelled and the worker
    processes are terminated rather than left to finish, or to live on after this process."""
    # spawn, not fork: the parent may hold threads (progress bar, server) that fork would copy
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        yield pool
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        raise
    pool.shutdown(wait=True)


@contextmanager
def _dask_client(scheduler: str | None, workers: int, timeout: float) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        with Client(cluster) as client:
            yield client


def in_order(
    chunks: Iterator[pd.DataFrame], submit: Callable[[pd.DataFrame], Any], window: int
) -> Iterator[tuple[pd.DataFrame, Any]]:
    """(chunk, pending result) in input order, with at most `window` chunks in flight, so memory
    stays bounded however large the file."""
    pending: deque[tuple[pd.DataFrame, Any]] = deque()
    for chunk in chunks:
        pending.append((chunk, submit(chunk)))
        if len(pending) >= window:
            yield pending.popleft()
    while pending:
        yield pending.popleft()
