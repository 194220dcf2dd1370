"""The README is the interface people read: it must not drift from the code."""

import re

from bot import config
from tests.conftest import REPO
from tests.test_cli import all_commands

README = (REPO / "README.md").read_text()


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_test_one():
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_every_command_is_documented():
    for command in all_commands():
        assert f"python -m bot {' '.join(command)}" in README or f"`{command[-1]}" in README, command


def test_every_environment_variable_is_documented():
    source = (REPO / "bot" / "config.py").read_text()
    for name in set(re.findall(r'env\.get\("([A-Z_]+)"', source)):
        assert name in README, name


def test_every_table_is_documented(tmp_path):
    from db import open_database

    db = open_database(tmp_path / "docs.db")
    for table in db.table_names():
        if table.startswith("_") or (table.startswith("items_fts") and table != "items_fts"):
            continue
        assert f"`{table}`" in README, table
    assert config.DEFAULT_DB.parent.name == "db"


def _section(text: str, heading: str) -> str:
    """The body under a Markdown heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading) + len(heading)
    ends = [text.find("\n" + "#" * n + " ", start) for n in range(1, len(level) + 1)]
    ends = [e for e in ends if e != -1]
    return text[start:min(ends) if ends else len(text)].strip()


def test_the_toll_rules_file_is_the_readme_text():
    rules = (REPO / "bot" / "incidents" / "toll_rules.md").read_text()
    heading = rules.splitlines()[0]
    assert _section(rules, heading) == _section(README, "#" + heading), \
        "bot/incidents/toll_rules.md and the README's toll rules differ: edit one, copy it to the other"


def test_every_module_is_in_the_readme_layout():
    layout = _section(README, "## Layout")
    missing = []
    for folder in ("bot", "db", "handlers"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path.name == "__init__.py" and path.parent.name not in ("bot", "demo"):
                continue
            relative = path.relative_to(REPO)
            # each line of the layout names a folder, then modules by file name
            if path.name not in layout or f"{relative.parent.name}/" not in layout:
                missing.append(str(relative))
    assert missing == [], "add these to the README's Layout section"
