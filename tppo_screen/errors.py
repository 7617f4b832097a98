"""The one error hierarchy of tppo_screen.

    TppoScreenError          anything the library refuses, with a message a user can act on
     ├── InputError          the caller's request is unusable (missing column, empty file, bad option)
     │    └── ImageError     a picture that cannot be read or holds no text (`.kind` says why)
     ├── DataError           a dataset breaks its contract (labels, schema, too few rows)
     ├── ModelError          a model file is missing, tampered with or incompatible
     ├── CatalogueError      a red-flag catalogue file cannot be read or is malformed
     └── FeedbackError       the corrections store cannot be opened, migrated or written

The library raises these; the edges (CLI, API) turn them into one clear line and an exit or
HTTP code. Nothing here catches bare ``Exception``.
"""

from __future__ import annotations


class TppoScreenError(Exception):
    """Base class: every error tppo_screen raises on purpose."""


class InputError(TppoScreenError):
    """The input given to a command or function cannot be used as it is."""


class ImageError(InputError):
    """A picture cannot be scored. `kind` is one of "empty", "not_image", "truncated",
    "animated", "too_large", "too_many_pixels", "no_text", "ocr_failed" (Tesseract failed or
    timed out): the edges map it to an exit or HTTP code (413 for too_large/too_many_pixels, 415
    for not_image/animated, 422 for the rest)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class DataError(TppoScreenError):
    """A dataset does not meet the contract (columns, labels, size)."""


class ModelError(TppoScreenError):
    """A model artifact is missing, does not match its card, or cannot be loaded."""


class CatalogueError(TppoScreenError):
    """A red-flag catalogue file is missing, not valid TOML, or breaks the catalogue layout."""


class FeedbackError(TppoScreenError):
    """The corrections store (`tppo_screen.feedback`) cannot be opened, migrated or written: a
    wrong TPPO_FEEDBACK_DB URL, a database that is down, or a schema newer than this code."""
