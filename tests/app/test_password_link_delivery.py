"""Password links on the command line, and by mail through a real SMTP server started for the test."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.db import migrate
from app.db.models import Role
from tests.app.conftest import WorldFactory

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"(https?://[^\s/]+)/set-password/([A-Za-z0-9_-]{40,})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _mail_settings(port: int) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False, "smtp_from": "grades@uni.example"}


def test_a_link_is_mailed_and_the_mailed_link_sets_the_password(
    make_world: WorldFactory, sqlite_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    world = make_world(sqlite_url, public_url="https://grade.uni.example", **_mail_settings(port))
    world.user("ian", role=Role.INSTRUCTOR)
    roster = "username,full_name,email\nnewbie,New Bie,newbie@uni.example\nquiet,Quiet One,\n"
    world.post("ian", "/api/v1/courses/dl/roster", files={"roster": ("r.csv", roster.encode(), "text/csv")})

    answer = world.post("ian", "/api/v1/courses/dl/password-links")
    assert answer.status_code == 201
    body = answer.json()
    assert body["mail_error"] is None
    assert {link["username"]: link["mailed"] for link in body["links"]} == {"newbie": True, "quiet": False}
    shown = next(link["link"] for link in body["links"] if link["username"] == "newbie")

    [message] = inbox.messages
    assert message["To"] == "newbie@uni.example" and message["X-Envelope-To"] == "newbie@uni.example"
    assert message["From"] == "grades@uni.example"
    assert message["Subject"] == "gradelab: choose your password for newbie"
    text = message.get_content()
    match = LINK.search(text)
    assert match is not None and match.group(0) == shown
    assert match.group(1) == "https://grade.uni.example"  # the public address, not the one the request came to
    assert "works once and until" in text

    page = world.client.get(f"/set-password/{match.group(2)}")
    assert page.status_code == 200 and "newbie" in page.text
    done = world.client.post("/api/v1/auth/set-password", json={"token": match.group(2), "password": "from my mail"})
    assert done.status_code == 204
    login = world.client.post("/api/v1/auth/token", json={"username": "newbie", "password": "from my mail"})
    assert login.status_code == 201
    record = world.get("ian", "/api/v1/courses/dl/password-links").json()
    assert {(r["username"], r["state"], r["mailed"]) for r in record} == {
        ("newbie", "used", True),
        ("quiet", "active", False),
    }


def test_a_mail_server_that_is_down_is_reported_and_the_link_is_still_shown(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, **_mail_settings(_free_port()))  # nothing listens there
    world.user("ian", role=Role.INSTRUCTOR)
    world.post("ian", "/api/v1/courses/dl/roster", files={"roster": ("r.csv", b"username,email\nann,a@x.example\n")})
    answer = world.post("ian", "/api/v1/courses/dl/students/ann/password-link")
    assert answer.status_code == 201
    body = answer.json()
    assert body["links"][0]["mailed"] is False and body["links"][0]["link"].startswith(
        "http://testserver/set-password/"
    )
    assert body["mail_error"].startswith("the mail server 127.0.0.1:") and "could not be used" in body["mail_error"]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_command_line_prints_a_link_that_works_and_mails_it(
    tmp_path: Path, make_world: WorldFactory, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)
    env = {**os.environ, "GRADELAB_DATABASE_URL": url, "GRADELAB_DATA_DIR": str(tmp_path / "data")}
    env.pop("GRADELAB_PUBLIC_URL", None)
    assert _cli(env, "create-user", "prof", "--email", "prof@uni.example").returncode == 0
    assert _cli(env, "create-course", "ml").returncode == 0

    missing = _cli(env, "password-link", "prof")
    assert missing.returncode == 2 and missing.stdout == ""
    assert "set GRADELAB_PUBLIC_URL to the dashboard's address" in missing.stderr

    env["GRADELAB_PUBLIC_URL"] = "https://grade.uni.example/"
    ghost = _cli(env, "password-link", "ghost")
    assert ghost.returncode == 2 and "error: no user 'ghost'" in ghost.stderr
    outside = _cli(env, "password-link", "prof", "--course", "ml")
    assert outside.returncode == 2 and "error: prof is not enrolled in ml" in outside.stderr

    env.update({f"GRADELAB_{k.upper()}": str(v) for k, v in _mail_settings(port).items()})
    made = _cli(env, "password-link", "prof")
    assert made.returncode == 0, made.stderr
    match = LINK.fullmatch(made.stdout.strip())
    assert match is not None and match.group(1) == "https://grade.uni.example"
    assert "set-password link for prof: works once, until " in made.stderr
    assert "mailed to prof@uni.example" in made.stderr
    [message] = inbox.messages
    assert match.group(0) in message.get_content()

    world = make_world(url)  # the service on the same database takes the printed link
    assert (
        world.client.post(
            "/api/v1/auth/set-password", json={"token": match.group(2), "password": "prof's password"}
        ).status_code
        == 204
    )
    assert (
        world.client.post("/api/v1/auth/token", json={"username": "prof", "password": "prof's password"}).status_code
        == 201
    )
    reset = _cli(env, "password-link", "prof")
    assert reset.returncode == 0 and "reset link (replaces the password) for prof" in reset.stderr
