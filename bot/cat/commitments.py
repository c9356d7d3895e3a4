"""What joining the CAT asks, the training a volunteer attended, and the assessment scale.

Each server may word its own commitments and rename the scale's levels; until it does,
common CAT practice applies. A level's number never changes, and one in use is never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.cat import _forms, signups
from bot.core import audit
from bot.core.db import Database, to_db
from bot.core.errors import Conflict, NotFound, UserError

# What joining asks, from common CAT practice (SEIU 521's five commitments, Labor Notes).
COMMITMENTS = (
    "Turn out to actions, and help turn my coworkers out",
    "Hold one-on-one conversations with the coworkers I work with, and bring back what I hear",
    "Carry bargaining surveys and petitions",
    "Come to regular CAT meetings",
    "Attend a CAT training",
)
COMMITMENT_MAX = 200
# The assessment scale as unions print it: 1 is the strongest support; 0 is "not assessed".
DEFAULT_LEVELS = {1: "leader", 2: "supporter", 3: "undecided", 4: "not interested", 5: "opposed"}
NOT_ASSESSED = "not assessed"
SCALE_NOTE = "1 is the strongest support, 5 the strongest opposition; 0 is not assessed."
LABEL_MAX = 40

LEVEL_ROWS = "SELECT * FROM cat_level WHERE guild_id = ?"
UPSERT_LEVEL = (
    "INSERT INTO cat_level (guild_id, level, label, retired) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (guild_id, level) DO UPDATE SET label = excluded.label, "
    "retired = excluded.retired"
)
LEVEL_IN_USE = (
    "SELECT coalesce(sum(count), 0) FROM cat_conversation WHERE guild_id = ? AND level = ?"
)
COMMITMENT_ROWS = "SELECT text FROM cat_commitment WHERE guild_id = ? ORDER BY id"
ADD_COMMITMENT = (
    "INSERT INTO cat_commitment (guild_id, text, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
REMOVE_COMMITMENT = "DELETE FROM cat_commitment WHERE guild_id = ? AND text = ?"
SET_TRAINING = (
    "UPDATE cat_volunteer SET training_at = ?, updated_at = ? WHERE guild_id = ? AND user_id = ?"
)


@dataclass(frozen=True)
class Scale:
    """The server's 1-5 scale: each level's label and whether it is offered; 1 is strongest."""

    labels: dict[int, str]
    retired: frozenset[int]

    def label(self, level: int) -> str:
        """The label of a level ("not assessed" for 0)."""
        return NOT_ASSESSED if level == 0 else self.labels[level]

    @property
    def offered(self) -> dict[int, str]:
        """The levels a volunteer can pick now (0 included)."""
        return {0: NOT_ASSESSED} | {k: v for k, v in self.labels.items() if k not in self.retired}


async def scale(db: Database, guild_id: int) -> Scale:
    """The server's assessment scale (defaults where it renamed nothing)."""
    labels = dict(DEFAULT_LEVELS)
    retired = set()
    for r in await db.fetchall(LEVEL_ROWS, (guild_id,)):
        labels[r["level"]] = r["label"]
        if r["retired"]:
            retired.add(r["level"])
    return Scale(labels, frozenset(retired))


async def level_labels(db: Database, guild_id: int) -> dict[int, str]:
    """The levels offered when logging, 0 (not assessed) to 5, with the server's labels."""
    return (await scale(db, guild_id)).offered


def _level(level: int) -> int:
    if not 1 <= level <= 5:
        raise UserError(f"Levels run from 1 to 5 ({SCALE_NOTE}); 0 can't be changed.")
    return level


async def rename_level(
    db: Database, guild_id: int, level: int, label: str, actor_id: int, now: datetime
) -> Scale:
    """Give a level the server's own label (audited); its number never changes."""
    text = _forms.clean(label, "label", LABEL_MAX)
    async with db.transaction():
        current = await scale(db, guild_id)
        retired = int(_level(level) in current.retired)
        await db.execute(UPSERT_LEVEL, (guild_id, level, text, retired))
        await audit.record(db, guild_id, actor_id, "cat.level_rename", f"level {level}", text, now)
    return await scale(db, guild_id)


