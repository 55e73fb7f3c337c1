"""The package's architecture, read from the source with ``ast`` (docs/ARCHITECTURE.md).

- Layers: imports go only downward, data < simulation < files < experiments < analysis <
  app, cli (app and cli are both top layers and do not import each other). Imports inside
  functions and under ``if TYPE_CHECKING:`` count too. ``model/__init__.py`` (the public API)
  and ``model/__main__.py`` stand above every layer.
- No import cycle between modules (imports under ``if TYPE_CHECKING:`` left out).
- No module over 500 lines.
- Commands are registered in one place: every module of ``model/cli`` that defines a
  ``COMMAND`` is listed in ``model.cli.COMMANDS``, and one function of ``model/cli`` builds the
  parser's subcommands (from that list).

The checks are functions of a package folder, so the tests at the end run them on small
packages with a known mistake and see them fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "model"
LAYERS: dict[str, int] = {
    "data": 0,
    "simulation": 1,
    "files": 2,
    "experiments": 3,
    "analysis": 4,
    "app": 5,
    "cli": 5,
}
"""Each layer's height: a module may import its own layer and the layers below it."""
ABOVE_ALL = ("__init__", "__main__")
"""The root modules: ``model`` (the public API, lazy) and ``python -m model``."""
MAX_LINES = 500


@dataclass(frozen=True)
class Import:
    """One import of a package module by another."""

    source: str
    target: str
    line: int
    type_only: bool

    def __str__(self) -> str:
        kind = " (TYPE_CHECKING)" if self.type_only else ""
        return f"{self.source}:{self.line} imports {self.target}{kind}"


