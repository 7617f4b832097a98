"""The options of a batch job, checked in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tppo_screen.errors import InputError
from tppo_screen.tables.read import CHUNK_ROWS

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
    `keep_formulas`."""

    text_column: str = "text"
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
        if self.scheduler_timeout <= 0:
            raise InputError(f"the scheduler timeout must be positive, not {self.scheduler_timeout}")

    @property
    def kept_levels(self) -> frozenset[str]:
        """The risk levels written to the output: `min_level` and above, and `error`."""
        return frozenset(LEVELS[LEVELS.index(self.min_level) :]) | {"error"}
