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
