"""The public site: a static bargaining page, an Atom feed of updates, an .ics calendar of
events and a JSON file of the tracker, built from what organizers marked public, for the
members who are not in the Discord server.

The package's modules: `settings` (what a server publishes, its title and address, the
folder), `gather` (the public content, in dataclasses that cannot hold a member), `strings`
(every word shown, the catalogue), `render` (Jinja2 templates in `templates/`, the stylesheet
in `static/`), `builder` (writing the folder atomically), `rebuild` (the debounced rebuild
after each change, the nightly one), `demo`, `personal_data`. No discord import.
"""

from __future__ import annotations

from bot.core import timers
from bot.site import rebuild
from bot.site.builder import MARKER, Built, build, render_and_write, write_site
from bot.site.demo import load_demo
from bot.site.gather import Snapshot, gather
from bot.site.personal_data import PUBLISHED
from bot.site.rebuild import REBUILD, on_audit, request_rebuild, settled
from bot.site.render import render_site
from bot.site.settings import (
    SECTIONS,
    SiteSettings,
    configure,
    set_folder,
    set_public,
)
from bot.site.settings import get as get_settings

__all__ = [
    "MARKER",
    "PUBLISHED",
    "REBUILD",
    "SECTIONS",
    "TIMERS",
    "Built",
    "SiteSettings",
    "Snapshot",
    "build",
    "configure",
    "gather",
    "get_settings",
    "load_demo",
    "on_audit",
    "render_and_write",
    "render_site",
    "request_rebuild",
    "set_folder",
    "set_public",
    "settled",
    "write_site",
]

# Timer kinds handled by the site; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {**rebuild.TIMERS}
