"""Start the tppo-screen API from a checkout: `python serve.py [--host H] [--port P]`."""

from tppo_screen.cli import app

if __name__ == "__main__":
    app(["serve", *__import__("sys").argv[1:]])
