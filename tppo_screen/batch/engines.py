"""Where chunks are scored: in this process, a local process pool, or a Dask cluster.

`scorer(model, options)` gives a function that starts scoring one
chunk and returns something with `.result()`; `in_order` keeps a bounded window of chunks in
flight and hands them back in input order. Every engine calls the same `score_frame`, so the
scores are the ones one process gives.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
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
def scorer(
    model: Model, options: BatchOptions, work: Callable[..., pd.DataFrame] = score_frame
) -> Iterator[Submit]:
    """Score in this process (engine `local`, one worker), in `options.workers` spawned
    processes (`local`), or on the Dask cluster at `options.scheduler` (`dask`; default: a
    LocalCluster of `options.workers` processes). `work` is `score_frame` or a function with its
    signature (pictures: `images.ocr_score_frame`, which reads them there first)."""
    workers, language = options.workers, options.language
    if options.engine == "dask":
        with _dask_client(options.scheduler, workers, options.scheduler_timeout, options.quiet) as client:
            shared = client.scatter(model, broadcast=True)
            yield lambda chunk, column, explain: client.submit(
                work, shared, chunk, column, explain=explain, warnings_in=language, pure=False
            )
    elif workers == 1:
        yield lambda chunk, column, explain: _Done(
            work(model, chunk, column, explain=explain, warnings_in=language)
        )
    else:
        with _pool(workers) as pool:
            yield lambda chunk, column, explain: pool.submit(
                work, model, chunk, column, explain=explain, warnings_in=language
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
def _dask_client(scheduler: str | None, workers: int, timeout: float, quiet: bool = False) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    quiet_dask(logging.ERROR if quiet else logging.WARNING)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR if quiet else logging.WARNING,
    ) as cluster:
        with Client(cluster) as client:
            yield client


def quiet_dask(level: int) -> None:
    """Only lines of `level` and above from dask.distributed on stderr: from this process's
    loggers (a LocalCluster's scheduler runs here) and from the worker processes it starts
    (they read the `distributed.logging` config). Its INFO lines (33 for one small file) say
    nothing an analyst can act on."""
    import dask

    names = ("distributed", "distributed.scheduler", "distributed.nanny", "bokeh", "tornado")
    dask.config.set({"distributed.logging": dict.fromkeys(names, logging.getLevelName(level).lower())})
    for name in names:
        logging.getLogger(name).setLevel(level)


def fit_to_size(
    chunks: Iterator[pd.DataFrame], options: BatchOptions
) -> tuple[Iterator[pd.DataFrame], BatchOptions, str | None]:
    """(the chunks, the options to score them with, a note). When `options` asks for several
    processes or a local Dask cluster but the file is one chunk, starting them costs more than
    scoring it (`--workers 2` on 300 rows was 5 times slower): the options become one process,
    and the note says so. Reads at most two chunks ahead."""
    if (options.workers == 1 and options.engine == "local") or options.scheduler is not None:
        return chunks, options, None
    ahead = list(itertools.islice(chunks, 2))
    if len(ahead) == 2:
        return itertools.chain(ahead, chunks), options, None
    asked = f"--workers {options.workers}"
    if options.engine == "dask":
        asked = f"--engine dask {asked}"
    note = (
        f"the file is smaller than one chunk ({options.chunk_rows:,} rows): scored in this process; "
        f"{asked} pays off on larger files"
    )
    return iter(ahead), dataclasses.replace(options, workers=1, engine="local"), note


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