# ---- reading the package ----------------------------------------------------------------------


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _lazy_names(init: Path) -> dict[str, str]:
    """The root's lazily imported names -> their modules (its ``_LAZY`` dict), if any."""
    for node in ast.parse(init.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            return {
                k.value: v.value
                for k, v in zip(node.value.keys, node.value.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
            }
    return {}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    node: ast.AST, type_only: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement below ``node``, in functions too, and whether it is for type
    checking only (under ``if TYPE_CHECKING:``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, type_only
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            yield from _import_nodes(ast.Module(body=child.body, type_ignores=[]), True)
            yield from _import_nodes(ast.Module(body=child.orelse, type_ignores=[]), type_only)
        else:
            yield from _import_nodes(child, type_only)


def imports(package: Path) -> list[Import]:
    """Every import of one package module by another, with the imported module resolved."""
    mods = modules(package)
    root = package.name
    lazy = _lazy_names(package / "__init__.py")
    found = []
    for name, path in mods.items():
        is_package = path.name == "__init__.py"
        for node, type_only in _import_nodes(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: from the module's package upward
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join(here + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in mods:
                        targets.append(full)
                    elif base == root and alias.name in lazy:
                        targets.append(lazy[alias.name])
                    else:
                        targets.append(base)
            for target in targets:
                if target != root and not target.startswith(root + "."):
                    continue
                while target not in mods and "." in target:  # a name inside a module
                    target = target.rsplit(".", 1)[0]
                if target != name:
                    found.append(Import(name, target, node.lineno, type_only))
    return found


def layer(module: str) -> str | None:
    """The layer of a module (None for the root modules above every layer)."""
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] in ABOVE_ALL):
        return None
    return parts[1]


# ---- the checks -------------------------------------------------------------------------------


def unknown_layers(package: Path) -> list[str]:
    """Modules outside every layer (a new top-level module or subpackage)."""
    return sorted(m for m in modules(package) if layer(m) is not None and layer(m) not in LAYERS)


def upward_imports(package: Path) -> list[str]:
    """Imports that go up, or sideways between the top layers. The root modules may import
    anything; a layer may import the root's own names (``__version__``), and a name the root
    imports lazily counts as an import of the module that defines it."""
    bad = []
    for imp in imports(package):
        src, dst = layer(imp.source), layer(imp.target)
        if src is None or src not in LAYERS:
            continue
        if dst is None:  # the root's own names (__version__); its lazy names are resolved
            continue
        if dst != src and LAYERS.get(dst, 99) >= LAYERS[src]:
            bad.append(f"{imp}: {src} may not import {dst}")
    return bad


def cycles(package: Path) -> list[list[str]]:
    """Import cycles between modules: strongly connected groups of more than one module
    (imports under ``if TYPE_CHECKING:`` left out)."""
    graph: dict[str, set[str]] = {m: set() for m in modules(package)}
    for imp in imports(package):
        if not imp.type_only:
            graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def long_modules(package: Path, limit: int = MAX_LINES) -> list[str]:
    """Modules longer than ``limit`` lines."""
    out = []
    for name, path in modules(package).items():
        n = len(path.read_text().splitlines())
        if n > limit:
            out.append(f"{name}: {n} lines")
    return out


def _defines_command(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == "COMMAND"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        for node in tree.body
    )


def _registered(init: ast.Module) -> list[str]:
    """The modules whose ``COMMAND`` the ``COMMANDS`` tuple lists."""
    for node in init.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "COMMANDS" for t in targets):
            return [
                e.value.id
                for e in getattr(node.value, "elts", [])
                if isinstance(e, ast.Attribute)
                and e.attr == "COMMAND"
                and isinstance(e.value, ast.Name)
            ]
    return []


def unregistered_commands(package: Path) -> list[str]:
    """Problems with the one registry of commands: a command module not in ``COMMANDS``, a
    listed module without a command, or subcommands built in more than one place (the parser
    is built from ``COMMANDS`` by ``model.cli.common.command_parser``)."""
    cli = package / "cli"
    init = ast.parse((cli / "__init__.py").read_text())
    listed = _registered(init)
    problems = [f"{m} is listed twice in COMMANDS" for m in set(listed) if listed.count(m) > 1]
    defined = set()
    for path in sorted(cli.glob("*.py")):
        if path.stem not in ABOVE_ALL and _defines_command(ast.parse(path.read_text())):
            defined.add(path.stem)
    problems += [
        f"model/cli/{m}.py defines a COMMAND not in COMMANDS" for m in defined - set(listed)
    ]
    problems += [f"COMMANDS lists {m}, which defines no COMMAND" for m in set(listed) - defined]
    builders = [
        f"{name}:{node.lineno}"
        for name, path in modules(package).items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "add_subparsers"
    ]
    if len(builders) > 1 or any(not b.startswith(f"{package.name}.cli") for b in builders):
        problems.append(f"subcommands are built in more than one place: {', '.join(builders)}")
    return problems


# ---- the package ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "check",
    [unknown_layers, upward_imports, long_modules, unregistered_commands],
    ids=lambda check: check.__name__,
)
def test_the_package_keeps_the_rule(check) -> None:
    problems = check(PACKAGE)
    assert not problems, "\n".join(problems)


def test_no_import_cycles() -> None:
    found = cycles(PACKAGE)
    assert not found, "\n".join(" <-> ".join(group) for group in found)


def test_the_registry_holds_every_command_once() -> None:
    from model.cli import COMMANDS

    names = [cmd.name for cmd in COMMANDS]
    assert len(names) == len(set(names))
    assert len(names) == len(_registered(ast.parse((PACKAGE / "cli" / "__init__.py").read_text())))


def test_the_graph_sees_the_known_imports() -> None:
    found = {(i.source, i.target) for i in imports(PACKAGE)}
    assert ("model.experiments.run", "model.simulation.model") in found  # inside a function
    assert ("model.cli.batch", "model.cli.common") in found
    assert ("model.experiments.manifest", "model") in found  # __version__ from the root


# ---- the checks fail on a mistake -------------------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "model"
    base = {
        "__init__.py": '_LAZY = {"run_model": "model.experiments.run"}\n',
        "data/__init__.py": "",
        "files/__init__.py": "",
        "files/scenario.py": "from model.data import x\n",
        "experiments/__init__.py": "",
        "experiments/run.py": "",
        "cli/__init__.py": "from model.cli import run\nCOMMANDS = (run.COMMAND,)\n",
        "cli/run.py": "COMMAND = 1\n",
    }
    for name, text in {**base, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_clean_package_passes(tmp_path: Path) -> None:
    root = _package(tmp_path, {})
    assert upward_imports(root) == []
    assert cycles(root) == []
    assert unregistered_commands(root) == []
    assert unknown_layers(root) == []


@pytest.mark.parametrize(
    "text",
    [
        "from model.experiments.run import run_model\n",
        "import model.experiments.run\n",
        "def f():\n    from model.experiments import run\n",  # lazy, inside a function
        "from model import run_model\n",  # through the root's lazy API
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from model.cli import run\n",
    ],
    ids=["from", "import", "in-a-function", "through-the-root", "for-type-checking"],
)
def test_an_upward_import_fails(tmp_path: Path, text: str) -> None:
    root = _package(tmp_path, {"files/batch.py": text})
    assert len(upward_imports(root)) == 1


def test_a_sideways_import_between_top_layers_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {"app/__init__.py": "from model.cli import run\n"})
    assert len(upward_imports(root)) == 1


def test_a_cycle_fails_unless_only_for_type_checking(tmp_path: Path) -> None:
    a = "from model.files import b\n"
    root = _package(tmp_path, {"files/a.py": a, "files/b.py": "def f():\n    from . import a\n"})
    assert cycles(root) == [["model.files.a", "model.files.b"]]
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from model.files import a\n"
    root = _package(tmp_path / "typed", {"files/a.py": a, "files/b.py": typed})
    assert cycles(root) == []


def test_a_long_module_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {"files/long.py": "x = 1\n" * (MAX_LINES + 1)})
    assert long_modules(root) == [f"model.files.long: {MAX_LINES + 1} lines"]


def test_an_unregistered_command_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {"cli/extra.py": "COMMAND = 2\n"})
    assert unregistered_commands(root) == ["model/cli/extra.py defines a COMMAND not in COMMANDS"]
    builder = "def f(p):\n    p.add_subparsers()\n"
    root = _package(tmp_path / "p", {"cli/common.py": builder, "experiments/x.py": builder})
    assert unregistered_commands(root) == [
        "subcommands are built in more than one place: model.cli.common:2, model.experiments.x:2"
    ]


def test_a_module_outside_the_layers_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {"helpers.py": ""})
    assert unknown_layers(root) == ["model.helpers"]
