"""/help: every command this member may use, one part per role they hold (a select switches
parts), and who they are in words ("You're a member; as an organizer you also have ...")."""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.render import Colour, Limits, embed, truncate
from bot.glue import ui
from bot.glue.app import Rankfile
from bot.glue.permissions import Access, access_levels, audience_of

# The /cat commands that only make sense to a CAT volunteer (the others, join, leave, status and
# commitments, are for anyone thinking of joining). Until cogs/cat marks them with
# `permissions.shown_to(Access.CAT)`, /help reads the list here.
FOR_CAT_VOLUNTEERS = frozenset({"cat log", "cat coverage", "cat unit", "cat mylogs", "cat details"})
# Who each level is, in words, and the title of its part of /help.
WHO = {
    Access.CAT: "a CAT volunteer",
    Access.COORDINATOR: "a CAT coordinator",
    Access.ORGANIZER: "an organizer",
    Access.ADMIN: "a server admin",
}
PART_TITLE = {
    Access.MEMBER: "For every member",
    Access.CAT: "For CAT volunteers",
    Access.COORDINATOR: "For CAT coordinators",
    Access.ORGANIZER: "For organizers",
    Access.ADMIN: "For server admins",
}
SELECT_ID = "rf:help:part"
# Room for one part's embed: under Discord's 6000 characters, with the description and title.
PART_BUDGET = 4800
FIELDS_PER_PART = 20


@dataclass(frozen=True)
class Part:
    """One page of /help: a role's commands (or a share of them), grouped by top-level name."""

    key: str
    title: str
    fields: tuple[tuple[str, str], ...]


def audience(command: app_commands.Command) -> Access:
    """Who a command is for: its `shown_to` or `requires` level (a few /cat ones: volunteers)."""
    level = audience_of(command)
    if level is Access.MEMBER and command.qualified_name in FOR_CAT_VOLUNTEERS:
        return Access.CAT
    return level


def _by_top(tree: app_commands.CommandTree) -> list[tuple[str, list[tuple[Access, str]]]]:
    groups: list[tuple[str, list[tuple[Access, str]]]] = []
    for top in sorted(tree.get_commands(), key=lambda c: c.name):
        if not isinstance(top, app_commands.Command | app_commands.Group):
            continue
        leaves = list(top.walk_commands()) if isinstance(top, app_commands.Group) else [top]
        lines = [
            (audience(leaf), f"`/{leaf.qualified_name}` {leaf.description}")
            for leaf in leaves
            if isinstance(leaf, app_commands.Command)
        ]
        if lines:
            groups.append((top.name, lines))
    return groups


def parts(tree: app_commands.CommandTree, levels: set[Access]) -> list[Part]:
    """Every part of /help for these levels, in order; none cut short: a long group continues
    in a second field, a long part in a second page."""
    out: list[Part] = []
    by_top = _by_top(tree)
    for level in Access:
        if level not in levels:
            continue
        fields: list[tuple[str, str]] = []
        for name, lines in by_top:
            mine = [line for for_whom, line in lines if for_whom is level]
            fields += _fields(f"/{name}", mine)
        pages = _pages(fields)
        for n, page in enumerate(pages, start=1):
            title = PART_TITLE[level] + (f" ({n} of {len(pages)})" if len(pages) > 1 else "")
            out.append(Part(f"{level.name.lower()}:{n}", title, tuple(page)))
    return out


def _fields(name: str, lines: list[str]) -> list[tuple[str, str]]:
    """A group's lines as fields of at most 1024 characters: "/catteam", "/catteam (more)"."""
    fields: list[tuple[str, str]] = []
    chunk: list[str] = []
    for line in lines:
        line = truncate(line, Limits.FIELD_VALUE)
        if chunk and len("\n".join([*chunk, line])) > Limits.FIELD_VALUE:
            fields.append((name if not fields else f"{name} (more)", "\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        fields.append((name if not fields else f"{name} (more)", "\n".join(chunk)))
    return fields


def _pages(fields: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    pages: list[list[tuple[str, str]]] = [[]]
    size = 0
    for name, value in fields:
        grown = size + len(name) + len(value)
        if pages[-1] and (grown > PART_BUDGET or len(pages[-1]) >= FIELDS_PER_PART):
            pages.append([])
            size = 0
        pages[-1].append((name, value))
        size += len(name) + len(value)
    return pages


def who_you_are(levels: set[Access]) -> str:
    """ "You're a member; as an organizer you also have ..." in words."""
    if Access.ADMIN in levels:
        return (
            "You're a server admin: every command is yours, in the parts of the menu below "
            "(members see the first part only)."
        )
    extra = [WHO[level] for level in Access if level in levels and level in WHO]
    if not extra:
        return "You're a member: here is everything you can use."
    roles = extra[0] if len(extra) == 1 else ", ".join(extra[:-1]) + " and " + extra[-1]
    return (
        f"You're a member; as {roles} you also have the commands in the other parts: "
        "pick one in the menu below."
    )


def part_embed(part: Part, levels: set[Access]) -> dict:
    """One part of /help as an embed."""
    return embed(
        f"rankfile: what you can do · {part.title}",
        "Where bargaining stands, what the words mean, when the town hall is, when the vote "
        f"closes and how to help. {who_you_are(levels)}",
        fields=[(name, value, False) for name, value in part.fields],
        colour=Colour.INFO,
    )


class PartSelect(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Select], template=re.escape(SELECT_ID)
):
    """The menu switching between the parts of /help (worked out again on each choice, so it
    answers after a restart and follows the member's roles)."""

    def __init__(self, select: discord.ui.Select | None = None) -> None:
        super().__init__(select or discord.ui.Select(custom_id=SELECT_ID, options=[]))

    @classmethod
    def build(cls, all_parts: list[Part], chosen: str) -> PartSelect:
        """The menu with every part, the chosen one shown as selected."""
        options = [
            discord.SelectOption(label=truncate(p.title, 100), value=p.key, default=p.key == chosen)
            for p in all_parts[: Limits.CHOICES]
        ]
        return cls(discord.ui.Select(custom_id=SELECT_ID, options=options))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> PartSelect:
        return cls(item)

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        levels = await access_levels(interaction)
        all_parts = parts(bot.tree, levels)
        values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
        chosen = next((p for p in all_parts if values and p.key == values[0]), all_parts[0])
        await ui.update(
            interaction, embeds=[part_embed(chosen, levels)], view=_menu(all_parts, chosen.key)
        )


def _menu(all_parts: list[Part], chosen: str) -> discord.ui.View | None:
    if len(all_parts) < 2:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PartSelect.build(all_parts, chosen))
    return view


class Help(commands.Cog):
    """Help for every member."""

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PartSelect)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PartSelect)

    @app_commands.command(name="help", description="What rankfile can do for you")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction) -> None:
        levels = await access_levels(interaction)
        all_parts = parts(self.bot.tree, levels)
        first = all_parts[0]
        view = _menu(all_parts, first.key)
        await ui.reply(
            interaction,
            embeds=[part_embed(first, levels)],
            ephemeral=True,
            **({"view": view} if view is not None else {}),
        )


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Help(bot))
