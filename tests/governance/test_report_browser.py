"""The reference platform's compliance report, opened in headless Chromium: what a person sees.

Debian's ``chromium`` (``make setup`` installs it) driven by Playwright, one browser for the module,
the page loaded from the file with the network cut off (a self-contained report needs none). Writes
``cdk.out/compliance-report.png`` and ``cdk.out/platform-picture.png`` for people to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from constructs_ml.governance.report import WrittenReport, write_report
from constructs_ml.governance.report_views import ack_groups, verdict

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1280, 800
#: Flags for Chromium as root in a container with no network (see the python machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def written(reference_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> WrittenReport:
    return write_report(reference_assembly, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed: run `make setup` (it apt-installs chromium and graphviz)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def requests() -> list[str]:
    return []


@pytest.fixture(scope="module")
def page(browser: Browser, written: WrittenReport, requests: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()

    def only_the_file(route: Route) -> None:
        requests.append(route.request.url)
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(written.html.as_uri())
    yield page
    context.close()


def test_the_page_loads_nothing_but_itself(page: Page, written: WrittenReport, requests: list[str]) -> None:
    assert requests == [written.html.as_uri()]
    assert page.title().startswith("Compliance report")


def test_verdict_is_above_the_fold(page: Page, written: WrittenReport) -> None:
    headline = page.get_by_role("heading", level=2).first
    assert headline.inner_text() == f"Verdict: {verdict(written.report).headline}"
    failed = [c.id for c, r in written.report.controls if r.status == "FAIL"]
    assert page.locator("#verdict p a[href^='#control-']").all_inner_texts() == failed
    box = page.locator("#verdict").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT
    # the matrix starts on the first screen too
    matrix = page.locator("table.matrix").bounding_box()
    assert matrix is not None and matrix["y"] < HEIGHT


def test_control_matrix_badges_say_the_status_in_words(page: Page, written: WrittenReport) -> None:
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == len(written.report.controls)
    headers = page.locator("table.matrix thead th").all_inner_texts()
    assert headers == ["Control", "All stacks", "Network", "Platform", "Build", "Serving"]
    first = page.locator("#matrix-NET-01 td .badge").first
    assert first.inner_text().split()[-1] in {"Pass", "Fail"}  # the symbol is decorative, the word is the status
    words = {w.split(" ", 1)[1] for w in page.locator("table.matrix .badge").all_inner_texts()}
    assert words <= {"Fail", "Cannot verify", "Acknowledged", "Pass", "Not applicable", "Not checked"}
    assert "Pass" in words and "Not applicable" in words


def test_no_horizontal_overflow_at_1280_px_even_with_every_group_open(page: Page) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    try:
        overflow = page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                const wide = [...document.querySelectorAll('main *')]
                    .filter(el => el.getBoundingClientRect().right > width + 0.5)
                    .map(el => el.tagName + ' ' + (el.id || el.className.baseVal || el.className));
                return [document.documentElement.scrollWidth, width, wide.slice(0, 5)];
            }"""
        )
    finally:
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
    scroll_width, width, wide = overflow
    assert width == WIDTH and scroll_width <= width and wide == []


def test_every_acknowledgement_group_expands(page: Page, written: WrittenReport) -> None:
    groups = ack_groups(written.report)
    articles = page.locator("article.ack-group")
    assert articles.count() == len(groups) > 1
    for i, group in enumerate(groups):
        article = articles.nth(i)
        table = article.locator("details table")
        assert not table.is_visible()
        article.locator("summary").click()
        assert article.locator("details").evaluate("d => d.open")
        assert table.is_visible() and table.locator("tbody tr").count() == len(group.acks)
        assert article.locator("p").first.inner_text() == f"Reason: {group.reason}"
    assert sum(len(g.acks) for g in groups) == len(written.report.facts.acks)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")


def test_print_shows_every_group_open(page: Page) -> None:
    page.emulate_media(media="print")
    try:
        tables = page.locator("article.ack-group details table")
        assert tables.count() > 1 and all(tables.nth(i).is_visible() for i in range(tables.count()))
    finally:
        page.emulate_media(media="screen")


