"""Every page of the site is valid HTML and meets WCAG 2.1 AA's basics, on a site that uses
every template (the demo, plus a unit with withheld details and proposals, an edited update
and a retracted one).

The validator is html5lib's parser in strict mode (any parse error of the HTML standard's
parsing algorithm fails: stray or unclosed tags, bad nesting, duplicate attributes, a missing
doctype), then checks of the parsed tree: the `lang` attribute, a viewport, one h1, headings
in order, landmarks, unique ids, table headers with a scope, no script, no form, a word in
every badge, each page under 100 KB, every link inside the site resolving to a file, and
nothing fetched from outside the page's folder (stylesheets and icons relative or data:).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import html5lib
import pytest

from bot import site, tracker, updates
from bot.core import units
from bot.site.render import STATIC
from tests.site.support import NOW, ZONE, built, demo_server
from tests.support import GUILD, fresh_db

ORG = 412000000000000001
PAGE_LIMIT = 100 * 1024


async def full_site(db, out: Path) -> dict[str, str]:
    await demo_server(db)
    unit = await units.add(db, GUILD, "999", "Local 999, Test Unit", None, NOW)
    ta = NOW - timedelta(days=30)
    await tracker.set_status(
        db, GUILD, "999", "negotiating", ORG, ta - timedelta(days=9), post_update=False
    )
    await tracker.set_status(db, GUILD, "999", "tentative_agreement", ORG, ta, post_update=False)
    await tracker.mark_withheld(
        db,
        GUILD,
        "999",
        "Other locals are still at the table",
        NOW - timedelta(days=2),
        ORG,
        ta,
        ZONE,
    )
    await tracker.add_proposal(db, GUILD, "999", "Wages", "employer", ORG, NOW, note="7% a year")
    closed = await tracker.add_proposal(db, GUILD, "999", "Turnaround", "union", ORG, NOW)
    await tracker.close_proposal(db, GUILD, closed.id, "Agreed", ORG, NOW)
    for title, public in (("Edited <update> & more", True), ("Wrong figure", True)):
        draft = updates.Draft(
            title,
            "First line\nsecond line\n\nhttps://example.org/x.",
            None,
            ("wages",),
            (unit,),
            public=public,
        )
        posted = await updates.publish(db, GUILD, ORG, draft, NOW, deliver=False)
    await updates.edit(
        db,
        GUILD,
        posted.id - 1,
        ORG,
        NOW,
        title="Edited <update> & more",
        body="New text.",
        source_url="https://example.org/source",
    )
    await updates.retract(db, GUILD, posted.id, ORG, NOW, note="The figure was wrong.")
    return await built(db, out)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    import asyncio

    async def make() -> dict[str, str]:
        tmp = tmp_path_factory.mktemp("site")
        db = await fresh_db(tmp)
        try:
            return await full_site(db, tmp / "out")
        finally:
            await db.close()

    return asyncio.run(make())


def parse(name: str, text: str) -> ET.Element:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        return parser.parse(text)
    except html5lib.html5parser.ParseError as error:
        line = getattr(parser, "errors", [])
        pytest.fail(f"{name} is not valid HTML: {error} {line[:1]}")


def html_pages(pages: dict[str, str]) -> list[str]:
    return [name for name in pages if name.endswith(".html")]


def test_the_site_uses_every_template(pages):
    names = set(html_pages(pages))
    for expected in (
        "index.html",
        "tracker/index.html",
        "tracker/999.html",
        "updates/index.html",
        "proposals/index.html",
        "events/index.html",
    ):
        assert expected in names
    assert any(n.endswith("-changes.html") for n in names)
    assert "Details withheld" in pages["tracker/999.html"]
    assert "Edit history" in pages["updates/13.html"]


def test_every_page_is_valid_html(pages):
    for name in html_pages(pages):
        parse(name, pages[name])


def test_every_page_meets_the_basics(pages):
    for name in html_pages(pages):
        text = pages[name]
        tree = parse(name, text)
        html = tree if tree.tag == "html" else tree.find(".//html")
        assert html is not None and html.get("lang") == "en", name
        viewport = [m for m in tree.iter("meta") if m.get("name") == "viewport"]
        assert viewport and "width=device-width" in viewport[0].get("content", ""), name
        assert (tree.findtext(".//title") or "").strip(), name
        headings = [int(e.tag[1]) for e in tree.iter() if re.fullmatch(r"h[1-6]", str(e.tag))]
        assert headings.count(1) == 1 and headings[0] == 1, name
        assert all(b <= a + 1 for a, b in zip(headings, headings[1:], strict=False)), (
            name,
            headings,
        )
        for landmark in ("header", "nav", "main", "footer"):
            assert len(list(tree.iter(landmark))) >= 1, (name, landmark)
        assert len(list(tree.iter("main"))) == 1
        ids = [e.get("id") for e in tree.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), name
        for tag in ("script", "iframe", "form", "input", "button", "object", "embed"):
            assert not list(tree.iter(tag)), (name, tag)
        for th in tree.iter("th"):
            assert th.get("scope") in ("col", "row"), name
        for badge in tree.iter("span"):
            if "badge" in (badge.get("class") or "").split():
                assert "".join(badge.itertext()).strip(), (name, "a colour without a word")
        assert len(text.encode("utf-8")) < PAGE_LIMIT, name


def test_nothing_is_fetched_from_outside_and_every_inner_link_resolves(pages):
    for name in html_pages(pages):
        tree = parse(name, pages[name])
        for element in tree.iter():
            for attribute in ("src", "href", "srcset", "poster", "data"):
                value = element.get(attribute)
                if value is None:
                    continue
                parts = urlsplit(value)
                if element.tag == "a" and parts.scheme in ("http", "https"):
                    continue  # a link the reader may follow, never fetched by the page
                assert parts.scheme in ("", "data") and not parts.netloc, (name, value)
                if parts.scheme == "data" or not parts.path:
                    continue
                target = str(PurePosixPath(name).parent / parts.path)
                resolved = str(PurePosixPath(*_normalise(target)))
                assert resolved in pages, (name, value)
        assert "@import" not in pages[name] and "url(" not in pages[name]
    css = pages["static/site.css"]
    assert "@import" not in css and not re.search(r"url\((?!data:)", css)


def _normalise(path: str) -> list[str]:
    out: list[str] = []
    for part in path.split("/"):
        if part == "..":
            out.pop()
        elif part not in ("", "."):
            out.append(part)
    return out


def test_organizers_text_is_escaped(pages):
    assert "Edited &lt;update&gt; &amp; more" in pages["updates/13.html"]
    assert "<update>" not in "".join(pages.values())


def test_the_feeds_parse(pages):
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(pages["updates.atom"])
    assert feed.findtext("a:id", namespaces=ns) and feed.findtext("a:updated", namespaces=ns)
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 14
    for entry in entries:
        for tag in ("title", "id", "updated", "content"):
            assert entry.find(f"a:{tag}", ns) is not None
    assert pages["tracker.json"].startswith("{")


# -- colour contrast (WCAG 2.1 AA: 4.5:1 for text) -----------------------------------------


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_text_colours_meet_aa_contrast():
    css = (STATIC / "site.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", css))
    overdue = re.search(r"\.overdue \{ color: (#[0-9a-fA-F]{6})", css).group(1)
    # Every text colour on every ground it is shown on (badges, notices and tables use --soft).
    for fg in (var["text"], var["muted"], var["link"], overdue):
        for bg in (var["bg"], var["soft"]):
            assert contrast(fg, bg) >= 4.5, (fg, bg, round(contrast(fg, bg), 2))
    # The chart's bars and the focus ring: 3:1 against the page (non-text contrast).
    for graphic in (
        re.search(r"\.bar \{[^}]*background: (#[0-9a-fA-F]{6})", css).group(1),
        var["focus"],
    ):
        assert contrast(graphic, var["bg"]) >= 3.0


def test_a_site_with_nothing_public_is_one_valid_page(tmp_path):
    import asyncio

    async def make():
        db = await fresh_db(tmp_path)
        try:
            await site.configure(db, GUILD, ORG, NOW, title="Local 99")
            return await built(db, tmp_path / "out")
        finally:
            await db.close()

    files = asyncio.run(make())
    tree = parse("index.html", files["index.html"])
    assert len(list(tree.iter("h1"))) == 1
