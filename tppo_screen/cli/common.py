"""What every command shares: the consoles, the error reporting, the --model/--catalogue/--lang
options and the level colours."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from tppo_screen.config import DEFAULT_MODEL, Settings
from tppo_screen.errors import InputError, TppoScreenError

out = Console()
err = Console(stderr=True)

# what a terminal acts on instead of showing: C0 controls but tab and newline (ESC starts colour,
# cursor and title sequences, BEL rings, CR and backspace overwrite), DEL, C1 controls, and the
# bidirectional overrides that make text read differently from what it is
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` from user data (ads, ids, column and file names) safe to print on a terminal: each
    control character (`_CONTROL`) replaced by U+FFFD, one for one, so that positions in the text
    (flag spans) stay valid; newlines and tabs stay."""
    return _CONTROL.sub("\ufffd", text)


def shown(value: object) -> str:
    """User data for rich markup: control characters replaced (`printable`), markup escaped."""
    return escape(printable(str(value)))


TERMINATE_GRACE_SECONDS = 15.0  # after SIGTERM, the most the clean-up may take before a hard exit


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the clean-up of Ctrl-C runs."""


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises `Terminated`, so that it is cleaned up after as
    Ctrl-C is (no partial file, worker processes stopped) instead of killing the process on the
    spot. Further SIGTERMs during that clean-up are ignored. Outside the main thread (where
    signals cannot be handled) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # a watchdog: should the clean-up or the interpreter's exit (which joins the process
        # pool's threads) hang, leave anyway; a partial file left behind is removed by the next run
        watchdog = threading.Timer(TERMINATE_GRACE_SECONDS, os._exit, (143,))
        watchdog.daemon = True
        watchdog.start()
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def user_errors() -> Iterator[None]:
    """Library errors become one line on stderr and exit code 1; Ctrl-C exits 130, SIGTERM (with
    `terminate_as_interrupt`) 143."""
    try:
        yield
    except TppoScreenError as exc:
        err.print(f"[bold red]error:[/] {shown(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except OSError as exc:  # unwritable output, a directory given as a file, a full disk …
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[bold red]error:[/] {shown(exc.strerror or exc)}{shown(where)}", highlight=False)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt as exc:
        stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
        err.print(f"{stopped}: no output file was written")
        raise typer.Exit(code=143 if isinstance(exc, Terminated) else 130) from None


LEVEL_STYLE = {"low": "green", "medium": "yellow", "high": "bold red", "error": "magenta"}

ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="Model file (.joblib with its .card.json). "
        f"Default: $TPPO_MODEL_PATH or {DEFAULT_MODEL.relative_to(DEFAULT_MODEL.parents[1])}.",
    ),
]


def model_path(model: Path | None) -> Path:
    return model if model is not None else Settings().model_path


CatalogueOption = Annotated[
    Path | None,
    typer.Option(
        "--catalogue",
        "-c",
        help="Red-flag catalogue TOML to explain with (default: the model's own, which is the "
        "shipped tppo_screen/model/redflags.toml). Your own file needs no code change.",
    ),
]
LanguageOption = Annotated[
    str, typer.Option("--lang", help="Language of labels and explanations: id or en.", case_sensitive=False)
]
SEVERITY_STYLE = {"high": "bold white on red", "medium": "black on yellow", "low": "underline yellow"}
GREEN_STYLE = "black on green"


def parse_language(lang: str) -> Literal["id", "en"]:
    lang = lang.lower()
    if lang not in ("id", "en"):
        raise InputError(f"--lang must be 'id' or 'en', not {lang!r}")
    return lang  # type: ignore[return-value]
