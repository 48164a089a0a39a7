"""The dashboard in real Chromium: students submit and read feedback, instructors upload, regrade and export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from app.db.models import Role
from grader.bundle import bundle_to_zip
from tests.app.conftest import load_toy, solution_of
from tests.web.conftest import LiveServer, screenshot


def _wrong_solution() -> bytes:
    bundle = load_toy("toy-layers")
    return bundle.files["solution/toy.py"] + b"\n" + bundle.files["mistakes/mse_sum.py"]


def _submit(page: Any, tmp: Path, name: str, content: bytes) -> None:
    path = tmp / name
    path.write_bytes(content)
    page.get_by_label("Solution files").set_input_files(str(path))
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/s/\d+$"))


def _wait_status(page: Any, status: str) -> None:
    page.locator("[data-status]", has_text=status).wait_for(timeout=60_000)


def test_a_student_submits_a_correct_and_a_wrong_file_and_reads_score_and_diagnosis(
    live: LiveServer, page_for: Any, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    page = page_for("alice")
    page.get_by_role("link", name="DL").click()
    screenshot(page, "student-course")
    page.get_by_role("link", name=re.compile("Toy layers")).click()
    screenshot(page, "student-problem")
    assert page.get_by_label("Solution files").is_visible()

    dir_ok = tmp_path / "ok"
    dir_ok.mkdir()
    _submit(page, dir_ok, "toy.py", solution_of(load_toy("toy-layers"))["toy.py"])
    seen = page.locator("[data-status]").inner_text()
    assert seen in ("queued", "running", "graded")
    _wait_status(page, "graded")  # the page updated itself, no reload
    assert page.locator("[data-score]").inner_text() == "6"
    screenshot(page, "student-submission-correct")

    page.goto("/c/dl/p/toy-layers")
    dir_bad = tmp_path / "bad"
    dir_bad.mkdir()
    _submit(page, dir_bad, "toy.py", _wrong_solution())
    _wait_status(page, "graded")
    assert page.locator("[data-score]").inner_text() != "6"
    failing = page.locator("tr.fail")
    assert failing.count() >= 1
    assert "mean" in page.locator(".diagnosis").first.inner_text().lower()
    screenshot(page, "student-submission")

    page.goto("/me/submissions")
    assert page.locator("svg.chart").count() >= 1
    screenshot(page, "student-my-submissions")


def test_the_submit_form_shows_errors_in_the_page(live: LiveServer, page_for: Any, tmp_path: Path) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    page = page_for("alice")
    page.goto("/c/dl/p/toy-layers")
    path = tmp_path / "wrong_name.py"
    path.write_text("x = 1\n")
    page.get_by_label("Solution files").set_input_files(str(path))
    page.get_by_role("button", name="Submit", exact=True).click()
    alert = page.get_by_role("alert")
    assert "'wrong_name.py' is not a file of this problem" in alert.inner_text()
    assert "Traceback" not in page.content()


def test_printed_script_tags_are_shown_as_text(live: LiveServer, page_for: Any, tmp_path: Path) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    page = page_for("alice")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/c/dl/p/toy-layers")
    hostile = (
        b"print('<script>alert(1)</script><img src=x onerror=alert(2)>')\n"
        + solution_of(load_toy("toy-layers"))["toy.py"]
    )
    _submit(page, tmp_path, "toy.py", hostile)
    _wait_status(page, "graded")
    assert "<script>alert(1)</script>" in page.locator("pre.output").first.inner_text()
    assert page.locator("pre.output script").count() == 0 and page.locator("pre.output img").count() == 0
    assert dialogs == []
    screenshot(page, "student-submission-escaped-output")


def test_a_student_cannot_open_another_students_submission(live: LiveServer, page_for: Any, tmp_path: Path) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("bob", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    alice = page_for("alice")
    alice.goto("/c/dl/p/toy-layers")
    _submit(alice, tmp_path, "toy.py", solution_of(load_toy("toy-layers"))["toy.py"])
    url = alice.url
    bob = page_for("bob")
    answer = bob.goto(url)
    assert answer is not None and answer.status == 404
    assert "Not found" in bob.locator("h1").inner_text()
    assert "6" not in bob.locator("main").inner_text()


def test_an_instructor_uploads_publishes_regrades_and_exports(live: LiveServer, page_for: Any, tmp_path: Path) -> None:
    live.world.user("ian", role=Role.INSTRUCTOR)
    live.world.user("alice", role=Role.STUDENT)
    ian = page_for("ian")
    ian.goto("/c/dl/upload")
    bundle = tmp_path / "toy-layers.zip"
    bundle.write_bytes(bundle_to_zip(load_toy("toy-layers")))
    ian.get_by_label("Problem bundle (zip)").set_input_files(str(bundle))
    ian.get_by_role("button", name="Upload and check").click()
    ian.wait_for_url(re.compile(r"/upload-checks/\d+$"))  # answered at once; the page follows the check
    ian.locator("[data-check-state]", has_text="passed").wait_for(timeout=120_000)
    assert "Version 1 of toy-layers is now current" in ian.get_by_role("status").inner_text()
    assert "Tests added: " in ian.locator("[data-changes]").inner_text()
    assert "ok: reference scores full marks" in ian.locator("main").inner_text()
    screenshot(ian, "instructor-upload-check")
    ian.get_by_role("link", name="Problem settings").click()
    ian.wait_for_url(re.compile(r"/manage$"))
    screenshot(ian, "instructor-manage")
    ian.get_by_label("Published (students can see and submit)").check()
    ian.get_by_role("button", name="Save settings").click()
    assert "Saved." in ian.get_by_role("status").inner_text()

    alice = page_for("alice")
    alice.goto("/c/dl/p/toy-layers")
    _submit(alice, tmp_path, "toy.py", _wrong_solution())
    _wait_status(alice, "graded")

    ian.goto("/c/dl/p/toy-layers/manage")
    ian.get_by_role("button", name="Start regrade").click()
    ian.wait_for_url(re.compile(r"/regrades/\d+$"))
    ian.get_by_role("button", name="Apply the new scores").wait_for()
    ian.locator("button:not([disabled])", has_text="Apply the new scores").wait_for(timeout=60_000)
    screenshot(ian, "instructor-regrade")
    ian.get_by_role("button", name="Apply the new scores").click()
    ian.locator("[data-regrade-state]", has_text="applied").wait_for()

    ian.goto("/c/dl/overview")
    assert ian.get_by_role("table", name="Most failed tests").is_visible()
    assert ian.locator("svg.chart").count() >= 1
    screenshot(ian, "instructor-overview")

    ian.goto("/c/dl")
    with ian.expect_download() as info:
        ian.get_by_role("link", name="Gradebook (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert [r["username"] for r in rows] == ["alice"] and rows[0]["toy-layers"] == "3"

    ian.goto("/c/dl/submissions?state=graded")
    assert ian.locator("tbody tr").count() == 1
    screenshot(ian, "instructor-submissions")


def test_forms_without_the_csrf_token_are_refused(live: LiveServer, page_for: Any) -> None:
    live.world.user("alice", role=Role.STUDENT)
    page = page_for("alice")
    answer = page.request.post(f"{live.base}/me/tokens", form={"name": "x", "days": "3"})
    assert answer.status == 403
    assert "reload the page" in answer.text()


def test_the_session_cookie_is_httponly_and_samesite(live: LiveServer, page_for: Any) -> None:
    live.world.user("alice", role=Role.STUDENT)
    page = page_for("alice")
    cookie = next(c for c in page.context.cookies() if c["name"] == "gradelab_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


def test_logging_out_ends_the_session(live: LiveServer, page_for: Any) -> None:
    live.world.user("alice", role=Role.STUDENT)
    page = page_for("alice")
    page.get_by_role("button", name=re.compile("Log out")).click()
    page.wait_for_url(re.compile("/login"))
    page.goto("/")
    assert "/login" in page.url


def test_pages_work_on_a_phone_and_by_keyboard(live: LiveServer, page_for: Any) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    page = page_for("alice", phone=True)
    page.goto("/c/dl/p/toy-layers")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the problem page scrolls sideways on a phone ({width}px)"
    screenshot(page, "student-problem-phone")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "files":
            break
    assert page.evaluate("document.activeElement.id") == "files"


def test_a_training_problem_shows_accuracy_against_its_bar_and_the_training_curve(
    live: LiveServer, page_for: Any, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-classifier"))
    page = page_for("alice")
    page.goto("/c/dl/p/toy-classifier")
    _submit(page, tmp_path, "clf.py", solution_of(load_toy("toy-classifier"))["clf.py"])
    _wait_status(page, "graded")
    row = page.locator("tr", has=page.locator("th", has_text="train_accuracy"))
    assert re.search(r"Accuracy \d+\.\d% \(bar \d+\.\d%\)", row.inner_text())
    figure = page.locator("figure", has_text="Training history of train_accuracy")
    assert figure.locator("svg polyline").count() >= 1
    screenshot(page, "student-submission-training")
