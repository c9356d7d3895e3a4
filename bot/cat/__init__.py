"""The Contract Action Team: volunteers, their sign-ups, conversation logs and coverage.

The capability's public face: what cogs, other capabilities and tests call, re-exported
from the modules that hold it (`from bot import cat; cat.sign_up(...)`), and the timer
kinds `bot.wiring` registers at start-up.

- `signups`: volunteers, joining, leaving, approval, removal, the roster and its CSV
- `conversations`: logging one-on-ones, the concerns offered, the logs read back
- `reports`: coverage per unit and shift, the unit tree, one unit's levels and pulse
- `charts`: those as PNG charts
- `commitments`: what joining asks, training dates, the assessment scale
- `structure`: a unit's shifts, member counts and own target; a volunteer's list size
- `scope`: which units each coordinator sees
- `weekly`: the weekly digest, and `timing`: the CAT's week and the digest's timer
- `exports`: coordinators' views recorded for the transparency log, the logs' CSV export
- `departures`: what a volunteer or coordinator who left the server or lost the role loses
"""

from __future__ import annotations

from bot.cat.charts import coverage_chart, coverage_description, unit_chart, unit_description
from bot.cat.commitments import (
    COMMITMENTS,
    NOT_ASSESSED,
    SCALE_NOTE,
    Scale,
    add_commitment,
    commitment_list,
    level_labels,
    record_training,
    remove_commitment,
    rename_level,
    restore_level,
    retire_level,
    scale,
)
from bot.cat.conversations import (
    CONCERN_MAX,
    COUNT_MAX,
    DEFAULT_CONCERNS,
    MAX_CONCERNS,
    METHODS,
    LogEntry,
    Logged,
    add_concern,
    concern_list,
    log_conversations,
    logs,
    remove_concern,
)
from bot.cat.exports import logs_count, logs_csv, record_view
from bot.cat.reports import (
    DISTRIBUTION_DAYS,
    PULSE_DAYS,
    Coverage,
    ShiftCoverage,
    UnitCoverage,
    UnitReport,
    coverage,
    ratio_text,
    subtree_ids,
    unit_report,
    unit_tree,
)
from bot.cat.scope import (
    check_scope,
    coordinator_scope,
    coordinators,
    registered,
    scope_of,
    set_scope,
)
from bot.cat.signups import (
    STATUSES,
    SignUp,
    Volunteer,
    approve,
    conversations_logged,
    export_csv,
    get_volunteer,
    leave,
    remove,
    report_role_failure,
    roster,
    roster_count,
    set_role_state,
    sign_up,
)
from bot.cat.structure import (
    DEFAULT_RATIO,
    Shift,
    list_size_warnings,
    remove_shift,
    set_details,
    set_shift,
    set_unit,
    shifts,
    unit_ratio,
)
from bot.cat.timing import DIGEST_KIND
from bot.cat.weekly import Digest, digest, digest_message, fire_digest
from bot.core import timers

__all__ = [
    "COMMITMENTS",
    "CONCERN_MAX",
    "COUNT_MAX",
    "DEFAULT_CONCERNS",
    "DEFAULT_RATIO",
    "DIGEST_KIND",
    "DISTRIBUTION_DAYS",
    "MAX_CONCERNS",
    "METHODS",
    "NOT_ASSESSED",
    "PULSE_DAYS",
    "SCALE_NOTE",
    "STATUSES",
    "TIMERS",
    "Coverage",
    "Digest",
    "LogEntry",
    "Logged",
    "Scale",
    "Shift",
    "ShiftCoverage",
    "SignUp",
    "UnitCoverage",
    "UnitReport",
    "Volunteer",
    "add_commitment",
    "add_concern",
    "approve",
    "check_scope",
    "coordinator_scope",
    "commitment_list",
    "concern_list",
    "conversations_logged",
    "coordinators",
    "coverage",
    "coverage_chart",
    "coverage_description",
    "digest",
    "digest_message",
    "export_csv",
    "get_volunteer",
    "leave",
    "level_labels",
    "list_size_warnings",
    "log_conversations",
    "logs_count",
    "logs_csv",
    "logs",
    "ratio_text",
    "record_training",
    "record_view",
    "registered",
    "remove",
    "remove_commitment",
    "remove_concern",
    "remove_shift",
    "rename_level",
    "report_role_failure",
    "restore_level",
    "retire_level",
    "roster",
    "roster_count",
    "scale",
    "scope_of",
    "set_details",
    "set_role_state",
    "set_scope",
    "set_shift",
    "set_unit",
    "shifts",
    "sign_up",
    "subtree_ids",
    "unit_chart",
    "unit_description",
    "unit_ratio",
    "unit_report",
    "unit_tree",
]

# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {DIGEST_KIND: fire_digest}
