"""Meta-tests of the bot's own conventions, over every command every cog registers.

Every command and option has a description; every command that is not for all members
carries the one permission check; top-level groups whose commands are all privileged are
hidden from members with default_member_permissions and members' groups hold only members'
commands; the README's quick-start commands are the ones CI runs. The layout's import rules
are in tests/test_layout.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from discord import app_commands

from bot.core.config import Settings
from bot.glue.app import Rankfile, cog_modules
from bot.glue.permissions import Access, access_of

ROOT = Path(__file__).resolve().parent.parent


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


async def test_commands_hidden_from_members_carry_the_run_time_check(tree):
    """Discord hides a group with default permissions, but a server can show it again: each of
    its commands must also check the role at run time."""
    unchecked = [
        f"/{command.qualified_name}"
        for top in tree.get_commands()
        if top.default_permissions is not None
        for command in leaves_of(top)
        if access_of(command) is Access.MEMBER or not command.checks
    ]
    assert unchecked == []


async def test_groups_members_see_hold_only_members_commands(tree):
    """An organizer's command inside a group members see would be listed to every member."""
    misplaced = [
        f"/{command.qualified_name} ({access_of(command).name.lower()})"
        for top in tree.get_commands()
        if top.default_permissions is None
        for command in leaves_of(top)
        if access_of(command) not in (Access.MEMBER, Access.CAT)
    ]
    assert misplaced == []


async def test_all_privileged_groups_are_hidden_from_members(tree):
    for top in tree.get_commands():
        commands = list(leaves_of(top))
        if commands and all(access_of(c) not in (Access.MEMBER, Access.CAT) for c in commands):
            assert top.default_permissions is not None, f"/{top.name} should be hidden"


def leaves_of(top):
    if isinstance(top, app_commands.Group):
        return [c for c in top.walk_commands() if isinstance(c, app_commands.Command)]
    return [top]


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
