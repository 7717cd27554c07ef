"""The map ARCHITECTURE.md draws, checked on the source: the arrows between the layers (and
between the rooms of vectorstore/) are exactly the ones the map's tables list, no import
cycle (type-only imports included), only the Discord layer imports discord, the generated
module map (docs/reference/modules.md) is current, no folder holds more than 15 modules and
no module is over 400 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from scripts import module_map

REPO = Path(__file__).resolve().parent.parent
MAP = REPO / "ARCHITECTURE.md"
MODULE_MAP = REPO / "docs/reference/modules.md"  # generated from the docstrings (scripts/module_map.py)
PACKAGES = ("common", "bot", "ingest", "vectorstore")
MAX_MODULES, MAX_LINES = 15, 400
# Folders allowed over MAX_MODULES for now, and why (remove an entry once its folder has rooms).
OVER_LIMIT: dict[str, str] = {}


def _files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules imported at any level of the file, `if TYPE_CHECKING:` included."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in _files()}
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


def _table(name: str) -> dict[str, tuple[list[str], set[str]]]:
    """The map's table between `<!-- name -->` and `<!-- /name -->`: each row's name, the
    paths it holds (in backticks) and the names it may import."""
    text = MAP.read_text(encoding="utf-8")
    block = text.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0]
    rows: dict[str, tuple[list[str], set[str]]] = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("**"):
            continue
        paths = re.findall(r"`([^`]+)`", cells[2])
        arrows = {a.strip() for a in cells[3].replace("—", "").split(",") if a.strip()}
        rows[cells[0].strip("*")] = (paths, arrows)
    assert rows, f"no rows in the map's {name} table"
    return rows


def _owner(module: str, rows: dict[str, tuple[list[str], set[str]]]) -> str | None:
    """The row holding a module: the one naming the longest path that contains it."""
    path = module.replace(".", "/")
    best: tuple[int, str | None] = (0, None)
    for row, (paths, _) in rows.items():
        for p in paths:
            prefix = p.removesuffix(".py").rstrip("/")
            if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > best[0]:
                best = (len(prefix), row)
    return best[1]


def _arrows(rows: dict[str, tuple[list[str], set[str]]], within: str = "") -> set[tuple[str, str]]:
    found = set()
    for module, imports in _graph().items():
        if not module.startswith(within) or module == within:
            continue
        source = _owner(module, rows)
        for target in (_owner(i, rows) for i in imports if i.startswith(within)):
            if source and target and source != target:
                found.add((source, target))
    return found


@pytest.mark.parametrize(("table", "within"), [("layers", ""), ("vectorstore-rooms", "vectorstore")])
def test_the_arrows_are_the_ones_the_map_draws(table: str, within: str) -> None:
    rows = _table(table)
    drawn = {(source, target) for source, (_, targets) in rows.items() for target in targets}
    found = _arrows(rows, within)
    assert not found - drawn, f"imports the map does not draw: {sorted(found - drawn)}"
    assert not drawn - found, f"arrows the map draws that no import makes: {sorted(drawn - found)}"


def test_every_module_has_a_place_in_the_layers() -> None:
    rows = _table("layers")
    assert not [m for m in _graph() if _owner(m, rows) is None and m not in PACKAGES]


def test_no_import_cycles_type_only_imports_included() -> None:
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_arrow_finder_sees_a_type_only_import(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.app import App\n")
    assert "bot.app" in _imports(source)


def test_inside_vectorstore_nothing_imports_its_public_surface() -> None:
    """vectorstore/__init__.py imports its names lazily for bot/ and ingest/; a module of
    vectorstore/ importing it would load it half-made."""
    inside = [
        m for m, imports in _graph().items() if m.startswith("vectorstore.") and "vectorstore" in imports
    ]
    assert not inside


def test_the_public_surface_names_exist_where_it_says() -> None:
    import vectorstore

    for name in dir(vectorstore):
        assert getattr(vectorstore, name) is not None, name


def test_the_cli_starts_the_discord_layer_only_through_its_runner() -> None:
    rows = _table("layers")
    starts = {
        i
        for m, imports in _graph().items()
        if _owner(m, rows) == "cli"
        for i in imports
        if _owner(i, rows) == "discord"
    }
    assert starts == {"bot.discord_app.runner"}


def test_only_the_discord_layer_imports_discord() -> None:
    importers = {_module(p) for p in _files() if any(i.split(".")[0] == "discord" for i in _imports(p))}
    assert importers and all(m.startswith("bot.discord_app") for m in importers), importers


def test_the_module_map_is_current() -> None:
    """docs/reference/modules.md lists every module with its docstring's first sentence, as
    `make docs-gen` writes it; a new module, or a docstring changed, makes it stale."""
    assert module_map.reference(REPO) == MODULE_MAP.read_text(encoding="utf-8"), (
        "docs/reference/modules.md is stale: run `make docs-gen`"
    )


def test_the_module_map_names_every_module_once_and_needs_a_docstring(tmp_path: Path) -> None:
    listed = re.findall(r"^- `([^`]+)` — ", MODULE_MAP.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(listed) == sorted(str(p.relative_to(REPO)) for p in _files())
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "silent.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match=r"silent\.py has no docstring"):
        module_map.reference(tmp_path)


def test_no_folder_holds_more_than_15_modules() -> None:
    counts: dict[str, int] = {}
    for p in _files():
        if p.name not in ("__init__.py", "__main__.py"):
            folder = str(p.parent.relative_to(REPO))
            counts[folder] = counts.get(folder, 0) + 1
    crowded = {f: n for f, n in counts.items() if n > MAX_MODULES and f not in OVER_LIMIT}
    assert not crowded
    assert all(counts.get(f, 0) > MAX_MODULES for f in OVER_LIMIT), "an exception no longer needed"


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n for p in _files() if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long


def _wait_for_calls(path: Path) -> list[int]:
    """Lines that call asyncio.wait_for (as `asyncio.wait_for` or imported by name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named = {
        a.asname or a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "asyncio"
        for a in node.names
        if a.name == "wait_for"
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (
                isinstance(f := node.func, ast.Attribute)
                and f.attr == "wait_for"
                and isinstance(f.value, ast.Name)
                and f.value.id == "asyncio"
            )
            or (isinstance(f, ast.Name) and f.id in named)
        )
    ]


def test_the_product_never_calls_asyncio_wait_for(tmp_path: Path) -> None:
    """On Python 3.11 asyncio.wait_for swallows a cancel that comes as its inner await ends
    (the newsroom's delivery loop once missed its stop so); `async with asyncio.timeout()`
    does not. Tests and benches may use it: they do not run in a member's bot."""
    calls = {str(p.relative_to(REPO)): lines for p in _files() if (lines := _wait_for_calls(p))}
    assert not calls, f"use `async with asyncio.timeout(...)` instead: {calls}"
    probe = tmp_path / "probe.py"
    probe.write_text("import asyncio\nfrom asyncio import wait_for as wf\nasyncio.wait_for(x, 1)\nwf(x, 1)\n")
    assert _wait_for_calls(probe) == [3, 4]
