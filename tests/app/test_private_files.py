"""What the service writes on the host is private to its user; demo accounts only when asked for."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import Database
from app.db import migrate as migrations
from app.main import create_app
from grader.bundle import Bundle
from grader.grading import ReferenceCache
from grader.sandbox import Sandbox
from tests.app.conftest import settings_for
from tests.app.test_process import app_cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GRADELAB_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'gradelab.db'}",
        "GRADELAB_DATA_DIR": str(tmp_path / "data"),
    }


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_its_wal_and_shared_memory_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    url = f"sqlite:///{folder / 'gradelab.db'}"
    migrations.upgrade(url)
    db = Database(url)
    try:
        with db.session() as session:
            session.execute(text("CREATE TABLE scratch (x INTEGER)"))
            session.execute(text("INSERT INTO scratch VALUES (1)"))
        files = {p.name: _mode(p) for p in folder.iterdir()}
    finally:
        db.dispose()
    assert {"gradelab.db", "gradelab.db-wal", "gradelab.db-shm"} <= set(files)
    assert all(mode == 0o600 for mode in files.values()), files
    assert _mode(folder) == 0o700


def test_database_files_left_readable_by_others_are_tightened_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url)
    db = Database(url)
    with db.session() as session:
        session.execute(text("SELECT 1"))
    db.dispose()
    for path in tmp_path.glob("old.db*"):
        path.chmod(0o644)
    Database(url).dispose()
    assert {p.name: _mode(p) for p in tmp_path.glob("old.db*")} == dict.fromkeys(
        [p.name for p in tmp_path.glob("old.db*")], 0o600
    )


def test_the_app_tightens_its_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    url = f"sqlite:///{data / 'gradelab.db'}"
    migrations.upgrade(url)
    create_app(settings_for(url, data), start_grading=False).state.runtime.db.dispose()
    assert _mode(data) == 0o700


def test_demo_logins_are_0600_even_over_an_older_wider_file(env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "demo-logins.json").write_text("{}")
    (data / "demo-logins.json").chmod(0o644)
    assert app_cli(env, "migrate").returncode == 0
    assert app_cli(env, "demo").returncode == 0
    assert _mode(data / "demo-logins.json") == 0o600


def test_the_containers_start_makes_no_demo_accounts_unless_asked(env: dict[str, str], tmp_path: Path) -> None:
    assert app_cli(env, "migrate").returncode == 0
    quiet = app_cli(env, "demo", "--when-enabled")
    assert quiet.returncode == 0, quiet.stderr
    assert "glt_" not in quiet.stdout and "password" not in quiet.stdout
    assert "GRADELAB_DEMO=true" in quiet.stdout
    assert not (tmp_path / "data" / "demo-logins.json").exists()
    asked = app_cli({**env, "GRADELAB_DEMO": "true"}, "demo", "--when-enabled")
    assert asked.returncode == 0 and "glt_" in asked.stdout
    assert json.loads((tmp_path / "data" / "demo-logins.json").read_text())["student"]["token"] in asked.stdout


def test_the_docker_image_starts_without_running_the_demo_unconditionally() -> None:
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    command = [line for line in dockerfile.splitlines() if line.startswith("CMD")][-1]
    assert "app demo --when-enabled" in command
    assert "app demo &&" not in command and "app demo;" not in command
    assert "install -d -m 0700" in dockerfile


def test_the_reference_cache_on_disk_is_private(tmp_path: Path, toy_layers: Bundle, sandbox: Sandbox) -> None:
    folder = tmp_path / "cache"
    ReferenceCache(folder).get(toy_layers, sandbox)
    files = list(folder.iterdir())
    assert files and all(_mode(p) == 0o600 for p in files)
    assert _mode(folder) == 0o700
