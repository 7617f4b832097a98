"""What every command shares: the consoles, the error reporting, the --model/--catalogue/--lang
options and the level colours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from tppo_screen.config import DEFAULT_MODEL, Settings
from tppo_screen.errors import InputError, TppoScreenError

out = Console()
err = Console(stderr=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Library errors become one line on stderr and exit code 1; Ctrl-C exits 130."""
    try:
        yield
    except TppoScreenError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except OSError as exc:  # unwritable output, a directory given as a file, a full disk …
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[bold red]error:[/] {escape(exc.strerror or str(exc))}{escape(where)}", highlight=False)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        err.print("interrupted: no output file was written")
        raise typer.Exit(code=130) from None


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
