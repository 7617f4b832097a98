"""Batch scoring of pictures: a folder of images, or a table with a column of image paths.

`image_job(source, options)` says whether a `score` job is about pictures (`source` is a folder,
or `options.image_column` is set) and, if so, gives the chunks to read and the work to run on
each: `ocr_score_frame` reads every picture of a chunk (`images.decode.load_image`,
`images.ocr.read_text`) into `ocr_text` and `ocr_confidence` and scores that text through
`scoring.score_frame`, the path pasted text takes. It runs where `score_frame` runs for text —
in this process, or in the worker processes of `engines` — so `--workers` spreads the OCR too.

A picture that cannot be scored (missing, unreadable, not a picture, damaged, too large, no text
found) keeps its row: `risk_level` is `error` and `error` says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tppo_screen.batch.options import BatchOptions
from tppo_screen.errors import InputError, TppoScreenError
from tppo_screen.images.decode import IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS, load_image
from tppo_screen.images.ocr import read_text
from tppo_screen.images.scoring import low_confidence_warning
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_frame, text_problem
from tppo_screen.tables.formats import Format, detect_format
from tppo_screen.tables.read import ReadReport, read_chunks

IMAGE_COLUMN = "image"  # the column a folder's pictures are listed in (path relative to the folder)
OCR_TEXT, OCR_CONFIDENCE = "ocr_text", "ocr_confidence"
IMAGE_CHUNK_ROWS = 4  # pictures a chunk: 0.3-2 s of OCR each, so workers share the work evenly


@dataclass(frozen=True)
class ImageJob:
    """How to run a `score` job over pictures: `options` with the text column set to `ocr_text`,
    the `chunks` to read, and the `work` to run on each chunk in place of `score_frame`."""

    source: Path
    options: BatchOptions
    base: Path  # image paths are relative to this folder

    @property
    def format(self) -> tuple[Format, bool]:
        """The table's (format, gzipped); a folder is listed as if it were a CSV."""
        return (
            ("csv", False) if self.source.is_dir() else detect_format(self.source, self.options.input_format)
        )

    def chunks(self, report: ReadReport) -> Iterator[pd.DataFrame]:
        """The rows to score in chunks of `options.chunk_rows` (`report` counts progress)."""
        size = self.options.chunk_rows
        if self.source.is_dir():
            yield from folder_chunks(self.source, report, size)
            return
        fmt, gzipped = self.format
        yield from read_chunks(self.source, fmt, gzipped, report, size, **self.options.reading)

    @property
    def work(self) -> Any:
        """`score_frame`'s signature (model, chunk, text column, explain=) for the engines."""
        assert self.options.image_column is not None
        return partial(ocr_score_frame, image_column=self.options.image_column, base=str(self.base))


def image_job(source: Path, options: BatchOptions) -> ImageJob | None:
    """The job over pictures `source` and `options` ask for, or None for a job over text."""
    if options.campaigns and (source.is_dir() or options.image_column is not None):
        raise InputError("--campaigns reads the text of a table; it does not work on pictures")
    if source.is_dir():
        if options.image_column not in (None, IMAGE_COLUMN):
            raise InputError(f"{source} is a folder: its pictures are listed in column {IMAGE_COLUMN!r}, "
                             "--image-column is for a table of paths")  # fmt: skip
        options = replace(options, image_column=IMAGE_COLUMN)
        base = source
    elif options.image_column is None:
        return None
    else:
        base = source.resolve().parent
    chunk_rows = min(options.chunk_rows, IMAGE_CHUNK_ROWS)
    return ImageJob(source, replace(options, text_column=OCR_TEXT, chunk_rows=chunk_rows), base)


def folder_files(folder: Path) -> list[str]:
    """Every file under `folder` (sub-folders too; hidden ones left out), as paths relative to it
    with "/", sorted. Which are pictures is decided later, by their content."""
    found = [
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and (path.is_file() or (path.is_symlink() and not path.is_dir()))
    ]
    if not found:
        raise InputError(f"no files in the folder {folder}: put the pictures (JPEG, PNG, WebP) there")
    return sorted(found)


