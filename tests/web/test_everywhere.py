"""Every main page in real Chromium, at desktop and phone width: nothing blocked by the Content-Security-Policy,
no console error or failed request, and no serious or critical accessibility violation found by axe-core.
The API documentation renders with every non-loopback host unreachable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import axe_playwright_python
import pytest

from app.db.models import Role
from tests.app.conftest import load_toy, solution_of
from tests.web.conftest import ARTIFACTS, LiveServer, screenshot

# axe-core's engine as shipped by the axe-playwright-python test dependency (never downloaded by the tests).
AXE = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
BLOCKING = ("serious", "critical")
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

# Registered before any page script runs: every violation of the page's policy is kept for the test.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                    (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


class Watch:
    """Console errors and warnings, page errors and failed requests of one browser page."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.add_init_script(WATCH_CSP)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text} ({message.location.get('url')})")

    def _failed(self, request: Any) -> None:
        # A request the browser itself cancels because the page moved on (the favicon of the page just left,
        # say) is no fault of the page; anything refused, blocked or unanswered is.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def take(self) -> list[str]:
        taken, self.problems = self.problems, []
        return taken


def audit(page: Any, watch: Watch, path: str, name: str, status: int = 200) -> list[str]:
    """Open `path` and list what went wrong there: blocked content, console errors, serious axe violations."""
    answer = page.goto(path)
    assert answer is not None and answer.status == status, f"{path}: {answer and answer.status}"
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 100)))")
    screenshot(page, f"everywhere-{name}")
    found = [f"{path}: {p}" for p in watch.take()]
    found += [f"{path}: CSP {v}" for v in page.evaluate("window.__csp")]
    width, viewport = page.evaluate("document.documentElement.scrollWidth"), page.viewport_size["width"]
    if width > viewport + 1:
        found.append(f"{path}: the page scrolls sideways ({width}px wide in a {viewport}px window)")
    tables = page.locator("table.grid").count()
    if page.get_by_role("table").count() < tables:
        found.append(f"{path}: a table lost its table role")
    page.evaluate(AXE.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    for violation in results["violations"]:
        nodes = "; ".join(" ".join(n["target"]) for n in violation["nodes"][:5])
        line = f"{path}: axe {violation['impact']} {violation['id']}: {violation['help']} ({nodes})"
        if violation["impact"] in BLOCKING:
            found.append(line)
        else:
            print("minor", line)
    return found


@pytest.fixture
def course_with_work(live: LiveServer, page_for: Any, tmp_path: Path) -> dict[str, str]:
    """A student's graded submission and an instructor's regrade: the addresses of every main page."""
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("ian", role=Role.INSTRUCTOR)
    live.world.add_problem(load_toy("toy-layers"))
    alice = page_for("alice")
    alice.goto("/c/dl/p/toy-layers")
    solution = tmp_path / "toy.py"
    solution.write_bytes(solution_of(load_toy("toy-layers"))["toy.py"])
    alice.get_by_label("Solution files").set_input_files(str(solution))
    alice.get_by_role("button", name="Submit", exact=True).click()
    alice.wait_for_url(re.compile(r"/s/\d+$"))
    submission = urlsplit(alice.url).path
    alice.locator("[data-status]", has_text="graded").wait_for(timeout=60_000)
    ian = page_for("ian")
    ian.goto("/c/dl/p/toy-layers/manage")
    ian.get_by_role("button", name="Start regrade").click()
    ian.wait_for_url(re.compile(r"/regrades/\d+$"))
    return {"submission": submission, "regrade": urlsplit(ian.url).path}


STUDENT_PAGES = ["/", "/c/dl", "/c/dl/p/toy-layers", "{submission}", "/me/submissions", "/me/tokens"]
STAFF_PAGES = [
    "/c/dl/overview",
    "/c/dl/submissions",
    "/c/dl/p/toy-layers/manage",
    "/c/dl/upload",
    "{regrade}",
    "/c/dl/roster",
    "/c/dl/extensions?problem=toy-layers",
]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_every_main_page_is_allowed_by_its_policy_and_has_no_serious_accessibility_violation(
    live: LiveServer, browser: Any, page_for: Any, course_with_work: dict[str, str], phone: bool
) -> None:
    width = "phone" if phone else "desktop"
    found: list[str] = []
    visitor = page_for(None, phone=phone)
    watch = Watch(visitor)
    found += audit(visitor, watch, "/login", f"login-{width}")
    for who, paths in (("alice", STUDENT_PAGES), ("ian", STAFF_PAGES)):
        page = page_for(who, phone=phone)
        watch = Watch(page)
        for path in paths:
            target = path.format(**course_with_work)
            name = re.sub(r"[^a-z0-9]+", "-", f"{who}-{target}-{width}").strip("-")
            found += audit(page, watch, target, name)
    assert found == [], "\n".join(found)


def test_the_watchers_see_a_blocked_inline_style_and_an_inaccessible_image(live: LiveServer, page_for: Any) -> None:
    page = page_for(None)
    watch = Watch(page)
    page.goto("/login")
    page.evaluate("""() => document.querySelector("main").insertAdjacentHTML(
        "beforeend", '<p style="color: red">styled</p><img src="/static/favicon.svg">')""")
    page.evaluate("() => new Promise(r => setTimeout(r, 200))")
    assert any(v.startswith("style-src-attr blocked inline") for v in page.evaluate("window.__csp"))
    assert page.evaluate("getComputedStyle(document.querySelector('main p:last-of-type')).color") != "rgb(255, 0, 0)"
    assert any("Content Security Policy" in p for p in watch.take())
    page.evaluate(AXE.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert ("image-alt", "critical") in [(v["id"], v["impact"]) for v in results["violations"]]


def test_error_pages_are_in_the_layout_and_allowed_by_the_policy(live: LiveServer, page_for: Any) -> None:
    live.world.user("alice", role=Role.STUDENT)
    page = page_for("alice")
    watch = Watch(page)
    answer = page.goto("/no/such/page")
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    assert page.get_by_role("alert").inner_text() == (
        "There is no page at this address: check the link, or start again from your courses."
    )
    assert page.get_by_role("navigation", name="Main").is_visible()
    screenshot(page, "error-404")
    # The page's own 404 is the point; nothing else may fail, be blocked or be inaccessible.
    expected = (f"404 for {live.base}/no/such/page", f"status of 404 (Not Found) ({live.base}/no/such/page)")
    found = audit(page, watch, "/no/such/page", "error-404", status=404)
    assert [p for p in found if not p.endswith(expected)] == []
    page.get_by_role("link", name="Back to your courses").click()
    page.wait_for_url(f"{live.base}/")
    icon = page.request.get(f"{live.base}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"


@pytest.mark.parametrize(
    ("path", "operation"),
    [("/docs", "/api/v1/courses/{course}/problems"), ("/redoc", "/api/v1/courses/{course}/problems")],
)
def test_the_api_docs_render_with_no_internet(live: LiveServer, browser: Any, path: str, operation: str) -> None:
    context = browser.new_context(base_url=live.base)
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(path)
        page.get_by_text(operation, exact=True).first.wait_for(timeout=30_000)
        assert page.get_by_text("gradelab", exact=False).first.is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"api{path.replace('/', '-')}.png"))  # the first screen only
        # ReDoc's footer always asks for its maker's logo from a CDN: the policy refuses that one
        # picture (ReDoc then shows the text alone), and nothing else is blocked or fails.
        assert [v for v in page.evaluate("window.__csp") if REDOC_LOGO not in v] == []
        assert [p for p in watch.take() if REDOC_LOGO not in p] == []
        assert outside == []
    finally:
        context.close()
