"""Run the tppo-screen CLI from a checkout: `python cli.py --help`."""

from tppo_screen.cli import app

if __name__ == "__main__":
    app()
