"""The one error hierarchy of tppo_screen.

    TppoScreenError          anything the library refuses, with a message a user can act on
     ├── InputError          the caller's request is unusable (missing column, empty file, bad option)
     ├── DataError           a dataset breaks its contract (labels, schema, too few rows)
     ├── ModelError          a model file is missing, tampered with or incompatible
     └── CatalogueError      a red-flag catalogue file cannot be read or is malformed

The library raises these; the edges (CLI, API) turn them into one clear line and an exit or
HTTP code. Nothing here catches bare ``Exception``.
"""

from __future__ import annotations


class TppoScreenError(Exception):
    """Base class: every error tppo_screen raises on purpose."""


class InputError(TppoScreenError):
    """The input given to a command or function cannot be used as it is."""


class DataError(TppoScreenError):
    """A dataset does not meet the contract (columns, labels, size)."""


class ModelError(TppoScreenError):
    """A model artifact is missing, does not match its card, or cannot be loaded."""


class CatalogueError(TppoScreenError):
    """A red-flag catalogue file is missing, not valid TOML, or breaks the catalogue layout."""
