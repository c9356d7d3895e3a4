"""Meta-tests of the bot's own conventions, over every command every cog registers.

Every command and option has a description; every command that is not for all members
carries the one permission check; top-level groups whose commands are all privileged are
hidden from members with default_member_permissions; domain modules do not import discord;
the README's quick-start commands are the ones CI runs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from discord import app_commands

from bot.core.config import Settings
from bot.glue.app import Rankfile, cog_modules
from bot.glue.permissions import Access, access_of

ROOT = Path(__file__).resolve().parent.parent
# Modules of bot/ that talk to Discord; every other module of bot/ is domain and must not.
GLUE = {
    "app",
    "ui",
    "permissions",
    "delivery_worker",
    "scheduler",
    "fake_discord",
    "driver",
    "sandbox",
    "cli",
    "__main__",
}


@pytest.fixture
async def tree(tmp_path):
    bot = Rankfile(Settings(db_path=tmp_path / "x.db"))
    for module in cog_modules():
        await bot.load_extension(module)
    yield bot.tree
    await bot.close()


def leaves(tree: app_commands.CommandTree):
    for top in tree.get_commands():
        if isinstance(top, app_commands.Group):
            yield from (c for c in top.walk_commands() if isinstance(c, app_commands.Command))
        elif isinstance(top, app_commands.Command):
            yield top


async def test_every_command_and_option_is_described(tree):
    missing = []
    for command in leaves(tree):
        if not command.description or command.description == "…":
            missing.append(f"/{command.qualified_name}")
        for param in command.parameters:
            if not param.description or param.description == "…":
                missing.append(f"/{command.qualified_name} {param.name}:")
    assert missing == []


async def test_privileged_commands_carry_the_run_time_check(tree):
    for command in leaves(tree):
        access = access_of(command)
        if access is Access.MEMBER:
            continue
        assert command.checks, f"/{command.qualified_name} needs requires({access})"


async def test_all_privileged_groups_are_hidden_from_members(tree):
    for top in tree.get_commands():
        commands = list(leaves_of(top))
        if commands and all(access_of(c) not in (Access.MEMBER, Access.CAT) for c in commands):
            assert top.default_permissions is not None, f"/{top.name} should be hidden"


def leaves_of(top):
    if isinstance(top, app_commands.Group):
        return [c for c in top.walk_commands() if isinstance(c, app_commands.Command)]
    return [top]


def test_domain_modules_do_not_import_discord():
    offenders = []
    for path in sorted((ROOT / "bot").glob("*.py")):
        if path.stem in GLUE or path.stem.startswith("cli_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "discord" or n.startswith("discord.") for n in names):
                offenders.append(path.name)
    assert offenders == []


def test_readme_quick_start_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = re.search(r"TEST_COMMAND='([^']+)'", ci).group(1)
    assert test_command in readme
    assert "rankfile sandbox" in readme


def test_readme_data_section_is_the_privacy_declaration():
    from bot import privacy

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert privacy.data_section().strip() in readme, "run `rankfile privacy data` into README"