def folder_chunks(folder: Path, report: ReadReport, size: int) -> Iterator[pd.DataFrame]:
    """The folder's files as chunks of one column, IMAGE_COLUMN; progress counts files."""
    files = folder_files(folder)
    report.units_total = len(files)
    report.columns = [IMAGE_COLUMN]
    for start in range(0, len(files), size):
        part = files[start : start + size]
        report.units_done = start + len(part)
        yield pd.DataFrame({IMAGE_COLUMN: part}, index=pd.RangeIndex(start, start + len(part)))


def read_picture(cell: object, base: Path) -> tuple[str, float, str]:
    """(OCR text, confidence, "") for the picture at path `cell` (relative to `base`), or
    ("", nan, reason) when it cannot be read."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or not str(cell).strip():
        return "", float("nan"), "no image path in this row"
    path = base / str(cell).strip()
    try:
        if not path.is_file():
            what = "a folder, not a file" if path.is_dir() else "no such file"
            return "", float("nan"), f"cannot read {cell}: {what}"
        size = path.stat().st_size
        with path.open("rb") as handle:  # a larger file is refused without reading it all
            data = handle.read(IMAGE_MAX_BYTES + 1)
        result = read_text(load_image(data, max_bytes=IMAGE_MAX_BYTES, max_pixels=IMAGE_MAX_PIXELS))
    except OSError as exc:
        return "", float("nan"), f"cannot read {cell}: {exc.strerror or exc}"
    except TppoScreenError as exc:
        if not isinstance(exc, InputError):
            raise  # Tesseract missing: the job stops with its message
        return "", float("nan"), str(exc).replace(f"{IMAGE_MAX_BYTES + 1:,} bytes", f"{size:,} bytes")
    if text_problem(result.text) is not None:
        found = f"only “{result.text[:40]}”" if result.text.strip() else "nothing"
        return "", result.confidence, f"no text found in the picture (OCR read {found})"
    return result.text, result.confidence, ""


def ocr_score_frame(
    model: Model,
    frame: pd.DataFrame,
    text_column: str,
    explain: bool = False,
    *,
    image_column: str,
    base: str,
    **scoring: Any,
) -> pd.DataFrame:
    """`frame` with `text_column` (ocr_text) and ocr_confidence read from the pictures named in
    `image_column` (paths relative to `base`), scored by `score_frame` (with `scoring`'s keyword
    arguments); a picture that could not be read gives level `error`
    and the reason in `error`."""
    if image_column not in frame.columns:
        found = ", ".join(map(str, frame.columns)) or "(none)"
        raise InputError(f"no column {image_column!r} in the input; columns found: {found}. "
                         "Name it with --image-column.")  # fmt: skip
    read = [read_picture(cell, Path(base)) for cell in frame[image_column].tolist()]
    frame = frame.drop(columns=[c for c in (text_column, OCR_CONFIDENCE) if c in frame.columns])
    frame[text_column] = [text for text, _, _ in read]
    frame[OCR_CONFIDENCE] = [confidence for _, confidence, _ in read]
    scored = score_frame(model, frame, text_column, explain=explain, **scoring)
    failed = np.array([bool(reason) for _, _, reason in read])
    language = scoring.get("warnings_in")
    if language is not None and "warnings" in scored.columns:  # as `score_ocr` warns
        low = [low_confidence_warning(confidence, language) for _, confidence, _ in read]
        scored["warnings"] = [
            [warning, *others] if warning and not bad else others
            for warning, others, bad in zip(low, scored["warnings"], failed, strict=True)
        ]
    if failed.any():
        scored.loc[failed, "risk_level"] = "error"
        scored.loc[failed, "risk_score"] = np.nan
        scored.loc[failed, "error"] = [reason for _, _, reason in read if reason]
    return scored
