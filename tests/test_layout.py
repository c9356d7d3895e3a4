"""The layout's rules (docs/architecture.md), computed from the source's imports.

bot/core imports no capability; only the Discord side imports discord; no module imports a
cog except the app's cog discovery; a cog never imports another cog; the import graph has no
cycle (imports inside functions included: a lazy import does not hide a cycle); every module
is one a reader can hold.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Packages of bot/ that talk to Discord; the rest of bot/ is the core and the domain.
DISCORD_SIDE = ("bot.glue", "bot.sandbox", "bot.cli", "bot.__main__")
# The one module allowed to import the cogs package: it lists the cogs to load.
COG_LOADER = "bot.glue.app"
MAX_LINES = 650


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    paths = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]
    return {module_name(p): p for p in sorted(paths)}


def _runtime_nodes(tree: ast.AST):
    """Every node, except those under `if TYPE_CHECKING:` (never executed)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules (and third-party top-level names) `name` imports at run time."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def graph() -> dict[str, set[str]]:
    modules = sources()
    known = set(modules)
    return {name: imports(name, path, known) for name, path in modules.items()}


def test_core_imports_no_capability():
    offenders = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name.startswith("bot.core")
        for target in targets
        if (target.startswith("bot.") or target == "bot") and not target.startswith("bot.core")
    ]
    assert offenders == []


def test_only_the_discord_side_imports_discord():
    offenders = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name.startswith("bot") and not name.startswith(DISCORD_SIDE)
        for target in targets
        if target == "discord" or target.startswith("discord.")
    ]
    assert offenders == []


def test_no_module_of_bot_imports_a_cog():
    offenders = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name.startswith("bot") and name != COG_LOADER
        for target in targets
        if target == "cogs" or target.startswith("cogs.")
    ]
    assert offenders == []


def test_cogs_never_import_another_cog():
    def cog_of(module: str) -> str:
        return ".".join(module.split(".")[:2])

    offenders = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name.startswith("cogs.")
        for target in targets
        if target.startswith("cogs.") and cog_of(target) != cog_of(name)
    ]
    assert offenders == []


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in edges:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(edges) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_has_no_cycle():
    assert find_cycles(graph()) == []


def test_modules_a_reader_can_hold():
    long = {
        name: n
        for name, path in sources().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_ships():
    """A non-editable install (`pip install .`, the Dockerfile) holds every package and data/."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    on_disk = {
        module_name(p.parent)
        for p in (*ROOT.glob("bot/**/__init__.py"), *ROOT.glob("cogs/**/__init__.py"))
    }
    assert set(config["setuptools"]["packages"]) - {"bot.data"} == on_disk
    assert config["setuptools"]["package-dir"]["bot.data"] == "data"