def test_picture_shows_every_stack_and_the_loop(page: Page, written: WrittenReport) -> None:
    svg = page.locator("#picture svg")
    assert svg.count() == 1 and svg.is_visible()
    box = svg.bounding_box()
    assert box is not None and box["width"] > 800 and box["x"] + box["width"] <= WIDTH
    for stack in written.report.stacks:
        assert page.locator(f"#stack_{stack}").is_visible(), stack
    templates = written.report.facts.templates
    count = lambda rtype: sum(  # noqa: E731
        1 for s in templates.templates for r in templates.resources(s).values() if r.get("Type") == rtype
    )
    expected = {
        "kind_VPC": count("AWS::EC2::VPC"),
        "kind_Subnets": 1,
        "kind_VPC_endpoints": 1,
        "kind_KMS_key": count("AWS::KMS::Key"),
        "kind_S3_bucket": count("AWS::S3::Bucket"),
        "kind_Studio_domain": count("AWS::SageMaker::Domain"),
        # The monitoring pipelines are drawn inside the "Model monitoring" box, one per stack.
        "kind_Pipeline": count("AWS::SageMaker::Pipeline") - 4,
        "kind_Model_registry": count("AWS::SageMaker::ModelPackageGroup"),
        "kind_Endpoint": count("AWS::SageMaker::Endpoint"),
        "kind_Model_monitoring": 1,
        "kind_Lambda": count("AWS::Lambda::Function") - 1,  # CDK's custom resource provider is counted, not drawn
    }
    assert all(n > 0 for n in expected.values()), expected
    assert {k: page.locator(f"#picture svg g.node.{k}").count() for k in expected} == expected
    # the loop: every EventBridge flow (source -> target, events) is one red arrow, however many rules carry
    # it (the four monitoring pipelines' schedules are two flows), and the people-facing text lists each flow
    edges = written.rendered.picture.event_edges
    flows = {(e.src, e.dst, e.label) for e in edges}
    events = page.locator("#picture svg g.edge.event")
    assert events.count() == len(edges) == len(flows) >= 5
    assert len(flows) < count("AWS::Events::Rule")
    texts = " ".join(events.all_text_contents())
    for label in ("Model Package State Change: Approved", "Object Created", "CloudWatch Alarm State Change: ALARM"):
        assert label in texts
    assert page.locator("#picture h3 + ul li").count() == events.count()
    assert f"{written.rendered.node_count} boxes in 4 stacks" in page.locator("#picture figcaption").inner_text()


def test_structure_and_contrast_are_accessible(page: Page) -> None:
    levels = [int(tag[1]) for tag in page.eval_on_selector_all("h1, h2, h3", "hs => hs.map(h => h.tagName)")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in pairwise(levels))  # no skipped heading level
    assert page.eval_on_selector_all("main table", "ts => ts.every(t => t.querySelector('th'))")
    assert page.locator("html").get_attribute("lang") == "en"
    # WCAG contrast of every badge kind, the body text and the links (the page claims at least 7:1)
    ratios = page.evaluate(
        """() => {
            const lum = c => {
                const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(v => {
                    v = v / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const ratio = (el, bg) => {
                const [a, b] = [lum(getComputedStyle(el).color), lum(bg)].sort((x, y) => y - x);
                return (a + 0.05) / (b + 0.05);
            };
            const out = {};
            for (const el of document.querySelectorAll('.badge')) {
                out[el.className] = ratio(el, getComputedStyle(el).backgroundColor);
            }
            out.body = ratio(document.querySelector('.source'), 'rgb(255, 255, 255)');
            const verdict = getComputedStyle(document.querySelector('#verdict'));
            out.link = ratio(document.querySelector('nav a'), verdict.backgroundColor);
            return out;
        }"""
    )
    assert len(ratios) >= 5 and all(r >= 7 for r in ratios.values()), ratios


def test_screenshots_for_people(page: Page) -> None:
    out = ROOT / "cdk.out"
    out.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    top = page.screenshot(path=str(out / "compliance-report.png"))
    picture = page.locator("#picture figure").screenshot(path=str(out / "platform-picture.png"))
    assert top[:8] == picture[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(top[16:20], "big") == WIDTH
