"""Dashboard errors are pages in the site's layout, the API's stay JSON; every answer carries the security headers."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import structlog.testing

from app.db.models import Role
from app.web import charts
from app.web.headers import PAGE_POLICY, REDOC_POLICY
from tests.app.conftest import World, WorldFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
COOKIE = "gradelab_session"


@pytest.fixture
def world(make_world: WorldFactory, sqlite_url: str) -> World:
    world = make_world(sqlite_url)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)

    def boom() -> None:
        raise RuntimeError("secret internals of the crash")

    app: Any = world.client.app
    app.add_api_route("/c/{course}/boom", boom)
    app.add_api_route("/api/v1/boom", boom)
    return world


def as_browser(world: World, who: str | None) -> Any:
    world.client.cookies.clear()
    if who is not None:
        world.client.cookies.set(COOKIE, world.tokens[who])
    return world.client


def main_text(html: str) -> str:
    """The visible text of the page's <main>, tags removed and spaces collapsed."""
    main = re.search(r'<main id="main"[^>]*>(.*)</main>', html, re.S)
    assert main is not None, "the page is not in the site's layout"
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", main.group(1)).split()))


def nav_of(html: str) -> str:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", nav.group(1)).split()) if nav else ""


def test_an_unknown_page_is_a_404_page_with_the_navigation_of_the_logged_in_user(world: World) -> None:
    answer = as_browser(world, "alice").get("/no/such/page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert main_text(answer.text) == (
        "Not found There is no page at this address: check the link, or start again from your courses. "
        "Back to your courses"
    )
    assert nav_of(answer.text) == "Courses My submissions API tokens Log out (alice)"
    assert '<a href="/">Back to your courses</a>' in answer.text
    assert "<title>Not found · gradelab</title>" in answer.text


def test_an_unknown_page_for_a_visitor_offers_the_login_page(world: World) -> None:
    answer = as_browser(world, None).get("/no/such/page")
    assert answer.status_code == 404
    assert main_text(answer.text).endswith("Log in , or go to the home page .")
    assert nav_of(answer.text) == ""


def test_a_page_of_a_course_one_does_not_teach_is_a_403_page_saying_why(world: World) -> None:
    answer = as_browser(world, "alice").get("/c/dl/overview")
    assert answer.status_code == 403
    assert main_text(answer.text) == "Not allowed only instructors and TAs of dl may do this Back to your courses"


def test_a_form_without_its_csrf_token_is_a_403_page(world: World) -> None:
    answer = as_browser(world, "alice").post("/me/tokens", data={"name": "x", "days": "3"})
    assert answer.status_code == 403
    assert "reload the page and try again" in main_text(answer.text)
    assert nav_of(answer.text).endswith("Log out (alice)")


def test_a_missing_object_is_a_404_page_naming_it(world: World) -> None:
    answer = as_browser(world, "alice").get("/c/nope")
    assert answer.status_code == 404
    assert main_text(answer.text) == "Not found no course 'nope' of yours Back to your courses"


def test_a_wrong_method_is_a_405_page(world: World) -> None:
    answer = as_browser(world, "alice").post("/me/submissions")
    assert answer.status_code == 405
    assert main_text(answer.text).startswith(
        "Not available this way This address does not answer a POST request: open it from a link or a form"
    )
    assert answer.headers["allow"] == "GET"


def test_a_malformed_address_is_a_422_page_listing_what_is_wrong(world: World) -> None:
    answer = as_browser(world, "alice").get("/s/not-a-number")
    assert answer.status_code == 422
    text = main_text(answer.text)
    assert text.startswith("Not a valid address or form The address or the form has a value this page cannot use")
    assert "submission_id: Input should be a valid integer" in text


def test_a_crash_on_a_page_is_a_500_page_without_the_traceback(world: World) -> None:
    with structlog.testing.capture_logs() as logs:
        answer = as_browser(world, "alice").get("/c/dl/boom")
    logged = [e for e in logs if e["event"] == "unhandled_error"]
    assert [(e["path"], e["log_level"]) for e in logged] == [("/c/dl/boom", "error")]
    assert answer.status_code == 500
    assert main_text(answer.text) == (
        "Something went wrong The error was logged. Try again in a moment; if it keeps happening, "
        "tell the course staff. Back to your courses"
    )
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    assert answer.headers["cache-control"] == "no-store"


