"""The student's pages in real Chromium at desktop and phone widths: the problem, a submission, its files, times."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.db.models import LatePolicy, Problem, Role, Submission, SubmissionFile
from app.errors import Invalid
from app.web.code_view import MAX_VIEW_LINES, attachment, check_file_name, file_view
from tests.app.conftest import load_toy, solution_of
from tests.web.conftest import LiveServer, screenshot

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ZONE = "America/New_York"


def _wrong_solution() -> bytes:
    bundle = load_toy("toy-layers")
    return bundle.files["solution/toy.py"] + b"\n" + bundle.files["mistakes/mse_sum.py"]


# A file a student might send: a wrong loss, a very long line, and text that looks like HTML.
SUBMITTED = (
    _wrong_solution()
    + b"\n# "
    + b"x" * 400
    + b"\nNOTE = '</code></pre><script>alert(1)</script> & <b>not bold</b>'  # r\xc3\xa9sum\xc3\xa9\n"
)


def _open(browser: Any, live: LiveServer, who: str, *, phone: bool = False, script: bool = True) -> Any:
    """A fresh context in a fixed time zone, logged in as `who`."""
    options: dict[str, Any] = {
        "base_url": live.base,
        "timezone_id": ZONE,
        "locale": "en-US",
        "java_script_enabled": script,
    }
    options.update({"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {"viewport": DESKTOP})
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/login")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill(f"password-of-{who}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live.base}/")
    return page


def _submit(page: Any, tmp: Path, content: bytes, label: str = "Solution files", button: str = "Submit") -> int:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "toy.py"
    path.write_bytes(content)
    page.get_by_label(label).set_input_files(str(path))
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(re.compile(r"/s/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _wait_graded(page: Any) -> None:
    page.locator("[data-status]", has_text="graded").wait_for(timeout=90_000)


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _created_at(live: LiveServer, sid: int) -> dt.datetime:
    with live.world.db.session() as session:
        submission = session.get(Submission, sid)
        assert submission is not None
        return submission.created_at


def _set_problem(live: LiveServer, **values: Any) -> None:
    with live.world.db.session() as session:
        problem = session.query(Problem).filter_by(slug="toy-layers").one()
        for key, value in values.items():
            setattr(problem, key, value)


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box  # type: ignore[no-any-return]


def test_the_problem_page_puts_the_statement_before_the_form_at_both_widths(browser: Any, live: LiveServer) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    due = dt.datetime(2031, 1, 15, 17, 0, tzinfo=dt.UTC)
    _set_problem(live, deadline=due, quota_count=5, quota_window_seconds=3600)
    for phone in (False, True):
        page = _open(browser, live, "alice", phone=phone)
        page.goto("/c/dl")
        assert "2031-01-15 12:00 EST" in page.locator("table.grid").inner_text()  # the due date, in New York
        if phone:
            assert _scroll_width(page) <= 390
        page.goto("/c/dl/p/toy-layers")
        statement = _box(page, "article.statement")
        form = _box(page, "form[action='/c/dl/p/toy-layers/submit']")
        assert statement["y"] + statement["height"] <= form["y"], "the statement comes before the submit form"
        kit = page.locator("#check-kit").inner_text()
        assert "python check.py" in kit and "Hidden tests and training run only on the service." in kit
        for fact in (".facts", "a[href$='starter.zip']", "#check-kit"):  # due date, limits, starter files: first
            assert _box(page, fact)["y"] < statement["y"]
        facts = page.locator(".facts").inner_text()
        assert "Due\n2031-01-15 12:00 EST (late submissions accepted, marked late)" in facts
        assert "Limits\n" in facts
        assert page.locator(".facts time").get_attribute("title") == "2031-01-15 17:00 UTC"
        assert page.locator("[data-quota]").inner_text() == "5 of 5 submissions left in this 1 h window."
        if phone:
            assert _scroll_width(page) <= 390
        screenshot(page, "student-problem-" + ("phone" if phone else "desktop"))
        page.context.close()
    # Without JavaScript the times read in UTC.
    page = _open(browser, live, "alice", script=False)
    page.goto("/c/dl/p/toy-layers")
    assert "Due\n2031-01-15 17:00 UTC" in page.locator(".facts").inner_text()
    page.context.close()


def test_the_submission_page_shows_local_time_highlighted_files_and_submit_again(
    browser: Any, live: LiveServer, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    _set_problem(live, quota_count=5, quota_window_seconds=3600)
    page = _open(browser, live, "alice")
    page.goto("/c/dl/p/toy-layers")
    sid = _submit(page, tmp_path / "first", SUBMITTED)
    _wait_graded(page)

    # The submit time, in the reader's zone, with the UTC time on hover.
    stored = _created_at(live, sid)
    local = stored.astimezone(ZoneInfo(ZONE))
    stamp = page.locator("[data-submitted] time")
    assert stamp.inner_text() == f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    assert stamp.get_attribute("title") == f"{stored.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    assert stamp.get_attribute("datetime") == f"{stored.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S}Z"

    # The file as submitted, highlighted on the server, its HTML-looking text shown as text.
    code = page.locator("[data-file='toy.py'] .highlight code")
    assert code.text_content() == SUBMITTED.decode()
    assert code.locator("span.k", has_text="def").count() >= 1  # keywords carry Pygments' classes
    assert page.locator("[data-file='toy.py'] script, [data-file='toy.py'] b").count() == 0
    assert page.locator("[data-file='toy.py'] [data-file-note]").count() == 0  # short: shown whole
    with page.expect_download() as info:
        page.get_by_role("link", name="Download toy.py").click()
    download = info.value
    assert download.suggested_filename == "toy.py"
    assert Path(download.path()).read_bytes() == SUBMITTED

    # Feedback and the likely cause are on the page; "Submit again" says what is left of the quota.
    assert "mean" in page.locator(".diagnosis").first.inner_text().lower()
    again = page.locator("#again")
    assert again.locator("h2").inner_text() == "Submit again"
    assert again.locator("[data-quota]").inner_text() == "4 of 5 submissions left in this 1 h window."
    screenshot(page, "student-submission-desktop")

    # At phone width nothing scrolls sideways and a failed test's feedback sits within the screen.
    phone = _open(browser, live, "alice", phone=True)
    phone.goto(f"/s/{sid}")
    phone.locator("tr.fail .diagnosis").first.wait_for()
    assert _scroll_width(phone) <= 390
    for selector in ("tr.fail pre.feedback", "tr.fail .diagnosis", "[data-file='toy.py'] .highlight pre"):
        box = _box(phone, selector)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    row = _box(phone, "tr.fail")
    assert row["width"] > 300  # a card as wide as the screen, not a squeezed column
    screenshot(phone, "student-submission-phone")
    for path in ("/me/submissions", "/me/tokens"):
        phone.goto(path)
        assert _scroll_width(phone) <= 390, path
        screenshot(phone, "student" + path.replace("/", "-") + "-phone")
    phone.goto("/me/submissions")
    assert local.strftime("%Y-%m-%d %H:%M EST") in phone.locator("main").inner_text()
    phone.context.close()

    # Submit again from the submission page: a new submission of the same problem.
    second = _submit(
        page, tmp_path / "second", solution_of(load_toy("toy-layers"))["toy.py"], "New solution files", "Submit again"
    )
    assert second != sid
    _wait_graded(page)
    assert page.locator("[data-score]").inner_text() == "6"
    assert page.locator("#again [data-quota]").inner_text() == "3 of 5 submissions left in this 1 h window."
    page.context.close()


def test_submit_again_is_hidden_when_the_student_cannot_submit_and_for_staff(
    browser: Any, live: LiveServer, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("bob", role=Role.STUDENT)
    live.world.user("ian", role=Role.INSTRUCTOR)
    live.world.add_problem(load_toy("toy-layers"))
    page = _open(browser, live, "alice")
    page.goto("/c/dl/p/toy-layers")
    sid = _submit(page, tmp_path, SUBMITTED)

    # Past the deadline with a penalty: still allowed, and the page says the cost.
    _set_problem(
        live, deadline=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), late_policy=LatePolicy.PENALTY, late_penalty=0.1
    )
    page.reload()
    assert page.locator("#again [data-submit-state]").inner_text() == (
        "The deadline has passed: a new submission is marked late and loses 10% of its score."
    )
    # Past the deadline without late submissions: no form, the reason instead.
    _set_problem(live, late_policy=LatePolicy.REJECT)
    page.reload()
    assert page.get_by_role("heading", name="Submit again").count() == 0
    assert page.get_by_label("New solution files").count() == 0
    assert page.locator("a[href='#again']").count() == 0
    assert "does not accept late submissions" in page.locator("[data-cannot-submit]").inner_text()
    page.goto("/c/dl/p/toy-layers")
    assert page.get_by_label("Solution files").count() == 0
    assert "does not accept late submissions" in page.locator("#submit [data-submit-state]").inner_text()
    # The quota used up: no form either.
    _set_problem(live, deadline=None, late_policy=LatePolicy.ACCEPT, quota_count=1, quota_window_seconds=86400)
    page.goto(f"/s/{sid}")
    assert page.get_by_role("heading", name="Submit again").count() == 0
    assert (
        page.locator("[data-cannot-submit]")
        .inner_text()
        .startswith("No new submissions now. You have used all 1 submissions allowed for toy-layers in 1 day(s)")
    )
    page.goto("/c/dl/p/toy-layers")
    assert (
        page.locator("#submit [data-submit-state]")
        .inner_text()
        .startswith("You have used all 1 submissions allowed for toy-layers in 1 day(s); the next is allowed at ")
    )

    # An unknown file name is not found; a path is refused with what to fix.
    unknown = page.goto(f"/s/{sid}/files/other.py")
    assert unknown is not None and unknown.status == 404
    assert page.get_by_role("alert").inner_text() == f"submission {sid} has no file 'other.py'"
    bad = page.goto(f"/s/{sid}/files/a%5Cb.py")
    assert bad is not None and bad.status == 422
    assert "no slashes or control characters" in page.get_by_role("alert").inner_text()
    assert "Traceback" not in page.content()
    page.context.close()

    # Another student: not found, the page and the file alike.
    bob = _open(browser, live, "bob")
    assert bob.request.get(f"/s/{sid}").status == 404
    other = bob.request.get(f"/s/{sid}/files/toy.py")
    assert other.status == 404 and "alert(1)" not in other.text()
    bob.context.close()

    # The instructor reads the files and downloads them, but has no "Submit again" on another's submission.
    ian = _open(browser, live, "ian")
    ian.goto(f"/s/{sid}")
    assert ian.locator("[data-file='toy.py'] .highlight code").text_content() == SUBMITTED.decode()
    assert ian.get_by_role("heading", name="Submit again").count() == 0
    assert ian.locator("#again").count() == 0
    got = ian.request.get(f"/s/{sid}/files/toy.py")
    assert got.status == 200 and got.body() == SUBMITTED
    assert got.headers["content-disposition"] == "attachment; filename=\"toy.py\"; filename*=UTF-8''toy.py"
    ian.context.close()


def test_a_long_file_is_capped_in_the_view_and_downloads_whole(browser: Any, live: LiveServer, tmp_path: Path) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    body = solution_of(load_toy("toy-layers"))["toy.py"]
    long = body + b"".join(b"# line %d of padding\n" % i for i in range(MAX_VIEW_LINES + 500))
    total = len(long.decode().splitlines())
    page = _open(browser, live, "alice")
    page.goto("/c/dl/p/toy-layers")
    sid = _submit(page, tmp_path, long)
    note = page.locator("[data-file='toy.py'] [data-file-note]").inner_text()
    assert note.startswith(f"Showing the first {MAX_VIEW_LINES:,} of {total:,} lines")
    assert note.endswith("download the file to read all of it.")
    shown = page.locator("[data-file='toy.py'] .highlight code").text_content()
    assert shown == "".join(long.decode().splitlines(keepends=True)[:MAX_VIEW_LINES])
    assert page.request.get(f"/s/{sid}/files/toy.py").body() == long

    # A stored file that is not text (uploads are checked for UTF-8; older rows need not be): a note and a download.
    raw = b"\x89PNG\r\n\x1a\n\x00\xff"
    with live.world.db.session() as session:
        session.add(SubmissionFile(submission_id=sid, name="figure.png", content=raw))
    page.reload()
    figure = page.locator("[data-file='figure.png']")
    assert figure.locator("[data-file-note]").inner_text() == (
        "This file is not UTF-8 text, so it is not shown here: download it to read it."
    )
    assert figure.locator(".highlight").count() == 0
    with page.expect_download() as info:
        figure.get_by_role("link", name="Download figure.png").click()
    assert Path(info.value.path()).read_bytes() == raw
    screenshot(page, "student-submission-long-file")
    page.context.close()


def test_file_view_escapes_caps_and_refuses_binary() -> None:
    view = file_view("toy.py", b"x = '<script>'\n")
    assert view.html is not None and "<script>" not in view.html and "&lt;script&gt;" in view.html
    binary = file_view("toy.py", b"\xff\xfe\x00\x01")
    assert binary.html is None
    assert binary.note == "This file is not UTF-8 text, so it is not shown here: download it to read it."
    one_line = file_view("toy.py", b"y" * 300_000)
    assert one_line.note is not None and "(60,000 of 300,000 characters)" in one_line.note
    assert attachment("résumé.py") == "attachment; filename=\"r_sum_.py\"; filename*=UTF-8''r%C3%A9sum%C3%A9.py"
    assert check_file_name("layer.py") == "layer.py"
    for bad in ("a/b.py", "a\\b.py", "..", "x" * 256, "a\nb"):
        with pytest.raises(Invalid, match="no slashes or control characters"):
            check_file_name(bad)
