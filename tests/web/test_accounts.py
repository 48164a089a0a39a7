"""Accounts in real Chromium: an instructor makes set-password links, a student uses one and manages sessions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from app.db.models import Role
from tests.web.conftest import LiveServer, screenshot


def test_an_imported_student_sets_a_password_from_a_link_signs_in_and_ends_their_session(
    live: LiveServer, page_for: Any, tmp_path: Path
) -> None:
    live.world.user("ian", role=Role.INSTRUCTOR)
    teacher = page_for("ian")
    teacher.goto("/c/dl/roster")
    roster = tmp_path / "roster.csv"
    roster.write_text("username,full_name,email\nnewbie,New Bie,newbie@uni.example\nnina,Nina N,\n")
    teacher.locator("#roster").set_input_files(str(roster))
    teacher.get_by_role("button", name="Import roster").click()
    teacher.get_by_role("status").filter(has_text="Imported: 2 invited").wait_for()

    teacher.get_by_role("button", name="Create links for all students without a password").click()
    made = teacher.locator("[data-made]")
    made.wait_for()
    rows = [r.locator("td").all_inner_texts() for r in made.locator("tbody tr").all()]
    assert [r[0] for r in rows] == ["newbie", "nina"]
    links = {r[0]: r[1] for r in rows}
    for link in links.values():
        assert re.fullmatch(re.escape(live.base) + r"/set-password/[A-Za-z0-9_-]{40,}", link), link
    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Download these links as CSV").click()
    assert download.value.suggested_filename == "dl-password-links.csv"
    saved = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {r["username"]: r["link"] for r in saved} == links
    screenshot(teacher, "accounts-roster-links")

    teacher.get_by_role("button", name="Create set-password link for nina").click()
    single = teacher.locator("[data-made] [data-link]")
    single.wait_for()
    assert single.count() == 1 and single.inner_text() != links["nina"]
    record = teacher.locator("[data-link-record] tbody tr").all_inner_texts()
    assert record[0].split("\t")[:3] == ["nina", "set", "ian"] and record[0].endswith("active")
    assert any(r.startswith("nina\tset\tian") and r.endswith("replaced") for r in record)

    student = page_for(None)
    student.goto(links["nina"])  # replaced by the newer link
    assert student.get_by_role("heading", level=1).inner_text() == "This link was replaced"
    assert "If you received the newer link, use that one; otherwise ask your instructor for a new link." in (
        student.locator("main").inner_text()
    )
    screenshot(student, "accounts-link-replaced")

    student.goto(links["newbie"])
    assert student.get_by_role("heading", level=1).inner_text() == "Choose your password"
    assert "For the account newbie." in student.locator("main").inner_text()
    student.get_by_label("Password", exact=True).fill("short")
    student.get_by_label("Password again").fill("short")
    student.locator("form").evaluate("f => f.noValidate = true")  # let the server answer, as an old browser would
    student.get_by_role("button", name="Set password and log in").click()
    assert "The password is too short: use at least 8 characters" in student.get_by_role("alert").inner_text()
    screenshot(student, "accounts-set-password-error")
    student.get_by_label("Password", exact=True).fill("a long new password")
    student.get_by_label("Password again").fill("a long new password")
    student.get_by_role("button", name="Set password and log in").click()
    student.wait_for_url(f"{live.base}/?password=set")
    assert student.get_by_role("status").inner_text() == "Your password is set and you are logged in as newbie."
    assert student.get_by_role("region", name="Invitations").inner_text().startswith("Invitations\nDL dl · student")
    screenshot(student, "accounts-student-home")
    student.get_by_role("button", name="Join").click()
    student.wait_for_url(f"{live.base}/c/dl")
    assert student.get_by_role("heading", level=1).inner_text() == "DL"
    screenshot(student, "accounts-student-course")

    student.goto(links["newbie"])  # the link is spent
    assert student.get_by_role("heading", level=1).inner_text() == "This link was already used"

    student.get_by_role("link", name="log in").click()
    student.get_by_label("Username").fill("newbie")
    student.get_by_label("Password").fill("a long new password")
    student.get_by_role("button", name="Log in").click()
    student.wait_for_url(f"{live.base}/")
    student.goto("/me/tokens")
    sessions = student.locator("[data-tokens] tbody tr")
    assert sessions.count() == 2  # the session the link opened and this login
    current = student.locator("[data-tokens] tr.current")
    cells = current.locator("td").all_inner_texts()
    now = dt.datetime.now(dt.UTC)
    assert re.fullmatch(
        r"browser session \(headless Chrome on Linux, signed in \d{4}-\d\d-\d\d \d\d:\d\d UTC\) this session", cells[0]
    ), cells[0]
    expires = dt.datetime.strptime(cells[3], "%Y-%m-%d %H:%M UTC").replace(tzinfo=dt.UTC)
    assert dt.timedelta(days=6, hours=23) < expires - now <= dt.timedelta(days=7)
    screenshot(student, "accounts-tokens")

    other = student.locator("[data-tokens] tbody tr:not(.current)")
    other.get_by_role("button").click()  # revoke the first session: this one goes on
    student.wait_for_url(f"{live.base}/me/tokens")
    assert student.locator("[data-tokens] tbody tr").count() == 1
    assert "revoked" in student.locator("[data-ended]").inner_text()

    student.get_by_role("button", name="Revoke and log out").click()
    student.wait_for_url(re.compile(r"/login$"))
    student.goto("/c/dl")
    student.wait_for_url(re.compile(r"/login\?next="))
    assert student.get_by_role("heading", level=1).inner_text() == "Log in"


def test_changing_the_password_on_the_account_page(live: LiveServer, page_for: Any) -> None:
    live.world.user("sam", role=Role.STUDENT)
    page = page_for("sam")
    page.goto("/me/tokens")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a better password")
    page.get_by_label("New password again").fill("a better password")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("alert").inner_text() == "The current password is wrong."
    page.get_by_label("Current password").fill("password-of-sam")
    page.get_by_label("New password", exact=True).fill("a better password")
    page.get_by_label("New password again").fill("a better password")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("status").inner_text() == "Your password was changed."
    screenshot(page, "accounts-password-changed")
    again = page_for(None)
    again.goto("/login")
    again.get_by_label("Username").fill("sam")
    again.get_by_label("Password").fill("a better password")
    again.get_by_role("button", name="Log in").click()
    again.wait_for_url(f"{live.base}/")
