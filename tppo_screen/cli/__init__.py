"""The command line: the edge where a person meets the library.

Each module parses one group of commands, calls the library and prints; no scoring, reading or
training logic lives here. `app` (in `cli.app`) assembles them: check and red-flags (`check`),
score (`score`), train and evaluate (`training`), serve (`serve`), corpus … (`corpus`). It may
import every layer; nothing imports it.
"""

from tppo_screen.cli.app import app

__all__ = ["app"]
