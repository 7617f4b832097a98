"""The README stays true to the CLI and the two-command promise."""

from pathlib import Path

from typer.main import get_command

from tppo_screen.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README


def test_every_cli_command_appears_in_the_readme() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    missing = [name for name in commands if f"tppo-screen {name}" not in README]
    assert not missing, f"README does not show: {missing}"
