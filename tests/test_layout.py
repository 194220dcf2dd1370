"""The house shows its architecture, and these rules keep it from drifting.

bot/ holds what every wing shares; each wing (ingest, incidents, claims, slack, demo) names in its
__init__ what the others may use; db/ holds every SQL statement; only the Slack wing and handlers/
speak Slack.
"""

from __future__ import annotations

import ast
import importlib

import pytest

from tests.conftest import REPO

WINGS = ("ingest", "incidents", "claims", "slack", "demo")
MAX_LINES = 400  # "about 400": a module past this has more than one job
SQL_START = ("select ", "insert ", "update ", "delete ", "with ", "create ", "drop ", "alter ", "pragma ")


def product_modules():
    for folder in ("bot", "db", "handlers"):
        yield from sorted((REPO / folder).rglob("*.py"))


def rel(path) -> str:
    return str(path.relative_to(REPO))


def imports(path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement of a file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((module, [alias.name for alias in node.names]))
    return found


def wing_of(path) -> str | None:
    parts = path.relative_to(REPO).parts
    return parts[1] if parts[0] == "bot" and len(parts) > 2 and parts[1] in WINGS else None


def test_only_the_slack_wing_and_handlers_speak_slack():
    offenders = [rel(p) for p in product_modules()
                 if not (rel(p).startswith("bot/slack/") or rel(p).startswith("handlers/"))
                 and any(m.split(".")[0] in ("slack_sdk", "slack_bolt") for m, _ in imports(p))]
    assert offenders == []


def test_every_sql_statement_lives_in_db():
    offenders = []
    for path in product_modules():
        if rel(path).startswith("db/"):
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("execute", "executemany", "executescript", "query"):
                offenders.append(f"{rel(path)}:{node.lineno} .{node.func.attr}(")
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "db":
                offenders.append(f"{rel(path)}:{node.lineno} db[...] table access")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    node.value.lstrip().lower().startswith(SQL_START) and " from " in node.value.lower():
                offenders.append(f"{rel(path)}:{node.lineno} SQL text")
    assert offenders == []


def test_db_depends_on_nothing_of_bot_but_its_models():
    offenders = [(rel(p), m) for p in sorted((REPO / "db").glob("*.py")) for m, _ in imports(p)
                 if m.split(".")[0] == "bot" and m != "bot.models"]
    assert offenders == []


@pytest.mark.parametrize("wing", WINGS)
def test_a_wing_is_used_only_through_what_its_init_names(wing):
    package = importlib.import_module(f"bot.{wing}")
    public = set(getattr(package, "__all__", ()))
    assert public, f"bot/{wing}/__init__.py names nothing in __all__"
    for name in public:
        assert getattr(package, name) is not None  # every name it promises exists
    offenders = []
    for path in product_modules():
        if wing_of(path) == wing:
            continue
        for module, names in imports(path):
            if module == f"bot.{wing}" or module.startswith(f"bot.{wing}."):
                outside = [n for n in names if n not in public]
                if outside or not names:
                    offenders.append(f"{rel(path)}: from {module} import {', '.join(outside or ['(module)'])}")
    assert offenders == [], f"add to bot/{wing}/__init__.py's __all__, or keep it inside the wing"


def test_no_module_is_longer_than_about_400_lines():
    long = {rel(p): n for p in product_modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
