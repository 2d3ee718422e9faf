"""The layers of the house, drawn below and enforced: every import (inside functions too) must follow an arrow.

    importer          may import (besides itself and the standard library / third-party packages)
    ----------------  --------------------------------------------------------------------------------
    cli               bot adapters storage bench
    bench             bot adapters storage tests.fakes
    adapters          bot.chat bot.errors bot.messages bot.config bot.text.i18n
    bot.chat          bot.services bot.answering bot.ingestion bot.delivery bot.text bot.errors bot.messages bot.config storage
    bot.scheduler     bot.services bot.ingestion bot.delivery bot.errors bot.config storage
    bot.services      bot.answering bot.ingestion bot.embedding bot.text bot.errors bot.messages bot.config storage
    bot.ingestion     bot.delivery bot.embedding bot.text bot.errors bot.messages bot.config storage
    bot.delivery      bot.text bot.errors bot.messages bot.config storage
    bot.answering     bot.embedding bot.text bot.errors bot.messages bot.config storage
    bot.embedding     bot.errors bot.config storage
    bot.text          bot.errors bot.config
    storage           bot.errors bot.config
    bot.errors        -
    bot.messages      -
    bot.config        -

Arrows point down: the adapters see the chat contract (``Bot``, ``CommandSpec``), the shared base (errors,
messages, config) and the message templates they localize their own platform strings with (``bot.text.i18n``,
which imports nothing of ours); ``answering`` never imports ``ingestion`` (answers read what ingestion stored,
through storage); ``storage`` imports only the shared base's leaves (its ``StorageError`` belongs to the one
exception tree in ``bot.errors``, and standalone Alembic reads the ``Settings``); nothing imports ``bench`` except
the ``parley bench`` command in ``cli``; only ``cli`` and the adapters reach ``typer``, ``telegram`` and ``discord``.
A string naming one of our modules (``importlib.import_module("bot.x")``, ``-m bench.coldstart``) counts as an import.
"""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters", "storage", "bench")
TOP_MODULES = ("cli",)
PLATFORM_LIBRARIES = {"telegram", "discord", "typer"}
MAY_USE_PLATFORM_LIBRARIES = ("cli", "adapters", "bench")


def drawing() -> dict[str, tuple[str, ...]]:
    """The table in this module's docstring: importer -> what it may import."""
    rules = {}
    table = __doc__.split("----------------  ", 1)[1].split("\n\n", 1)[0]
    for line in table.strip().splitlines()[1:]:
        importer, *allowed = line.split()
        rules[importer] = tuple(a for a in allowed if a != "-")
    return rules


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def our_modules(root: Path) -> dict[str, Path]:
    """Every module of ours under ``root``, by dotted name (migrations included: they import too)."""
    modules = {name: root / f"{name}.py" for name in TOP_MODULES if (root / f"{name}.py").exists()}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py") if (root / package).is_dir() else ():
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, wherever it sits, plus strings naming our modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # `from bot.text import i18n` imports the module bot.text.i18n
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if candidate in known else base))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value and node.value in known:
            found.append((node.lineno, node.value))
    return found


def violations(root: Path, rules: dict[str, tuple[str, ...]]) -> list[str]:
    """Every import under ``root`` that the drawing does not allow, as "path:line: importer -> imported"."""
    modules = our_modules(root)
    known = set(modules)
    problems = []
    for name, path in sorted(modules.items()):
        rule = max((r for r in rules if within(name, r)), key=len, default=None)
        for line, imported in imports_of(name, path, known):
            where = f"{path.relative_to(root)}:{line}: {name} -> {imported}"
            top = imported.split(".")[0]
            if top in PLATFORM_LIBRARIES:
                if not any(within(name, p) for p in MAY_USE_PLATFORM_LIBRARIES):
                    problems.append(where + " (the core never imports a platform library)")
                continue
            if top not in PACKAGES + TOP_MODULES + ("tests",):
                continue  # the standard library and third-party packages
            if rule is None:
                problems.append(where + " (the importer is not in the drawing)")
            elif not (within(imported, rule) or any(within(imported, allowed) for allowed in rules[rule])):
                problems.append(where)
    return problems


def test_the_drawing_names_every_package_of_ours():
    drawn = set(drawing())
    for name in our_modules(ROOT):
        if name == "bot":
            continue  # bot/__init__.py only marks the package
        assert any(within(name, rule) for rule in drawn), f"{name} is not in the drawing of tests/test_layers.py"
    for rule in drawn:
        assert any(within(name, rule) for name in our_modules(ROOT)), f"the drawing names {rule}, which does not exist"


def test_every_import_follows_an_arrow_of_the_drawing():
    assert violations(ROOT, drawing()) == []


def test_the_drawing_points_down():
    """The layers the drawing lets each layer import form no cycle (two layers never import each other)."""
    rules = drawing()
    edges = {importer: {r for r in rules if r != importer and any(within(r, a) or within(a, r) for a in allowed)}
             for importer, allowed in rules.items()}
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in edges[node]:
            assert state.get(nxt) != "open", "cycle in the drawing: " + " -> ".join(path + [nxt])
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in rules:
        if node not in state:
            visit(node, [node])


FORBIDDEN = {
    "bot/answering/peek.py": "def peek():\n    from bot.ingestion import ledger\n    return ledger\n",
    "adapters/sneaky.py": "import storage.db\n",
    "storage/upward.py": "from bot.chat.dispatch import Bot\n",
    "bot/text/benchy.py": "import importlib\nrunner = importlib.import_module('bench.corpus')\n",
    "bot/delivery/platform.py": "def send():\n    import telegram\n    return telegram\n",
    "bot/embedding/relative.py": "from ..ingestion import pipeline\n",
}


@pytest.fixture
def tree(tmp_path):
    """A copy of our packages' sources, to add forbidden imports to."""
    for name, path in our_modules(ROOT).items():
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_the_checker_passes_the_copy_and_fails_each_forbidden_import(tree):
    rules = drawing()
    assert violations(tree, rules) == []
    for relative, source in FORBIDDEN.items():
        path = tree / relative
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        found = violations(tree, rules)
        assert len(found) == 1 and found[0].startswith(relative), (relative, found)
        path.unlink()
    assert violations(tree, rules) == []


def test_a_module_outside_the_drawing_is_reported(tree):
    (tree / "bot" / "stray.py").write_text("import bot.errors\n", encoding="utf-8")
    assert any("bot.stray" in v and "not in the drawing" in v for v in violations(tree, drawing()))
