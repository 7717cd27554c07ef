"""The layering ARCHITECTURE.md promises, checked on the source: no import cycles between
modules, only the Discord layer imports discord, and the core never imports its doors."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "ingest", "vectorstore")
# modules that may import anything: the entry points and the composition root
ENTRY_POINTS = {"ingest.__main__", "bot.__main__", "bot.app", "bot.cli", "bot.cli_ingest", "bot.evaluation"}


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules imported at any level of the file, except under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for stmt in branch.body
        for node in ast.walk(stmt)
    }
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]
    modules = {_module(p): p for p in files}
    return {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_only_the_discord_layer_imports_discord() -> None:
    files = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]
    importers = {_module(p) for p in files if any(i.split(".")[0] == "discord" for i in _imports(p))}
    assert importers and all(m.startswith("bot.discord_app") for m in importers), importers


def test_dependencies_point_inwards() -> None:
    """vectorstore imports neither ingest nor bot; ingest does not import bot; the answering
    core does not import its doors (CLI, Discord, composition root) nor the newsroom; the
    newsroom does not import the doors."""
    for module, imports in _graph().items():
        if module in ENTRY_POINTS:
            continue
        layer = module.split(".")[0]
        if layer == "vectorstore":
            assert not {i for i in imports if i.startswith(("ingest", "bot"))}, module
        if layer == "ingest":
            assert not {i for i in imports if i.startswith("bot")}, module
        if module.startswith("bot.answering"):
            doors = ("bot.discord_app", "bot.cli", "bot.app", "bot.newsroom")
            assert not {i for i in imports if i.startswith(doors)}, module
        if module.startswith("bot.newsroom"):  # between the doors and the core (issue #22)
            assert not {i for i in imports if i.startswith(("bot.discord_app", "bot.cli", "bot.app"))}, module
