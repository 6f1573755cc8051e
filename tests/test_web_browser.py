"""The web UI in a real browser: Debian's chromium driven by Playwright against the live server.

Never runs `playwright install`; skips when /usr/bin/chromium is missing (`make browser` installs it).
"""
from __future__ import annotations


import pytest

pytestmark = pytest.mark.browser

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402,F401  (the browser fixture lives in conftest)


class PageProblems:
    """Console errors, uncaught page errors, CSP violations, failed requests and dialogs of one page."""

    def __init__(self, page):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        # a load the next navigation cancels (net::ERR_ABORTED, e.g. the favicon) is not a fault of the page
        page.on("requestfailed", lambda request: request.failure != "net::ERR_ABORTED"
                and self.failed_requests.append(f"{request.url} ({request.failure})"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_clean(self):
        assert self.console_errors == [], self.console_errors     # CSP violations are console errors
        assert self.page_errors == []
        assert self.failed_requests == []
        assert self.dialogs == []


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = PageProblems(page)
    yield page
    context.close()


def test_home_lists_the_sources(page, live_server, library):
    from playwright.sync_api import expect

    response = page.goto(f"{live_server}/")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text("Common Knowledge")
    rows = page.locator("table.sources tbody tr")
    expect(rows).to_have_count(len(library.sources()))
    for source in library.sources():
        expect(page.get_by_role("link", name=source["title"], exact=True)).to_be_visible()
    expect(page.locator("#count-passages strong")).to_have_text(str(len(library.passages())))
    expect(page.locator(".not-ingested")).to_contain_text("Not ingested (1 file)")
    row = rows.filter(has_text="Working together around the child")
    expect(row.locator("td.studies a")).to_have_text(["NECF", "LIW"])     # the catalogue entry's order
    expect(row.locator("td.studies a").first).to_have_attribute("href", "/studies/necf")
    expect(page.locator("#start-here a")).to_have_text(["Concepts", "Quote finder", "Works"])
    page.problems.assert_clean()


def test_the_home_page_searches(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/")
    expect(page.locator("#home-q")).to_be_focused()
    page.locator("#home-q").fill("informal conversations between colleagues")
    page.locator("#home-q").press("Enter")
    page.wait_for_url("**/search?q=informal+conversations+between+colleagues")
    expect(page.locator("#q")).to_have_value("informal conversations between colleagues")
    expect(page.locator("#result-1")).to_be_visible()
    page.goto(f"{live_server}/")
    page.locator("#start-here").get_by_role("link", name="Quote finder").click()
    page.wait_for_url("**/quotes")
    page.problems.assert_clean()


def test_clicking_a_source_opens_the_reader(page, live_server, library):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Working together around the child: learning in multi-agency teams").click()
    page.wait_for_url(f"{live_server}/sources/team-around-the-child")
    expect(page.locator("h1")).to_have_text("Working together around the child: learning in multi-agency teams")
    expect(page.locator("#citation")).to_contain_text("Jopling, M. and Vincent, S. (2020)")
    expect(page.locator(".passage")).to_have_count(len(library.passages("team-around-the-child")))
    expect(page.get_by_text("Effective collaborative practice depended on trust")).to_be_visible()
    page.problems.assert_clean()
    # the cleaned text, which the API's and the graph's character offsets count into, one link away
    text = page.evaluate("fetch(document.querySelector('#plain-text').href).then(r => r.text())")
    passage = library.passages("team-around-the-child")[0]
    assert text[passage["start"]:passage["end"]] == passage["text"]
    # the studies its catalogue entry lists lead to their study pages
    page.locator("dd.studies").get_by_role("link", name="NECF").click()
    page.wait_for_url(f"{live_server}/studies/necf")
    expect(page.locator("h1")).to_contain_text("National Evaluation of the Children")
    expect(page.locator(".study-sources")).to_contain_text("Working together around the child")
    page.problems.assert_clean()


def test_a_study_name_the_graph_does_not_know_stays_plain(library):
    from search_app.viewdata import _study_links

    links = _study_links(library, {"id": "team-around-the-child", "studies": ["NECF", "LIW", "A Study Nobody Described"]})
    assert {link["id"] for link in links if link["known"]} >= {"necf", "liw"}
    assert [link["name"] for link in links if not link["known"]] == ["A Study Nobody Described"]
    assert [link["short"] for link in links][:3] == ["NECF", "LIW", "A Study Nobody Described"]


def test_fragment_lands_on_the_passage_with_its_page(page, live_server, library):
    from playwright.sync_api import expect

    passages = library.passages("pagelabels-sample")
    target = passages[-1]
    page.goto(f"{live_server}/sources/pagelabels-sample#{target['passage_id']}")
    element = page.locator(f"[id='{target['passage_id']}']")
    expect(element).to_be_visible()
    expect(element).to_be_in_viewport()
    marker = f"p. {target['page_label'] or target['page']}"
    expect(element.locator(".page-marker")).to_have_text(marker)
    # :target highlights it and not the others
    highlighted = page.locator(".passage:target")
    expect(highlighted).to_have_count(1)
    assert highlighted.get_attribute("id") == target["passage_id"]
    colour = element.evaluate("e => getComputedStyle(e).backgroundColor")
    other = page.locator(f"[id='{passages[0]['passage_id']}']").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour != other
    page.problems.assert_clean()


def test_fragment_lands_on_a_passage_far_down_a_long_text(page, live_server, library):
    from playwright.sync_api import expect

    target = library.passages("team-around-the-child")[-1]
    page.set_viewport_size({"width": 400, "height": 300})    # narrow: the passage is well below the fold
    page.goto(f"{live_server}/sources/team-around-the-child#{target['passage_id']}")
    element = page.locator(f"[id='{target['passage_id']}']")
    expect(element).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0
    page.problems.assert_clean()


def test_copy_link_anchor_points_at_the_passage(page, live_server, library):
    from playwright.sync_api import expect

    first = library.passages("team-around-the-child")[1]
    page.goto(f"{live_server}/sources/team-around-the-child")
    page.locator(f"[id='{first['passage_id']}'] a.permalink").click()
    page.wait_for_url(f"{live_server}/sources/team-around-the-child#{first['passage_id']}")
    expect(page.locator(".passage:target")).to_have_attribute("id", first["passage_id"])
    expect(page.locator("#copy-status")).not_to_be_empty()
    page.problems.assert_clean()


def test_script_in_source_text_is_shown_as_text(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/sources/practice-notes")
    expect(page.get_by_text("<script>alert(1)</script>")).to_be_visible()
    page.wait_for_timeout(200)
    assert page.problems.dialogs == []
    assert page.locator(".passage-body script").count() == 0
    page.problems.assert_clean()


def test_unknown_source_shows_the_404_page(page, live_server):
    from playwright.sync_api import expect

    response = page.goto(f"{live_server}/sources/no-such-source")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    page.problems.console_errors = [e for e in page.problems.console_errors if "404" not in e]
    page.problems.assert_clean()


@pytest.mark.parametrize("path", ["/", "/search?q=trust+between+professionals", "/quotes?q=trust", "/sources/team-around-the-child"])
def test_pages_fit_a_phone_screen(page, live_server, path):
    page.set_viewport_size({"width": 380, "height": 700})
    page.goto(live_server + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 380     # nothing runs off the side
    nav = page.locator(".site-header nav a").last
    assert nav.bounding_box()["x"] + nav.bounding_box()["width"] <= 380      # the menu wraps instead
    page.problems.assert_clean()


def test_the_favicon_loads_as_an_image(page, live_server):
    # browsers ask for /favicon.ico on a JSON page; it was a 404
    page.goto(f"{live_server}/api/health")
    icons = page.evaluate("""async () => {
        const sizes = [];
        for (const src of ["/favicon.ico", "/static/favicon.svg"]) {
            const image = new Image();
            image.src = src;
            await image.decode();
            sizes.push([image.naturalWidth, image.naturalHeight]);
        }
        return sizes;
    }""")
    assert icons[0] in ([16, 16], [32, 32]) and icons[1][0] > 0
    page.goto(f"{live_server}/")
    hrefs = page.eval_on_selector_all('link[rel="icon"]', "links => links.map(l => l.getAttribute('href'))")
    assert hrefs == ["/favicon.ico", "/static/favicon.svg"]
    page.problems.assert_clean()


def test_a_focused_field_shows_its_focus_as_plainly_as_a_link(page, live_server):
    """Keyboard users see where they are: a focused search box or select gets the same thick outline as
    a focused link, not the browser's thin ring."""
    page.goto(f"{live_server}/search?q=trust")
    page.focus("#q")
    page.keyboard.press("End")          # focused from the keyboard's point of view (focus-visible)
    outline = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('#q'));"
                            " return [s.outlineStyle, s.outlineWidth]; })()")
    assert outline == ["solid", "3px"]
    page.problems.assert_clean()


def test_the_readers_text_sits_under_its_own_heading(page, live_server, library):
    """The headings of a source's text come after a heading of their own ("Text of the source"), not
    under "Suggested citation", so a screen reader's outline puts the document where it belongs."""
    source = library.sources()[0]["id"]
    page.goto(f"{live_server}/sources/{source}")
    outline = page.evaluate("Array.from(document.querySelectorAll('main h1, main h2, main h3, main h4'))"
                            ".map(h => h.tagName + ' ' + h.textContent.trim())")
    citation = outline.index("H2 Suggested citation")
    assert outline[citation + 1] == "H2 Text of the source"
    assert page.locator("section.text").get_attribute("aria-labelledby") == "text-heading"
    page.problems.assert_clean()


@pytest.mark.parametrize("path, box, later", [("/search?q=trust&mode=bm25", "#q", "children"),
                                              ("/quotes?q=trust", "#qq", "children")])
def test_after_back_the_query_box_shows_the_query_of_the_results(page, live_server, path, box, later):
    """Audit 21 F9: a query typed and sent, then Back: the box shows the query of the results on the
    page, not the words typed there before leaving it (the browser restoring the form's state)."""
    from playwright.sync_api import expect

    page.goto(live_server + path)
    shown = page.locator(box).input_value()
    selects = page.locator("form.search-form select")
    chosen = [selects.nth(i).input_value() for i in range(selects.count())]
    page.locator(box).fill(later)
    selects.first.select_option(index=1)        # a menu changed too (the ranking, the speaker's role)
    page.locator(box).press("Enter")
    page.wait_for_url(f"**q={later}**")
    expect(page.locator(box)).to_have_value(later)
    page.go_back()
    page.wait_for_url(live_server + path)
    expect(page.locator(box)).to_have_value(shown)
    assert [selects.nth(i).input_value() for i in range(selects.count())] == chosen
    page.problems.assert_clean()


@pytest.mark.parametrize("path, box", [("/", "#home-q"), ("/search?q=trust", "#q"), ("/quotes", "#qq")])
def test_the_search_boxs_hint_fits_a_phone_screen(page, live_server, path, box):
    """Audit 21 F12: at 375 px the placeholder of a search box is read whole, not cut off."""
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(live_server + path)
    text_width, room = page.evaluate("""box => { const i = document.querySelector(box); const s = getComputedStyle(i);
        const c = document.createElement('canvas').getContext('2d'); c.font = s.font;
        return [c.measureText(i.placeholder).width, i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)]; }""", box)
    assert 0 < text_width <= room
    page.problems.assert_clean()
