"""Members' data: what rankfile keeps about a member and why, and what members can do with it.

- `declaration`: the engine. Every capability declares its own tables beside its code
  (`PERSONAL_DATA`, see bot.core.personal_data); `bot.wiring` collects them at start-up with
  `declare`. It prints the README's data table and finds undeclared columns.
- `export`, `delete`: `/privacy export` and `/privacy delete`, driven by the declaration.
- `retention`: campaign close, removal from a server, the purge (timers `privacy.warn` and
  `privacy.purge`).
- `transparency`: the log members read with `/privacy log`.
- `checklist`: the safety checklist an admin acknowledges before the CAT accepts sign-ups.
- `personal_data`: this capability's own tables.
"""

from __future__ import annotations

from bot.core.personal_data import ANONYMISE, DELETE, KEEP, NotPersonal, Personal, Use
from bot.privacy.checklist import (
    CHECKLIST,
    acknowledge_checklist,
    checklist_acknowledged,
    require_checklist,
)
from bot.privacy.declaration import (
    data_section,
    declare,
    declared,
    declared_columns,
    select_sql,
    unclassified_columns,
)
from bot.privacy.delete import delete_member, on_delete, reapply_deletions
from bot.privacy.export import export_json, export_member
from bot.privacy.retention import (
    DEFAULT_RETENTION_DAYS,
    PURGE_TIMER,
    TIMERS,
    WARN_TIMER,
    Campaign,
    bot_added,
    bot_removed,
    campaign,
    close_campaign,
    purge_guild,
    reopen_campaign,
    set_retention,
    warning_message,
)
from bot.privacy.transparency import TRANSPARENCY, LogLine, my_record_log, transparency_log

__all__ = [
    "ANONYMISE",
    "CHECKLIST",
    "DEFAULT_RETENTION_DAYS",
    "DELETE",
    "KEEP",
    "PURGE_TIMER",
    "TIMERS",
    "TRANSPARENCY",
    "WARN_TIMER",
    "Campaign",
    "LogLine",
    "NotPersonal",
    "Personal",
    "Use",
    "acknowledge_checklist",
    "bot_added",
    "bot_removed",
    "campaign",
    "checklist_acknowledged",
    "close_campaign",
    "data_section",
    "declare",
    "declared",
    "declared_columns",
    "delete_member",
    "export_json",
    "export_member",
    "my_record_log",
    "on_delete",
    "purge_guild",
    "reapply_deletions",
    "reopen_campaign",
    "require_checklist",
    "select_sql",
    "set_retention",
    "transparency_log",
    "unclassified_columns",
    "warning_message",
]
