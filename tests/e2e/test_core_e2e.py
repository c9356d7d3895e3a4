"""The foundation end to end: /help, /setup, the permission check, the error handler."""

from __future__ import annotations


async def test_help_lists_what_a_member_may_use(rig):
    r = await rig.command("alice", "/help")
    assert r.ephemeral
    text = r.text
    assert "/help" in text
    assert "/setup show" not in text


async def test_setup_show_for_admin(rig):
    r = await rig.command("erin", "/setup show")
    assert r.ephemeral
    assert "setup is complete" in r.text


async def test_permission_check_refuses_a_member_and_lets_an_organizer_in(rig):
    # Discord hides /audit from alice; a server can override that, so the bot checks again.
    refused = await rig.command("alice", "/audit", ignore_default_permissions=True)
    assert refused.ephemeral
    assert f"<@&{rig.demo.role('organizer')}>" in refused.text
    callback = refused.find("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert callback[0].json["data"]["allowed_mentions"] == {"parse": []}  # the role is not pinged
    allowed = await rig.command("carol", "/audit")
    assert allowed.ephemeral
    assert "Audit log" in allowed.text


async def test_refusal_names_the_setup_option_when_the_role_is_not_set(rig):
    await rig.bot.db.execute("UPDATE guild_settings SET organizer_role_id = NULL")
    refused = await rig.command("carol", "/audit")
    assert "/setup roles organizer:" in refused.text


async def test_bad_input_gets_an_ephemeral_explanation(rig):
    r = await rig.command("erin", "/setup timezone zone: Atlantis/Capital")
    assert r.ephemeral
    assert "Use an IANA name such as" in r.text  # says how to fix it
    settings = await rig.bot.db.fetchval("SELECT timezone FROM guild_settings")
    assert settings == "America/Los_Angeles"  # nothing changed


async def test_unexpected_error_gets_an_error_id_and_is_logged_once(rig):
    import discord
    from discord import app_commands

    @app_commands.command(name="explode", description="Raises (test only)")
    async def explode(interaction: discord.Interaction) -> None:
        raise RuntimeError("secret member text must not reach the member")

    rig.bot.tree.add_command(explode)
    r = await rig.command("alice", "/explode")
    assert r.ephemeral
    assert "error id" in r.text
    assert "secret member text" not in r.text
    logged = [e for e in rig.driver.errors if "unexpected error" in str(e)]
    assert len(logged) == 1
    rig.driver.errors.clear()  # provoked on purpose


async def test_rate_limited_reply_is_retried(rig):
    rig.fake.inject(
        "POST", "/interactions/{interaction_id}/{interaction_token}/callback", 429, retry_after=0.05
    )
    r = await rig.command("alice", "/help")
    assert r.reply is not None and "rankfile" in r.text
    callbacks = r.find("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert [c.status for c in callbacks] == [429, 200]


async def test_settings_survive_a_restart_and_commands_are_not_resynced(rig):
    syncs = len(rig.fake.requests_to("PUT", "/applications/{application_id}/commands"))
    await rig.restart()
    assert len(rig.fake.requests_to("PUT", "/applications/{application_id}/commands")) == syncs
    r = await rig.command("erin", "/setup show")
    assert "setup is complete" in r.text


def _leaves(rig) -> set[str]:
    from discord import app_commands

    names = set()
    for top in rig.bot.tree.get_commands():
        leaves = top.walk_commands() if isinstance(top, app_commands.Group) else [top]
        names |= {c.qualified_name for c in leaves if isinstance(c, app_commands.Command)}
    return names


async def test_help_lists_every_command_an_admin_may_use_in_parts(rig):
    first = await rig.command("erin", "/help")
    assert "You're a server admin" in first.text
    [menu] = [c for row in first.reply["components"] for c in row["components"]]
    shown = first.text
    for option in menu["options"][1:]:
        part = await rig.select("erin", "rf:help:part", [option["value"]])
        assert option["label"] in part.text
        shown += part.text
    assert "…" not in shown and "more: —" not in shown
    missing = [name for name in _leaves(rig) if f"`/{name}`" not in shown]
    assert missing == []


async def test_help_says_who_you_are_and_shows_volunteer_commands_to_volunteers_only(rig):
    member = await rig.command("alice", "/help")
    assert "You're a member: here is everything you can use." in member.text
    assert "`/cat join`" in member.text and "`/cat log`" not in member.text
    assert "`/cat coverage`" not in member.text and "`/cat unit`" not in member.text
    assert not member.reply.get("components")  # one part: no menu
    volunteer = await rig.command("bob", "/help")
    assert "You're a member; as a CAT volunteer you also have" in volunteer.text
    part = await rig.select("bob", "rf:help:part", ["cat:1"])
    assert "`/cat log`" in part.text and "`/catteam roster`" not in part.text


async def test_audit_names_what_acted_when_no_member_did(rig):
    from bot import demo

    await demo.load(rig.db, rig.demo.guild_id, rig.clock.now())
    shown = await rig.command("carol", "/audit")
    assert "<@None>" not in shown.text
    assert "rankfile (command line) **faq.add**" in shown.text
