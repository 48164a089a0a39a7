"""A bundle upload in real Chromium: the page shows how much has been sent, then the check's page or what to fix."""

from __future__ import annotations

import contextlib
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.db.models import Role
from grader.bundle import bundle_from_files, bundle_to_zip
from tests.app.conftest import load_toy
from tests.web.conftest import LiveServer, screenshot

BYTES_PER_SECOND = 2_000_000
PADDING = 12_000_000  # random bytes do not compress: several seconds through the slow line


class SlowLine:
    """A loopback TCP relay to the live server that passes what the browser sends at a fixed rate.

    Chromium's network emulation does not slow request bodies, and loopback is instant; a relay
    with small socket buffers makes the upload take seconds, as on a slow line.
    """

    def __init__(self, target_port: int, rate: int) -> None:
        self.target_port = target_port
        self.rate = rate
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, self.rate), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, 0), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, rate: int) -> None:
        chunk = 16 * 1024
        try:
            while data := source.recv(chunk):
                sink.sendall(data)
                if rate:
                    time.sleep(len(data) / rate)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for s in self.sockets:
            s.close()


@pytest.fixture
def slow_page(browser: Any, live: LiveServer) -> Iterator[Any]:
    """Ian, an instructor, logged in through the slow line."""
    live.world.user("ian", role=Role.INSTRUCTOR)
    line = SlowLine(live.port, BYTES_PER_SECOND)
    context = browser.new_context(base_url=f"http://127.0.0.1:{line.port}")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/login")
    page.get_by_label("Username").fill("ian")
    page.get_by_label("Password").fill("password-of-ian")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))
    yield page
    context.close()
    line.close()


def _bundle_zip(tmp_path: Path, padding: int) -> Path:
    files = dict(load_toy("toy-layers").files)
    files["notes/figure.bin"] = random.Random(7).randbytes(padding)
    path = tmp_path / "toy-layers.zip"
    path.write_bytes(bundle_to_zip(bundle_from_files(files, "test")))
    return path


def test_a_slow_upload_shows_what_has_been_sent_then_follows_the_check(slow_page: Any, tmp_path: Path) -> None:
    ian = slow_page
    ian.goto("/c/dl/upload")
    path = _bundle_zip(tmp_path, PADDING)
    ian.get_by_label("Problem bundle (zip)").set_input_files(str(path))
    assert ian.locator("[data-upload-status]").is_hidden()
    ian.get_by_role("button", name="Upload and check").click()
    ian.wait_for_function(
        "() => { const bar = document.querySelector('[data-upload-status] progress');"
        " return bar && bar.value >= 10 && bar.value <= 90; }"
    )
    status = ian.locator("[data-upload-status]")
    assert status.is_visible()
    sent = re.search(r"Sent (\d+\.\d) of (\d+\.\d) MiB \((\d+)%\)", status.inner_text())
    assert sent is not None, status.inner_text()
    total_mib = path.stat().st_size / 2**20
    assert 0 < float(sent[1]) < float(sent[2])
    assert abs(float(sent[2]) - total_mib) < 0.1  # the form's other fields add a few hundred bytes
    assert ian.get_by_role("button", name="Upload and check").is_disabled()
    screenshot(ian, "instructor-upload-progress")
    ian.wait_for_url(re.compile(r"/upload-checks/\d+$"), timeout=60_000)
    ian.locator("[data-check-state]", has_text="passed").wait_for(timeout=120_000)
    assert "Version 1 of toy-layers is now current" in ian.get_by_role("status").inner_text()


def test_a_refused_upload_shows_what_to_fix_and_the_form_works_again(
    live: LiveServer, page_for: Any, tmp_path: Path
) -> None:
    live.world.user("ian", role=Role.INSTRUCTOR)
    ian = page_for("ian")
    ian.goto("/c/dl/upload")
    not_a_zip = tmp_path / "bundle.zip"
    not_a_zip.write_bytes(b"this is not a zip archive\n" * 100)
    ian.get_by_label("Problem bundle (zip)").set_input_files(str(not_a_zip))
    ian.get_by_role("button", name="Upload and check").click()
    alert = ian.get_by_role("alert")
    alert.wait_for()
    assert "zip" in alert.inner_text().lower()
    assert ian.url.endswith("/c/dl/upload")
    screenshot(ian, "instructor-upload-refused")

    # The form that came back is live: a real bundle now goes through to its check.
    ian.get_by_label("Problem bundle (zip)").set_input_files(str(_bundle_zip(tmp_path, 10)))
    ian.get_by_role("button", name="Upload and check").click()
    ian.wait_for_url(re.compile(r"/upload-checks/\d+$"))
    ian.locator("[data-check-state]", has_text="passed").wait_for(timeout=120_000)
