"""Score listing files of any size: CSV, TSV, JSONL and Parquet (gzip for the text formats),
streamed in chunks with constant memory, every input row and column kept in order.

`score_file(model, source, output, ...)` is the whole job: it reads `source` in chunks through
`tables.read_chunks` (malformed lines are not scored but go to an errors file with their line
numbers), scores each chunk through `scoring.score_frame` (the same path as every other
caller), and writes through `tables.TableWriter`, whose output appears only when the job is
complete. It returns a `BatchSummary`.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from tppo_screen.batch.contacts import ContactGroups
from tppo_screen.batch.contacts import link_contacts as group_contacts
from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_frame
from tppo_screen.tables.formats import detect_format
from tppo_screen.tables.read import CHUNK_ROWS, ReadReport, read_chunks
from tppo_screen.tables.write import Flatten, TableWriter, check_output, write_bad_lines

LEVELS = ("low", "medium", "high")
Progress = Callable[[int, int, int], None]  # (rows done, units done, units total)
SCORED_TYPES = {  # the Parquet types of the columns scoring adds
    "risk_score": pa.float64(),
    "risk_level": pa.string(),
    "red_flags": pa.list_(pa.string()),
    "top_terms": pa.list_(pa.struct([("term", pa.string()), ("weight", pa.float64())])),
    "error": pa.string(),
}


def _flatten(value: object) -> str:
    """A list cell as one CSV field: flags `a;b`, terms `kamboja:+0.177;paspor:+0.155`."""
    if not isinstance(value, list):
        return "" if value is None else str(value)
    return ";".join(f"{v['term']}:{v['weight']:+.3f}" if isinstance(v, dict) else str(v) for v in value)


SCORED_LISTS: dict[str, Flatten] = {"red_flags": _flatten, "top_terms": _flatten}


@dataclass
class BatchSummary:
    """What a batch job did: counts per level, frequent flags, speed, where the output went."""

    rows: int = 0
    written: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    riskiest: list[tuple[float, int, str, str, str]] = field(
        default_factory=list
    )  # score, -row, id, level, text
    seconds: float = 0.0
    contact_groups: dict[str, list[float]] = field(default_factory=dict)  # group -> [ads, max score]
    contacts: ContactGroups | None = None
    output: Path | None = None
    errors_file: Path | None = None
    report: ReadReport = field(default_factory=ReadReport)

    @property
    def rows_per_second(self) -> float:
        return self.rows / max(self.seconds, 1e-9)


def score_file(
    model: Model,
    source: Path,
    output: Path,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    min_level: str = "low",
    explain: bool = False,
    errors_file: Path | None = None,
    link_contacts: bool = False,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    scheduler_timeout: float = 30.0,
    chunk_rows: int = CHUNK_ROWS,
    top: int = 5,
    progress: Progress | None = None,
) -> BatchSummary:
    """Score every row of `source` into `output` (rows below `min_level` left out, error rows
    always kept). Malformed lines go to `errors_file` (default: OUTPUT.errors.csv). With
    `link_contacts`, a first pass over the file links ads sharing a phone, handle or e-mail and a
    `contact_group` column names each group. `workers` > 1 scores chunks in that many processes;
    `engine="dask"` sends them to the dask.distributed cluster at `scheduler` (default: a
    LocalCluster of `workers` processes). Either way chunks come back in order and the scores
    are the ones one process gives."""
    check_output(output)
    in_fmt, in_gz = detect_format(source, input_format)
    out_fmt, out_gz = detect_format(output, output_format)
    if min_level not in LEVELS:
        raise InputError(f"--min-level must be one of {', '.join(LEVELS)}, not {min_level!r}")
    keep = set(LEVELS[LEVELS.index(min_level) :]) | {"error"}
    summary = BatchSummary(output=output)
    report = summary.report
    started = time.perf_counter()
    if link_contacts:
        first_pass = read_chunks(source, in_fmt, in_gz, ReadReport(), chunk_rows)
        summary.contacts = group_contacts(first_pass, text_column)
    columns: list[str] | None = None
    with (
        TableWriter(output, out_fmt, out_gz, SCORED_LISTS, SCORED_TYPES) as writer,
        _scorer(model, engine, workers, scheduler, scheduler_timeout) as submit,
    ):
        chunks = _checked(read_chunks(source, in_fmt, in_gz, report, chunk_rows), text_column, id_column)
        for chunk, pending in _in_order(
            chunks, lambda c: submit(c, text_column, explain), 2 * max(workers, 1)
        ):
            if columns is None:
                columns = list(chunk.columns)
            scored = pending.result()
            if summary.contacts is not None:
                _add_contact_groups(summary, scored)
            _tally(summary, scored, text_column, id_column, top)
            kept = scored[scored["risk_level"].isin(keep)]
            writer.write(kept)
            summary.written += len(kept)
            if progress is not None:
                progress(summary.rows, report.units_done, report.units_total)
        out_columns = [*(columns or [text_column]), "risk_score", "risk_level", "red_flags"]
        out_columns += ["contact_group"] if link_contacts else []
        out_columns += ["top_terms", "error"] if explain else ["error"]
        if report.bad_lines:
            summary.errors_file = write_bad_lines(report, errors_file or errors_path(output))
        writer.commit(out_columns)
    summary.seconds = time.perf_counter() - started
    summary.riskiest.sort(reverse=True)
    return summary


def _checked(
    chunks: Iterator[pd.DataFrame], text_column: str, id_column: str | None
) -> Iterator[pd.DataFrame]:
    """The chunks, after checking the first one has the columns the job needs."""
    for n, chunk in enumerate(chunks):
        if n == 0:
            for column, option in ((text_column, "--text-column"), (id_column, "--id-column")):
                if column is not None and column not in chunk.columns:
                    found = ", ".join(map(str, chunk.columns)) or "(none)"
                    raise InputError(
                        f"no column {column!r} in the input; columns found: {found}. Name it with {option}."
                    )
        yield chunk


class _Done:
    """A finished result with the `.result()` of a future."""

    def __init__(self, value: pd.DataFrame) -> None:
        self.value = value

    def result(self) -> pd.DataFrame:
        return self.value


Submit = Callable[[pd.DataFrame, str, bool], Any]


@contextmanager
def _scorer(
    model: Model, engine: str, workers: int, scheduler: str | None, timeout: float
) -> Iterator[Submit]:
    """A function that starts scoring one chunk and returns something with `.result()`."""
    if engine not in ("local", "dask"):
        raise InputError(f"--engine must be local or dask, not {engine!r}")
    if workers < 1:
        raise InputError("--workers must be at least 1")
    if engine == "dask":
        with _dask_client(scheduler, workers, timeout) as client:
            shared = client.scatter(model, broadcast=True)
            yield lambda chunk, column, explain: client.submit(
                score_frame, shared, chunk, column, explain=explain, pure=False
            )
    elif workers == 1:
        yield lambda chunk, column, explain: _Done(score_frame(model, chunk, column, explain=explain))
    else:
        # spawn, not fork: the parent may hold threads (progress bar, server) that fork would copy
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            yield lambda chunk, column, explain: pool.submit(
                score_frame, model, chunk, column, explain=explain
            )


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
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with Client(cluster) as client:
            yield client


def _in_order(
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


def _add_contact_groups(summary: BatchSummary, scored: pd.DataFrame) -> None:
    assert summary.contacts is not None
    names = summary.contacts.names(summary.rows + 1, len(scored))
    scored.insert(list(scored.columns).index("red_flags") + 1, "contact_group", names)
    for name, score in zip(names, scored["risk_score"], strict=True):
        if name:
            seen = summary.contact_groups.setdefault(name, [0, 0.0])
            seen[0] += 1
            if score == score:  # not NaN
                seen[1] = max(seen[1], float(score))


def _tally(
    summary: BatchSummary, scored: pd.DataFrame, text_column: str, id_column: str | None, top: int
) -> None:
    offset = summary.rows
    summary.rows += len(scored)
    summary.levels.update(scored["risk_level"])
    for flags in scored["red_flags"]:
        summary.flags.update(flags)
    valid = scored[scored["risk_level"] != "error"]
    columns = zip(valid["risk_score"], valid["risk_level"], valid[text_column], strict=True)
    for position, (score, level, text) in enumerate(columns):
        row = offset + int(valid.index[position]) + 1
        name = str(valid[id_column].iloc[position]) if id_column else str(row)
        item = (float(score), -row, name, str(level), " ".join(str(text).split())[:90])
        if len(summary.riskiest) < top:
            heapq.heappush(summary.riskiest, item)
        elif top:
            heapq.heappushpop(summary.riskiest, item)


def errors_path(output: Path) -> Path:
    """Where malformed lines go by default: OUTPUT.errors.csv beside the output."""
    name = output.name.removesuffix(".gz")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return output.with_name(f"{stem}.errors.csv")
