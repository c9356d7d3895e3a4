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
