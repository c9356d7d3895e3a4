"""End-to-end tests of the fake Discord and the driver, with a small bot defined here.

The bot is a plain ``commands.Bot`` with slash commands of every option type, a subcommand
group, a persistent view, a modal, autocomplete, an ephemeral reply, a deferred followup, a
DM and a role change: what the real bot does, without depending on it.
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.sandbox.driver import Driver, DriverError
from bot.sandbox.fake import EPHEMERAL, FakeDiscord

NONE = discord.AllowedMentions.none()


class PanelView(discord.ui.View):
    """A persistent view: fixed custom_ids, no timeout, added in setup_hook."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(
        label="Remind me", custom_id="panel:remind", style=discord.ButtonStyle.primary
    )
    async def remind(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message(
            f"Reminder set for {interaction.user.name}", ephemeral=True, allowed_mentions=NONE
        )

    @discord.ui.select(
        custom_id="panel:pick",
        placeholder="Pick units",
        min_values=1,
        max_values=2,
        options=[
            discord.SelectOption(label="Grips", value="grips"),
            discord.SelectOption(label="Props", value="props"),
            discord.SelectOption(label="Editors", value="editors"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.edit_message(
            content=f"Picked: {', '.join(select.values)}", view=self
        )


class AskModal(discord.ui.Modal, title="Ask the committee"):
    """A modal with two text inputs."""

    question = discord.ui.TextInput(label="Question", custom_id="question", max_length=200)
    detail = discord.ui.TextInput(
        label="Details", custom_id="detail", style=discord.TextStyle.paragraph, required=False
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Got: {self.question.value} / {self.detail.value or '-'}",
            ephemeral=True,
            allowed_mentions=NONE,
        )


class TinyBot(commands.Bot):
    """The test bot."""

    async def setup_hook(self) -> None:
        self.add_view(PanelView())


def build_bot(fake: FakeDiscord) -> TinyBot:
    """A fresh test bot talking to the fake."""
    intents = discord.Intents.default()
    bot = TinyBot(
        command_prefix=commands.when_mentioned,
        intents=intents,
        connector=fake.connector(),
        guild_ready_timeout=0.01,
        help_command=None,
        allowed_mentions=NONE,
    )
    tree = bot.tree

    @tree.command(description="Echo the options back")
    @app_commands.describe(text="some text")
    async def echo(
        interaction: discord.Interaction,
        text: str,
        count: app_commands.Range[int, 1, 5] = 1,
        ratio: float = 1.0,
        loud: bool = False,
        who: discord.Member | None = None,
        where: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        parts = [text * count, f"ratio={ratio}", f"loud={loud}"]
        if who:
            parts.append(f"who={who.name}:{','.join(r.name for r in who.roles[1:])}")
        if where:
            parts.append(f"where={where.name}")
        if role:
            parts.append(f"role={role.name}")
        if file:
            data = await file.read()  # through the fake CDN
            parts.append(f"file={file.filename}:{len(data)}")
        await interaction.response.send_message(
            " ".join(parts), ephemeral=True, allowed_mentions=NONE
        )

    faq = app_commands.Group(name="faq", description="Frequently asked questions")
    admin = app_commands.Group(name="admin", description="Manage the FAQ", parent=faq)

    async def question_ac(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        qs = ["what is a TA", "what is an MOA", "when is the vote"]
        return [app_commands.Choice(name=q, value=q) for q in qs if current.lower() in q][:25]

    @faq.command(name="ask", description="Ask")
    @app_commands.autocomplete(question=question_ac)
    async def faq_ask(
        interaction: discord.Interaction, question: str, private: bool = False
    ) -> None:
        embed = discord.Embed(title=question[:256], description="An answer")
        embed.add_field(name="Source", value="the contract")
        embed.set_footer(text="FAQ")
        await interaction.response.send_message(
            embed=embed, ephemeral=private, allowed_mentions=NONE
        )

    @admin.command(name="add", description="Add an entry")
    async def faq_add(interaction: discord.Interaction, question: str) -> None:
        await interaction.response.send_message(
            f"added {question}", ephemeral=True, allowed_mentions=NONE
        )

    tree.add_command(faq)

    @tree.command(description="Organizers only")
    @app_commands.default_permissions(manage_guild=True)
    async def settings(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("settings", ephemeral=True)

    @tree.command(description="Post the panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Panel", view=PanelView(), allowed_mentions=NONE)

    @tree.command(description="Open a form")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(AskModal())

    @tree.command(description="Deferred then followup")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done later", ephemeral=True, allowed_mentions=NONE)
        await interaction.followup.send("second", ephemeral=True, allowed_mentions=NONE)

    @tree.command(description="DM me")
    async def dm(interaction: discord.Interaction) -> None:
        try:
            await interaction.user.send("hello in DM", allowed_mentions=NONE)
        except discord.Forbidden as e:
            await interaction.response.send_message(f"DMs closed ({e.code})", ephemeral=True)
            return
        await interaction.response.send_message("sent", ephemeral=True)

    @tree.command(description="Join a role")
    async def join(interaction: discord.Interaction, role: discord.Role) -> None:
        assert isinstance(interaction.user, discord.Member)
        try:
            await interaction.user.add_roles(role, reason="join")
        except discord.Forbidden as e:
            await interaction.response.send_message(f"cannot ({e.code})", ephemeral=True)
            return
        await interaction.response.send_message(f"joined {role.name}", ephemeral=True)

    @tree.command(description="Post to a channel")
    async def post(
        interaction: discord.Interaction, channel: discord.TextChannel, title: str
    ) -> None:
        await interaction.response.defer(ephemeral=True)
        msg = await channel.send(
            embed=discord.Embed(title=title),
            file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "data.csv"),
            allowed_mentions=NONE,
        )
        await interaction.followup.send(f"posted {msg.id}", ephemeral=True)

    @tree.command(description="Call a route the fake does not know")
    async def bans(interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        try:
            async for _ in interaction.guild.bans(limit=1):
                pass
        except discord.NotFound:
            pass
        await interaction.response.send_message("ok", ephemeral=True)

    return bot


@pytest.fixture
async def driver(fake: FakeDiscord, make_driver) -> Driver:
    return await make_driver(lambda: build_bot(fake))


async def test_login_ready_and_guild_state(fake: FakeDiscord, driver: Driver) -> None:
    bot = driver.bot
    assert bot is not None and bot.user is not None
    assert bot.user.id == fake.application_id
    guild = bot.get_guild(fake.demo.guild_id)
    assert guild is not None
    assert {c.name for c in guild.text_channels} >= {
        "general",
        "announcements",
        "updates",
        "committee",
        "cat",
    }
    assert guild.me.top_role.name == "rankfile"
    routes = {(r.method, r.route) for r in fake.requests}
    assert ("GET", "/users/@me") in routes and ("GET", "/oauth2/applications/@me") in routes


async def test_slash_options_of_every_type(
    fake: FakeDiscord, driver: Driver, tmp_path: Path
) -> None:
    f = tmp_path / "minutes.txt"
    f.write_bytes(b"twelve bytes")
    r = await driver.command(
        "alice",
        "/echo text: ab count: 2 ratio: 0.5 loud: yes who: @bob where: #announcements "
        f"role: @organizer file: {f}",
    )
    assert r.ephemeral
    assert r.content == (
        "abab ratio=0.5 loud=True who=bob:cat where=announcements role=organizer "
        "file=minutes.txt:12"
    )
    (cb,) = r.find("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert cb.query["with_response"] in ("1", "true", "True")
    assert cb.json["type"] == 4
    assert cb.json["data"]["flags"] == EPHEMERAL
    assert cb.json["data"]["allowed_mentions"] == {"parse": []}
    # the attachment was downloaded from the fake CDN
    assert any(req.route.startswith("/attachments/") for req in r.requests)


async def test_bad_command_lines_raise_clear_errors(driver: Driver) -> None:
    with pytest.raises(DriverError, match="unknown command /nope"):
        await driver.command("alice", "/nope")
    with pytest.raises(DriverError, match="out of range"):
        await driver.command("alice", "/echo text: a count: 9")
    with pytest.raises(DriverError, match="missing required option text"):
        await driver.command("alice", "/echo count: 2")
    with pytest.raises(DriverError, match="unknown user"):
        await driver.command("alice", "/echo text: a who: @zed")
    with pytest.raises(DriverError, match="needs a subcommand"):
        await driver.command("alice", "/faq")
    with pytest.raises(DriverError, match="hidden from alice"):
        await driver.command("alice", "/settings")


async def test_subcommand_group_and_permissions(driver: Driver) -> None:
    r = await driver.command("alice", "/faq admin add question: what is a TA")
    assert r.content == "added what is a TA"
    assert (await driver.command("erin", "/settings")).content == "settings"
    r = await driver.command("alice", "/settings", ignore_default_permissions=True)
    assert r.content == "settings"


async def test_autocomplete_and_embed_reply(driver: Driver) -> None:
    choices = await driver.autocomplete("alice", "/faq ask question: what")
    assert [c["name"] for c in choices] == ["what is a TA", "what is an MOA"]
    r = await driver.command("alice", "/faq ask question: what is a TA private: true")
    assert r.ephemeral
    assert r.embeds[0]["title"] == "what is a TA"
    assert r.embeds[0]["fields"][0] == {"name": "Source", "value": "the contract", "inline": True}
    r = await driver.command("alice", '/faq ask question: "quoted: value"')
    assert not r.ephemeral and r.embeds[0]["title"] == "quoted: value"


async def test_persistent_button_select_and_restart(fake: FakeDiscord, driver: Driver) -> None:
    r = await driver.command("alice", "/panel")
    assert not r.ephemeral and r.reply is not None
    panel_id = int(r.reply["id"])
    r = await driver.click("bob", "Remind me")
    assert r.ephemeral and r.content == "Reminder set for bob"
    assert r.payload is not None and r.payload["message"]["id"] == str(panel_id)
    r = await driver.select("carol", "panel:pick", ["grips", "Props"])
    assert r.callback_type == 7 and r.content == "Picked: grips, props"
    assert fake.message(panel_id)["content"] == "Picked: grips, props"
    await driver.restart()
    r = await driver.click("dave", "panel:remind")
    assert r.content == "Reminder set for dave"
    # ephemeral replies are visible only to their member
    with pytest.raises(DriverError):
        await driver.find_component("alice", "nothing")


async def test_modal_open_and_submit(driver: Driver) -> None:
    with pytest.raises(DriverError, match="no modal is open"):
        await driver.submit("alice", {"question": "x"})
    r = await driver.command("alice", "/form")
    assert r.modal is not None and r.modal["title"] == "Ask the committee"
    assert r.reply is None
    with pytest.raises(DriverError, match="no field"):
        await driver.submit("alice", {"nope": "x"})
    r = await driver.submit("alice", {"Question": "When is the vote?"})
    assert r.content == "Got: When is the vote? / -"


async def test_deferred_then_followups(driver: Driver) -> None:
    r = await driver.command("alice", "/later")
    assert r.callback_type == 5
    assert r.content == "done later" and r.ephemeral
    assert [m.content for m in r.messages] == ["done later", "second"]
    follow = r.find("POST", "/webhooks/{webhook_id}/{webhook_token}")
    assert len(follow) == 2 and all(f.query.get("wait") in ("1", "true") for f in follow)


async def test_dm_open_then_closed(fake: FakeDiscord, driver: Driver) -> None:
    r = await driver.command("alice", "/dm")
    assert r.content == "sent"
    (dm,) = r.dms()
    assert dm.channel_name == "DM to alice" and dm.content == "hello in DM"
    n_dm_channels = len(fake.requests_to("POST", "/users/@me/channels"))
    fake.set_dms_open(fake.demo.user("alice"), False)
    r = await driver.command("alice", "/dm")
    assert r.content == "DMs closed (50007)"
    post = r.find("POST", "/channels/{channel_id}/messages")[-1]
    assert post.status == 403
    assert len(fake.dm_channels) == 1  # one DM channel per user, reused
    assert n_dm_channels >= 1


async def test_role_add_and_hierarchy(fake: FakeDiscord, driver: Driver) -> None:
    r = await driver.command("alice", "/join role: cat")
    assert r.content == "joined cat"
    (put,) = r.find("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    assert put.headers.get("X-Audit-Log-Reason") == "join"
    assert (
        fake.demo.role("cat")
        in fake.guilds[fake.demo.guild_id].members[fake.demo.user("alice")].roles
    )
    r = await driver.command("alice", "/join role: admin")
    assert r.content == "cannot (50013)"


async def test_429_with_via_is_retried(fake: FakeDiscord, driver: Driver) -> None:
    fake.inject("POST", "/channels/{channel_id}/messages", 429, retry_after=0.01)
    r = await driver.command("carol", "/post channel: #updates title: Bargaining update")
    posts = r.find("POST", "/channels/{channel_id}/messages")
    assert [p.status for p in posts] == [429, 200]
    assert fake.count_429 == 1
    assert r.content.startswith("posted ")
    (msg,) = [m for m in r.messages if m.channel_name == "#updates"]
    assert msg.attachments[0]["filename"] == "data.csv" and msg.attachments[0]["size"] == 8
    assert posts[1].files == [("data.csv", b"a,b\n1,2\n")]


async def test_429_without_via_is_the_ban_path(fake: FakeDiscord, driver: Driver) -> None:
    fake.inject("POST", "/channels/{channel_id}/messages", 429, retry_after=0.01, via=False)
    await driver.command("carol", "/post channel: #updates title: x")
    assert len(fake.requests_to("POST", "/channels/{channel_id}/messages")) == 1
    assert any("429" in str(e) for e in driver.errors)
    driver.errors.clear()


async def test_500_is_retried(fake: FakeDiscord, driver: Driver) -> None:
    # discord.py sleeps 1 s before retrying a 5xx: the one slow test here.
    fake.inject("POST", "/channels/{channel_id}/messages", 500)
    r = await driver.command("carol", "/post channel: #updates title: x")
    assert [p.status for p in r.find("POST", "/channels/{channel_id}/messages")] == [500, 200]


async def test_deleted_channel_and_departed_member(fake: FakeDiscord, driver: Driver) -> None:
    bot = driver.bot
    assert bot is not None
    cid = fake.demo.channel("cat")
    fake.remove_channel(cid)
    with pytest.raises(discord.NotFound) as e:
        await bot.http.send_message(cid, params=discord.http.handle_message_parameters(content="x"))
    assert e.value.code == 10003
    fake.remove_member(fake.demo.guild_id, fake.demo.user("bob"))
    with pytest.raises(discord.NotFound) as e:
        await bot.http.get_member(fake.demo.guild_id, fake.demo.user("bob"))
    assert e.value.code == 10007
    await fake.delete_channel(fake.demo.channel("updates"))
    await driver.settle()
    assert bot.get_channel(fake.demo.channel("updates")) is None


async def test_bot_hears_its_own_messages(fake: FakeDiscord, make_driver) -> None:
    seen: list[str] = []

    def make() -> TinyBot:
        bot = build_bot(fake)  # Intents.default(): guild and DM messages

        @bot.listen()
        async def on_message(message: discord.Message) -> None:
            seen.append(message.content)

        return bot

    driver = await make_driver(make)
    await driver.command("alice", "/panel")
    await driver.command("alice", "/echo text: private")  # ephemeral: no gateway event
    await driver.command("alice", "/dm")
    assert seen == ["Panel", "hello in DM"]


async def test_gateway_drop_and_resume(fake: FakeDiscord, driver: Driver) -> None:
    await fake.drop_gateway()
    assert fake.resume_count == 1 and fake.identify_count == 1
    r = await driver.command("alice", "/echo text: still here")
    assert r.content.startswith("still here")
    # an interaction sent while the bot is away arrives with the RESUME
    await fake.drop_gateway(wait=False)
    r = await driver.command("alice", "/echo text: replayed")
    assert r.content.startswith("replayed") and fake.resume_count == 2


async def test_missing_spec_is_skipped_with_one_warning(monkeypatch, tmp_path: Path) -> None:
    from bot.sandbox.fake import spec

    monkeypatch.setenv("RANKFILE_DISCORD_SPEC", str(tmp_path / "absent.json"))
    monkeypatch.setattr(spec, "_SPEC_WARNED", False)
    f = FakeDiscord()
    with pytest.warns(UserWarning, match="not validated"):
        await f.start()
    try:
        assert f._spec is None
        g = FakeDiscord()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            await g.start()
        await g.close()
        assert not [w for w in caught if "not validated" in str(w.message)]  # said once
    finally:
        await f.close()


async def test_schema_catches_overlong_embed_title(fake: FakeDiscord, driver: Driver) -> None:
    if fake._spec is None:
        pytest.skip("Discord's OpenAPI spec is not available")
    await driver.command("carol", "/post channel: #updates title: " + "x" * 300)
    assert any("title" in e and "too long" in e for e in fake.schema_errors)
    fake.schema_errors.clear()


async def test_unknown_route_is_recorded(fake: FakeDiscord, driver: Driver) -> None:
    r = await driver.command("erin", "/bans")
    assert r.content == "ok"
    assert [u.route for u in fake.unknown_routes] == [f"/guilds/{fake.demo.guild_id}/bans"]
    fake.unknown_routes.clear()


async def test_command_sync_assigns_stable_ids(fake: FakeDiscord, driver: Driver) -> None:
    bot = driver.bot
    assert bot is not None
    first = await bot.tree.sync()
    again = await bot.tree.sync()
    assert [c.id for c in first] == [c.id for c in again]
    assert {c.name for c in first} >= {"echo", "faq", "panel"}
    r = await driver.command("alice", "/panel")
    assert r.payload is not None and int(r.payload["data"]["id"]) == next(
        c.id for c in first if c.name == "panel"
    )


async def test_errors_in_commands_are_captured(fake: FakeDiscord, make_driver) -> None:
    def make() -> TinyBot:
        bot = build_bot(fake)

        @bot.tree.command(description="crash")
        async def crash(interaction: discord.Interaction) -> None:
            raise RuntimeError("boom")

        return bot

    d = await make_driver(make)
    logging.getLogger("discord.app_commands.tree").disabled = False
    await d.command("alice", "/crash")
    assert any("boom" in str(e) for e in d.errors)
    d.errors.clear()


def build_bot_with_extras(fake: FakeDiscord) -> TinyBot:
    """The test bot plus commands for events, threads, bursts and a DM with a button."""
    bot = build_bot(fake)
    tree = bot.tree

    @tree.command(description="Create a town hall")
    async def townhall(interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild is not None
        start = discord.utils.utcnow() + __import__("datetime").timedelta(days=2)
        event = await interaction.guild.create_scheduled_event(
            name=name,
            start_time=start,
            end_time=start + __import__("datetime").timedelta(hours=1),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="Union hall",
        )
        await interaction.response.send_message(f"event {event.id}", ephemeral=True)
        msg = await interaction.original_response()
        assert isinstance(interaction.channel, discord.TextChannel)
        thread = await interaction.channel.create_thread(name=f"{name} questions")
        await thread.send("Ask here", allowed_mentions=NONE)
        await interaction.followup.send(f"thread {thread.id} after {msg.id}", ephemeral=True)

    @tree.command(description="Post several messages")
    async def burst(interaction: discord.Interaction, n: int) -> None:
        await interaction.response.defer(ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        for i in range(n):
            await interaction.channel.send(f"part {i}", allowed_mentions=NONE)
        await interaction.followup.send("sent all", ephemeral=True)

    @tree.command(description="DM me the panel")
    async def dmpanel(interaction: discord.Interaction) -> None:
        await interaction.user.send("Your panel", view=PanelView(), allowed_mentions=NONE)
        await interaction.response.send_message("check your DMs", ephemeral=True)

    @tree.command(description="Ask to confirm (a view with a timeout)")
    async def confirm(interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=60)
        button: discord.ui.Button = discord.ui.Button(label="Yes", custom_id="confirm:yes")

        async def yes(i: discord.Interaction) -> None:
            await i.response.edit_message(content="Confirmed", view=None)

        button.callback = yes
        view.add_item(button)
        await interaction.response.send_message("Sure?", view=view, ephemeral=True)

    return bot


async def test_view_with_timeout_does_not_block_settle(fake: FakeDiscord, make_driver) -> None:
    driver = await make_driver(lambda: build_bot_with_extras(fake))
    r = await driver.command("alice", "/confirm")
    assert r.content == "Sure?" and r.ephemeral
    with pytest.raises(DriverError):
        await driver.click("bob", "Yes")  # ephemeral: only alice sees it
    r = await driver.click("alice", "Yes")
    assert r.callback_type == 7 and r.content == "Confirmed" and r.reply["components"] == []


async def test_scheduled_event_and_thread(fake: FakeDiscord, make_driver) -> None:
    driver = await make_driver(lambda: build_bot_with_extras(fake))
    r = await driver.command("carol", "/townhall name: July town hall")
    (create,) = r.find("POST", "/guilds/{guild_id}/scheduled-events")
    assert create.json["entity_type"] == 3 and create.json["entity_metadata"] == {
        "location": "Union hall"
    }
    events = list(fake.guilds[fake.demo.guild_id].scheduled_events.values())
    assert [e["name"] for e in events] == ["July town hall"]
    assert r.content == f"event {events[0]['id']}"
    thread_post = next(m for m in r.messages if m.content == "Ask here")
    assert thread_post.channel_name == "#July town hall questions"
    assert r.messages[-1].content.startswith("thread ")


async def test_rate_limiter_paces_the_bot(fake: FakeDiscord, make_driver) -> None:
    driver = await make_driver(lambda: build_bot_with_extras(fake))
    fake.rate_limit(route_limits={"POST /channels/{channel_id}/messages": (2, 0.05)})
    r = await driver.command("carol", "/burst n: 5")
    posts = r.find("POST", "/channels/{channel_id}/messages")
    assert len(posts) == 5 and all(p.status == 200 for p in posts)
    # discord.py read the bucket headers and waited instead of hitting 429s
    assert fake.count_429 == 0
    assert posts[-1].at - posts[0].at >= 0.09
    fake.rate_limit_off()


async def test_rate_limiter_429s_are_retried(fake: FakeDiscord, make_driver) -> None:
    driver = await make_driver(lambda: build_bot_with_extras(fake))
    fake.rate_limit(route_limits={"POST /channels/{channel_id}/messages": (1, 0.05)})
    # a 429 the bot could not foresee: the bucket is spent by someone else (another process)
    limiter = fake._limiter
    assert limiter is not None
    limiter.check(
        "POST", "/channels/{channel_id}/messages", {"channel_id": str(fake.demo.channel("general"))}
    )
    r = await driver.command("carol", "/burst n: 1")
    statuses = [p.status for p in r.find("POST", "/channels/{channel_id}/messages")]
    assert statuses == [429, 200] and fake.count_429 == 1
    assert [m.content for m in r.messages if not m.ephemeral] == ["part 0"]


async def test_injected_delay(fake: FakeDiscord, driver: Driver) -> None:
    fake.inject(
        "POST", "/interactions/{interaction_id}/{interaction_token}/callback", None, delay=0.05
    )
    r = await driver.command("alice", "/echo text: slow")
    assert r.content.startswith("slow")
    (cb,) = r.find("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert cb.status == 200


async def test_button_in_a_dm(fake: FakeDiscord, make_driver) -> None:
    driver = await make_driver(lambda: build_bot_with_extras(fake))
    r = await driver.command("bob", "/dmpanel")
    (dm,) = r.dms()
    assert dm.channel_name == "DM to bob"
    with pytest.raises(DriverError):
        await driver.click("alice", "Remind me", message_id=dm.id)  # not alice's DM
    r = await driver.click("bob", "Remind me")
    assert r.payload is not None
    assert (
        r.payload["context"] == 1
        and "member" not in r.payload
        and r.payload["user"]["username"] == "bob"
    )
    assert r.content == "Reminder set for bob"
    assert fake.channel_label(int(r.reply["channel_id"])) == "DM to bob"


async def test_second_guild(fake: FakeDiscord, make_driver) -> None:
    other = fake.add_guild("Local 700")
    alice = fake.user_named("alice")
    fake.add_member(other, alice)
    driver = await make_driver(lambda: build_bot(fake), guild=other)
    assert driver.bot is not None and len(driver.bot.guilds) == 2
    r = await driver.command("alice", "/echo text: hi where: #general")
    assert r.payload is not None and r.payload["guild_id"] == str(other.id)
    assert r.payload["data"]["resolved"]["channels"][str(other.channel_named("general").id)]
    with pytest.raises(DriverError, match="not a member"):
        await driver.command("bob", "/echo text: hi")


async def test_nonce_dedup_and_injected_403(fake: FakeDiscord, driver: Driver) -> None:
    bot = driver.bot
    assert bot is not None
    channel = bot.get_channel(fake.demo.channel("updates"))
    assert isinstance(channel, discord.TextChannel)
    # enforce_nonce: a retried send with the same nonce returns the first message (Discord)
    first = await channel.send("update", nonce=424242, allowed_mentions=NONE)
    again = await channel.send("update", nonce=424242, allowed_mentions=NONE)
    assert first.id == again.id and len(fake.channel_messages(channel.id)) == 1
    fake.inject(
        "POST", "/channels/{channel_id}/messages", 403, code=50001, message="Missing Access"
    )
    with pytest.raises(discord.Forbidden) as e:
        await channel.send("x", allowed_mentions=NONE)
    assert e.value.code == 50001