async def retire_level(
    db: Database, guild_id: int, level: int, actor_id: int, now: datetime
) -> Scale:
    """Stop offering a level no log uses (audited); a level in use is never deleted."""
    async with db.transaction():
        current = await scale(db, guild_id)
        used = int(await db.fetchval(LEVEL_IN_USE, (guild_id, _level(level)), 0))
        if used:
            raise Conflict(
                f"Level {level} ({current.label(level)}) is in use by {used} logged "
                "conversation(s): a level in use is never deleted or renumbered. You can rename "
                "it with `/catteam levels rename`."
            )
        await db.execute(UPSERT_LEVEL, (guild_id, level, current.label(level), 1))
        await audit.record(db, guild_id, actor_id, "cat.level_retire", f"level {level}", None, now)
    return await scale(db, guild_id)


async def restore_level(
    db: Database, guild_id: int, level: int, actor_id: int, now: datetime
) -> Scale:
    """Offer a retired level again (audited)."""
    async with db.transaction():
        current = await scale(db, guild_id)
        await db.execute(UPSERT_LEVEL, (guild_id, _level(level), current.label(level), 0))
        await audit.record(db, guild_id, actor_id, "cat.level_restore", f"level {level}", None, now)
    return await scale(db, guild_id)


async def commitment_list(db: Database, guild_id: int) -> list[str]:
    """What joining asks in this server (common CAT practice until the server sets its own)."""
    rows = await db.fetchall(COMMITMENT_ROWS, (guild_id,))
    return [r["text"] for r in rows] or list(COMMITMENTS)


async def _copy_default_commitments(db: Database, guild_id: int, now: datetime) -> None:
    if not await db.fetchall(COMMITMENT_ROWS, (guild_id,)):
        for text in COMMITMENTS:
            await db.execute(ADD_COMMITMENT, (guild_id, text, to_db(now)))


async def add_commitment(
    db: Database, guild_id: int, text: str, actor_id: int, now: datetime
) -> list[str]:
    """Add a commitment to the server's list (the first change copies the defaults); audited."""
    clean = _forms.clean(text, "commitment", COMMITMENT_MAX)
    async with db.transaction():
        await _copy_default_commitments(db, guild_id, now)
        if not await db.execute(ADD_COMMITMENT, (guild_id, clean, to_db(now))):
            raise Conflict("That commitment is already on the list.")
        await audit.record(db, guild_id, actor_id, "cat.commitment_add", None, clean, now)
    return await commitment_list(db, guild_id)


async def remove_commitment(
    db: Database, guild_id: int, number: int, actor_id: int, now: datetime
) -> list[str]:
    """Take commitment number `number` (1-based, as listed) off the list; audited. The list
    never becomes empty: joining always asks for something."""
    async with db.transaction():
        await _copy_default_commitments(db, guild_id, now)
        listed = await commitment_list(db, guild_id)
        if not 1 <= number <= len(listed):
            raise UserError(f"Pick a number from 1 to {len(listed)} (see `/cat commitments`).")
        if len(listed) == 1:
            raise UserError("Joining must ask for at least one commitment: add another first.")
        await db.execute(REMOVE_COMMITMENT, (guild_id, listed[number - 1]))
        await audit.record(
            db, guild_id, actor_id, "cat.commitment_remove", None, listed[number - 1], now
        )
    return await commitment_list(db, guild_id)


async def record_training(
    db: Database, guild_id: int, user_id: int, day: str, actor_id: int, now: datetime
) -> signups.Volunteer:
    """A coordinator records the date a volunteer attended a CAT training (audited)."""
    try:
        parsed = datetime.strptime(day.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise UserError("Give the training date as YYYY-MM-DD, e.g. 2024-07-02.") from exc
    if parsed > now + timedelta(days=1):
        raise UserError("That date is in the future: record a training once it took place.")
    async with db.transaction():
        volunteer = await signups.get_volunteer(db, guild_id, user_id)
        if volunteer is None:
            raise NotFound("That member has not signed up for the CAT.")
        await db.execute(SET_TRAINING, (to_db(parsed), to_db(now), guild_id, user_id))
        await audit.record(
            db, guild_id, actor_id, "cat.training", f"cat_volunteer:{volunteer.id}", None, now
        )
    return await signups.get_volunteer(db, guild_id, user_id)  # type: ignore[return-value]
