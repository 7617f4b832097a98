"""The options of a batch job, checked in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tppo_screen.errors import InputError
from tppo_screen.tables.read import CHUNK_ROWS
from tppo_screen.tables.sniff import parse_delimiter

LEVELS = ("low", "medium", "high")
ENGINES = ("local", "dask")


@dataclass(frozen=True)
class BatchOptions:
    """How `score_file` runs: the `score` command's options, with its defaults.

    `text_column` holds the ad; `id_column` names rows in the summary's riskiest list (`top` of
    them). Formats come from the file names unless `input_format`/`output_format` say. Rows below
    `min_level` are left out of the output (error rows are always kept); `explain` adds
    top_terms; malformed lines go to `errors_file` (default: OUTPUT.errors.csv). With
    `campaigns` a first pass groups ads into campaigns (`batch.campaigns`). `workers` > 1 scores
    chunks of `chunk_rows` rows in that many processes; `engine="dask"` sends them to the
    dask.distributed cluster at `scheduler` (default: a LocalCluster of `workers` processes),
    waiting at most `scheduler_timeout` seconds to reach it. In CSV/TSV output (and the errors
    file) input cells that a spreadsheet would run as formulas get a leading `'` unless
    `keep_formulas`. With `report` set the job also gathers what `batch.report` needs for its
    HTML report (`BatchSummary.tally`), with risk over time and by source when the file has a
    date or source column (found by usual names unless `date_column`/`source_column` say)."""

    text_column: str = "text"
    image_column: str | None = None  # paths of pictures to OCR and score (batch.images); "image" for a folder
    id_column: str | None = None
    input_format: str | None = None
    output_format: str | None = None
    min_level: str = "low"
    explain: bool = False
    errors_file: Path | None = None
    campaigns: bool = False  # --campaigns (alias --link-contacts): campaign, campaign_size
    workers: int = 1
    engine: str = "local"
    scheduler: str | None = None
    scheduler_timeout: float = 30.0
    chunk_rows: int = CHUNK_ROWS
    top: int = 5
    keep_formulas: bool = False
    delimiter: str | None = None  # a CSV's delimiter; None: detected (tables.sniff)
    sheet: str | None = None  # the sheet of an .xlsx input (name or 1-based number; None: the first)
    excel_csv: bool = False  # CSV/TSV output with a UTF-8 byte-order mark
    flags: tuple[str, ...] = ()  # write only rows with one of these red flags (and error rows)
    language: Literal["id", "en"] = "id"  # of the warnings column and the summary's (and report's) labels
    quiet: bool = False  # no INFO lines from Dask either
    report: Path | None = None
    date_column: str | None = None
    source_column: str | None = None

    def __post_init__(self) -> None:
        if self.min_level not in LEVELS:
            raise InputError(f"--min-level must be one of {', '.join(LEVELS)}, not {self.min_level!r}")
        if self.engine not in ENGINES:
            raise InputError(f"--engine must be local or dask, not {self.engine!r}")
        if self.workers < 1:
            raise InputError("--workers must be at least 1")
        if self.chunk_rows < 1:
            raise InputError(f"chunk_rows must be at least 1, not {self.chunk_rows}")
        if self.top < 0:
            raise InputError(f"--top must be at least 0, not {self.top}")
        if self.language not in ("id", "en"):
            raise InputError(f"--lang must be 'id' or 'en', not {self.language!r}")
        if self.delimiter is not None:
            object.__setattr__(self, "delimiter", parse_delimiter(self.delimiter))
        if self.scheduler_timeout <= 0:
            raise InputError(f"the scheduler timeout must be positive, not {self.scheduler_timeout}")

    @property
    def reading(self) -> dict[str, str | None]:
        """How to read the input: `read_chunks`'s `delimiter` and `sheet`."""
        return {"delimiter": self.delimiter, "sheet": self.sheet}

    @property
    def kept_levels(self) -> frozenset[str]:
        """The risk levels written to the output: `min_level` and above, and `error`."""
        return frozenset(LEVELS[LEVELS.index(self.min_level) :]) | {"error"}
