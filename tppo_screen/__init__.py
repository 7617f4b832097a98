"""tppo-screen: score Indonesian job ads for human-trafficking (TPPO) recruitment red flags."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tppo-screen")
except PackageNotFoundError:  # pragma: no cover, running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]
