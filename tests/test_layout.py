"""The package's architecture, checked: imports flow one way and rooms stay small enough to read.

Layers (see README, "How it works"): the base (errors, config, graph, tables) imports nothing
above it; the model imports only the base; batch, serving, training and corpus use the model and
the base, never the CLI, and not each other (training groups near-duplicates and masks excerpts
with corpus.groups and corpus.privacy).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tppo_screen"
BASE = {"errors", "config", "graph", "tables"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": set(),
    "graph": set(),
    "tables": {"errors", "config"},
    "model": BASE,
    "images": BASE | {"model"},
    "batch": BASE | {"model", "images"},
    "serving": BASE | {"model", "images", "feedback"},
    "training": BASE | {"model", "corpus.privacy", "corpus.groups"},
    "corpus": BASE | {"model"},
    "feedback": BASE | {"model", "corpus.privacy"},  # the corrections store masks like data/
}
LONGEST_FUNCTION = 60  # lines, decorators excluded


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> set[str]:
    """The tppo_screen modules `path` imports, as dotted names below the package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tppo_screen"):
            base = node.module.removeprefix("tppo_screen").lstrip(".")
            names = [f"{base}.{alias.name}".lstrip(".") for alias in node.names]
            found.update(names if not base else [base])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("tppo_screen.") for a in node.names if a.name.startswith("tppo_screen.")
            )
    return {name for name in found if name != "__version__"}


def _allowed(layer: str, target: str) -> bool:
    if target.split(".")[0] == layer:
        return True
    return any(target == rule or target.startswith(rule + ".") for rule in ALLOWED[layer])


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    layer = _layer(path)
    if layer in ("cli", "__init__"):
        return  # the CLI is the edge: it may use every layer
    assert layer in ALLOWED, f"{path}: a new top-level module; add it to a layer in this test and the README"
    wrong = sorted(t for t in _imports(path) if not _allowed(layer, t))
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}) must not import {', '.join(wrong)}"


def test_the_model_imports_nothing_from_the_layers_that_use_it() -> None:
    offenders = {
        str(p.relative_to(PACKAGE)): t
        for p in _modules()
        if _layer(p) == "model"
        for t in _imports(p)
        if t.split(".")[0] in {"serving", "batch", "training", "corpus", "cli"}
    }
    assert not offenders


def test_no_function_is_too_long_to_read() -> None:
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > LONGEST_FUNCTION:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({size} lines)")
    assert not long, "split these functions:\n" + "\n".join(long)
