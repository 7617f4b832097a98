"""How every command line reports a failure: one line on stderr and an exit code.

Shared by the main CLI (`tppo_screen.cli`) and the sub-apps mounted on it (`corpus.cli`), which
must not import `tppo_screen.cli` itself. Imports only typer, rich and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from tppo_screen.errors import TppoScreenError

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