def test_the_api_keeps_json_errors(world: World) -> None:
    client = as_browser(world, "alice")
    cases = [
        (client.get("/api/v1/no-such-thing", headers=world.headers("alice")), 404, "Not Found"),
        (client.get("/api/v1/submissions/abc", headers=world.headers("alice")), 422, "the request is not valid"),
        (client.delete("/api/v1/courses/dl", headers=world.headers("alice")), 405, "Method Not Allowed"),
        (client.get("/api/v1/boom", headers=world.headers("alice")), 500, "internal error: it was logged"),
        (client.get("/api/v1/courses/dl/roster", headers=world.headers("alice")), 403, "only instructors"),
    ]
    for answer, status, detail in cases:
        assert (answer.status_code, answer.headers["content-type"]) == (status, "application/json")
        assert answer.json()["detail"].startswith(detail), answer.json()
        assert "secret internals" not in answer.text


def test_pages_of_a_visitor_still_redirect_to_the_login_page(world: World) -> None:
    answer = as_browser(world, None).get("/s/12", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/s/12"


def test_pages_and_api_answers_are_not_stored_and_carry_the_policy(world: World) -> None:
    client = as_browser(world, "alice")
    for path in ("/", "/me/tokens", "/login", "/no/such/page"):
        answer = client.get(path)
        assert answer.headers["cache-control"] == "no-store", path
        assert answer.headers["content-security-policy"] == PAGE_POLICY, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    for path in ("/api/v1/me", "/api/v1/courses"):
        answer = client.get(path, headers=world.headers("alice"))
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store", path
    assert "frame-ancestors 'none'" in PAGE_POLICY and "script-src 'self';" in PAGE_POLICY
    assert "unsafe" not in PAGE_POLICY


def test_static_assets_and_the_favicon_may_be_cached(world: World) -> None:
    client = as_browser(world, None)
    for path in ("/static/app.css", "/static/vendor/htmx/htmx.min.js", "/favicon.ico", "/static/favicon.svg"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "public, max-age=3600", path
        assert answer.headers["x-content-type-options"] == "nosniff"
    icon = client.get("/favicon.ico")
    assert icon.headers["content-type"] == "image/svg+xml" and icon.text.startswith("<svg")


def test_the_api_docs_load_only_local_assets_under_their_own_same_origin_policy(world: World) -> None:
    client = as_browser(world, None)
    for path, policy in (("/docs", PAGE_POLICY), ("/redoc", REDOC_POLICY)):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == policy
        sources = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
        assert sources and all(s.startswith("/") for s in sources), sources
        assert all(client.get(s).status_code == 200 for s in sources), sources
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", answer.text), "an inline script"
    # ReDoc's differences: it injects <style> elements and starts a blob: worker; scripts stay same-origin only.
    assert REDOC_POLICY.replace(" 'unsafe-inline'; worker-src 'self' blob:", "") == PAGE_POLICY
    assert "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:;" in REDOC_POLICY


def test_no_template_or_chart_has_an_inline_script_style_or_event_handler() -> None:
    inline = re.compile(r"\sstyle=|\son[a-z]+=|<script(?![^>]*\bsrc=)|javascript:|hx-on", re.I)
    found = [f"{t.name}: {m.group(0)!r}" for t in TEMPLATES.glob("*.html") for m in inline.finditer(t.read_text())]
    assert found == []
    svg = str(charts.histogram([0.1, 0.5, 0.9], 0, 1, "scores")) + str(charts.sparkline([1, 2, 3], 3, "trend"))
    assert not inline.search(svg)


def test_a_form_over_the_body_limit_is_a_413_page_and_the_api_answers_json(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, max_request_bytes=2048)
    world.user("ian", role=Role.INSTRUCTOR)
    client = as_browser(world, "ian")
    files = {"bundle": ("big.zip", b"x" * 10_000, "application/zip")}
    answer = client.post("/c/dl/upload", files=files)
    assert answer.status_code == 413 and answer.headers["content-type"] == "text/html; charset=utf-8"
    assert main_text(answer.text) == (
        "Too large The request is larger than 2048 bytes: send smaller files. Back to your courses"
    )
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    api = client.post("/api/v1/courses/dl/problems", files=files, headers=world.headers("ian"))
    assert api.status_code == 413 and api.json()["detail"].startswith("the request is larger than 2048 bytes")
