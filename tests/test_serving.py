"""The worker supervisor's edge on uvicorn: the private names it relies on, at the pinned version.

tppo_screen.serving.workers runs each worker as a `uvicorn.Server` without a socket and builds
uvicorn's HTTP protocol itself for the connections the supervisor deals. That leans on names
uvicorn does not promise to keep; pyproject pins uvicorn to the minor version tested here. When
an upgrade drops or changes one of them, these tests say which, instead of workers failing at
their first connection. (tests/test_api.py runs the workers for real.)
"""

from __future__ import annotations

import importlib
import inspect
import tomllib
from pathlib import Path

import pytest
import uvicorn
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow  # real servers, browsers or notebook kernels: left out of make check

ROOT = Path(__file__).resolve().parents[1]


def _pinned_uvicorn() -> Requirement:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(Requirement(d) for d in dependencies if Requirement(d).name == "uvicorn")


def test_the_installed_uvicorn_is_within_the_pin() -> None:
    pin = _pinned_uvicorn()
    assert pin.specifier.contains(uvicorn.__version__), (
        f"uvicorn {uvicorn.__version__} is installed, pyproject pins {pin}: "
        "run tests/test_serving.py against the new version, then move the pin"
    )
    assert any(spec.operator == "<" for spec in pin.specifier), f"{pin} has no upper bound"


def test_uvicorn_private_names_we_rely_on_exist() -> None:
    module = "uvicorn.protocols.http.httptools_impl"
    try:
        httptools_impl = importlib.import_module(module)
    except ImportError as exc:
        raise AssertionError(f"uvicorn {uvicorn.__version__}: module {module} is gone ({exc})") from exc
    assert hasattr(httptools_impl, "HttpToolsProtocol"), f"{module}.HttpToolsProtocol is gone"
    protocol = httptools_impl.HttpToolsProtocol
    for method in ("connection_made", "connection_lost"):
        assert callable(getattr(protocol, method, None)), f"{module}.HttpToolsProtocol.{method} is gone"
    parameters = inspect.signature(protocol.__init__).parameters
    for name in ("config", "server_state", "app_state", "_loop"):
        assert name in parameters, f"HttpToolsProtocol.__init__ no longer takes {name!r}"

    startup = inspect.signature(uvicorn.Server.startup).parameters
    assert "sockets" in startup, "uvicorn.Server.startup no longer takes `sockets`"
    # the workers build the protocol as uvicorn's own create_protocol (inside Server.startup) does
    source = inspect.getsource(uvicorn.Server.startup)
    for argument in (
        "config.http_protocol_class(",
        "server_state=self.server_state",
        "app_state=self.lifespan.state",
        "_loop=_loop",
    ):
        assert argument in source, f"uvicorn.Server.startup's create_protocol no longer passes {argument!r}"
    assert "self.lifespan = " in inspect.getsource(uvicorn.Server._serve), "Server.lifespan is gone"

    server = uvicorn.Server(uvicorn.Config(app="tppo_screen.serving.app:app"))
    for attribute in ("server_state", "should_exit"):
        assert hasattr(server, attribute), f"uvicorn.Server().{attribute} is gone"
