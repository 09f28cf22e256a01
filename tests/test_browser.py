"""A real headless Chromium on `listener serve`: charts draw, nothing leaves 127.0.0.1, no injected script."""

import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port
from ui_support import REPO, filled_db, serving  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")




@pytest.fixture
def server(filled_db, tmp_path):
    with serving(filled_db, free_port(), tmp_path) as base:
        yield base


def watched_page(p, errors, foreign):
    """Debian's Chromium and a page that records console errors in `errors`, requests beyond 127.0.0.1 in `foreign`."""
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url)
            if urllib.parse.urlsplit(r.url).hostname not in ("127.0.0.1",) and not r.url.startswith(("data:", "blob:"))
            else None)
    return browser, page


def test_overview_and_pages_in_chromium(server, filled_db):
    from playwright.sync_api import sync_playwright

    name = filled_db.stem
    errors, foreign = [], []
    with sync_playwright() as p:
        browser, page = watched_page(p, errors, foreign)

        page.goto(server + "/-/dashboards/overview")
        page.wait_for_function("document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length >= 4",
                               timeout=20000)
        page.wait_for_function("document.querySelectorAll('table td').length > 0", timeout=10000)
        page.wait_for_timeout(500)
        artifacts = REPO / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "overview.png"), full_page=True)
        assert page.evaluate("window.__pwned") is None
        assert "&lt;script&gt;" not in page.inner_text("body")  # escaped once, not twice
        assert "<script>window.__pwned=1</script>" in page.inner_text("body")

        filtered = server + "/-/dashboards/overview?" + urllib.parse.urlencode(
            {"question": "customer-effort", "channel": "x"})
        page.set_viewport_size({"width": 1300, "height": 900})
        page.goto(filtered)  # one question: the sentiment legends are taller than the bars
        page.wait_for_function("document.querySelectorAll('.vega-embed svg .role-legend').length >= 4", timeout=20000)
        page.wait_for_timeout(500)
        cut = page.evaluate("""() => [...document.querySelectorAll('.vega-embed svg')].flatMap(svg => {
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('.role-legend')].map(g => g.getBoundingClientRect())
              .filter(b => b.bottom > box.bottom + 1 || b.right > box.right + 1 || b.top < box.top - 1)
              .map(() => svg.closest('[id^=card-]').id);
        })""")
        assert cut == [], f"legends cut off at 1300 px: {cut}"
        page.set_viewport_size({"width": 1400, "height": 1300})
        for url in [filtered, f"{server}/{name}/replies", f"{server}/{name}/replies?_search=pwned",
                    f"{server}/{name}/needs_attention?question=", f"{server}/{name}/mentions?word=pwned&question=",
                    f"{server}/{name}/most_negative_this_week?question=&week=",
                    f"{server}/{name}/answers?question=customer-effort&channel=&page="]:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__pwned") is None, url
            page.mouse.move(300, 300)
            for link in page.query_selector_all("a[href^='javascript:']"):
                raise AssertionError(f"javascript: link on {url}: {link.get_attribute('href')}")
        browser.close()
    assert not errors, errors
    assert not foreign, foreign


def test_week_view_pickers_and_columns_in_chromium(server, filled_db):
    """Overview -> a question's page in two clicks; pickers by question text; ids moved right."""
    from playwright.sync_api import sync_playwright

    name = filled_db.stem
    errors, foreign = [], []
    with sync_playwright() as p:
        browser, page = watched_page(p, errors, foreign)

        page.goto(server + "/-/dashboards/overview")
        link = page.wait_for_selector("#chart-week-vs-week a[href^='/-/question/']", timeout=20000)
        page.wait_for_function("document.querySelector('#chart-attention-list td time[title]') !== null", timeout=10000)
        written = page.inner_text("#chart-attention-list td time")
        assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3} \d\d:\d\d", written), written
        options = page.eval_on_selector_all("select[name=question] option", "os => os.map(o => o.textContent)")
        assert any(o.startswith("How easy are we to do business with?") for o in options), options
        link.click()  # the second click
        page.wait_for_selector("h1.question-text")
        assert page.url.startswith(server + "/-/question/")
        assert int(page.inner_text("td.this-replies")) > 0
        page.screenshot(path=str(REPO / "test-artifacts" / "question.png"), full_page=True)
        page.click("text=reply >> nth=0")
        page.wait_for_load_state("networkidle")
        assert f"/{name}/replies/" in page.url

        page.goto(f"{server}/{name}/needs_attention?question=")
        assert page.title() == "Needs attention"
        page.select_option("select[name=question]", "customer-effort")
        page.click("input[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "question=customer-effort" in page.url
        assert page.eval_on_selector("select[name=question]", "s => s.value") == "customer-effort"

        page.goto(f"{server}/{name}/replies")
        headers = page.eval_on_selector_all("table.rows-and-columns thead th", "ths => ths.map(t => t.dataset.column)")
        assert headers[:3] == ["text", "author", "sentiment"], headers
        assert headers.index("remote_id") > headers.index("created_at") and headers[-1] in ("neg", "neu", "pos")
        first_row = page.eval_on_selector_all("table.rows-and-columns tbody tr:first-child td",
                                              "tds => tds.map(t => t.className)")
        assert first_row[0].startswith("col-text"), first_row
        assert page.query_selector("dl.column-descriptions") is None
        page.screenshot(path=str(REPO / "test-artifacts" / "replies.png"))
        for url in [f"{server}/-/question", f"{server}/-/columns", f"{server}/{name}/questions",
                    f"{server}/{name}/publications"]:
            page.goto(url)
            page.wait_for_load_state("networkidle")
        assert "every month on the first Monday at 09:00" in page.goto(f"{server}/{name}/questions").text()
        assert page.evaluate("window.__pwned") is None
        browser.close()
    assert not errors, errors
    assert not foreign, foreign
