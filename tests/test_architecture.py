"""The layout rules of docs/architecture.md, read from the source (every import, also inside
functions; imports under ``if TYPE_CHECKING:`` do not run and do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"
PACKAGE = SRC / "assay"


def modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = modules()


def imported_names(name: str) -> set[str]:
    """Every module ``name`` imports, as written (``from x import y`` gives ``x.y`` where that is
    a module, else ``x``)."""
    path, is_package = MODULES[name]
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            if getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            out.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            submodules = [f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in MODULES]
            out.update(submodules)
            if len(submodules) < len(node.names):
                out.add(module)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return out


def graph() -> dict[str, set[str]]:
    edges = {}
    for name in MODULES:
        deps = set()
        for target in imported_names(name):
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target in MODULES and target != name:
                deps.add(target)
        edges[name] = deps
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_plugin_imports_pytest():
    offenders = {name for name in MODULES if not (name == "assay.plugin" or name.startswith("assay.plugin."))
                 and any(m.split(".")[0] in ("pytest", "_pytest") for m in imported_names(name))}
    assert offenders == set()


def test_private_pytest_api_lives_in_one_function():
    users = {name for name in MODULES if any(m.split(".")[0] == "_pytest" for m in imported_names(name))}
    assert users == {"assay.plugin.items"}
    source = MODULES["assay.plugin.items"][0].read_text(encoding="utf-8")
    assert source.count("_pytest") == 1 and source.count("_fixturemanager") == 1


def test_nothing_imports_the_command_line():
    offenders = {name for name, deps in graph().items() if not name.startswith("assay.cli")
                 and any(d == "assay.cli" or d.startswith("assay.cli.") for d in deps)}
    assert offenders == set()


# Modules outside the plugin that still reach into it, and why (none may be added without a reason).
PLUGIN_USERS: dict[str, str] = {}


def test_only_the_plugin_and_its_listed_users_import_the_plugin():
    users = {name for name, deps in graph().items() if not name.startswith("assay.plugin")
             and any(d == "assay.plugin" or d.startswith("assay.plugin.") for d in deps)}
    assert users <= set(PLUGIN_USERS)


def test_every_module_is_on_the_architecture_page():
    page = (Path(__file__).parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [name for name, (path, is_package) in sorted(MODULES.items())
               if (f"{path.parent.name}/" if is_package else path.name) not in page]
    assert missing == [], "docs/architecture.md does not list these modules: " + ", ".join(missing)
