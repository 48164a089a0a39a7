"""Fixtures for the service: a migrated database (SQLite always, PostgreSQL too), apps, people, problems."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.accounts.service import create_user, issue_token, set_password
from app.config import Settings
from app.courses.service import create_course, enrol
from app.db import Database
from app.db import migrate as migrations
from app.db.models import Role
from app.main import create_app
from app.problems.service import add_problem
from grader.bundle import Bundle, bundle_to_zip, load_bundle

BUNDLES = Path(__file__).resolve().parent.parent / "bundles"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database: a SQLite file, or a new database on a throwaway PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.new_database(f"t_{uuid.uuid4().hex[:12]}")
    migrations.upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    migrations.upgrade(url)
    return url


def settings_for(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "data_dir": tmp_path,
        "slots": 0,
        "check_uploads": False,
        "lease_seconds": 30.0,
        "sweep_interval_seconds": 0.5,
    }
    values.update(overrides)
    return Settings(**values)


_counter = itertools.count()


@dataclass
class World:
    """A course with people and problems, built through the services, and a client for the API."""

    db: Database
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    course: str = "dl"

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def user(self, name: str, *, role: Role | None = None, course: str | None = None, admin: bool = False) -> str:
        with self.db.session() as session:
            user = create_user(session, name, is_admin=admin, full_name=name.title())
            set_password(user, f"password-of-{name}")
            if role is not None:
                enrol(session, _course(session, course or self.course), user, role)
            _, self.tokens[name] = issue_token(session, user, name="test")
        return name

    def add_course(self, slug: str) -> None:
        with self.db.session() as session:
            create_course(session, slug, slug.upper())

    def add_problem(self, bundle: Bundle, *, course: str | None = None, published: bool = True) -> None:
        with self.db.session() as session:
            problem, _ = add_problem(session, _course(session, course or self.course), bundle, None, None)
            problem.published = published

    def keep_every_submission(self) -> None:
        """Turn superseding off on every problem: each of a student's queued submissions is graded."""
        from sqlalchemy import update

        from app.db.models import Problem

        with self.db.session() as session:
            session.execute(update(Problem).values(supersede_queued=False))

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers(who), **kw)

    def patch(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.patch(path, headers=self.headers(who), **kw)

    def delete(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self.headers(who), **kw)

    def submit(self, who: str, problem: str, files: dict[str, bytes], course: str | None = None) -> Any:
        parts = [("files", (name, content, "text/x-python")) for name, content in files.items()]
        return self.post(who, f"/api/v1/courses/{course or self.course}/problems/{problem}/submissions", files=parts)


def _course(session: Any, slug: str) -> Any:
    from sqlalchemy import select

    from app.db.models import Course

    return session.scalar(select(Course).where(Course.slug == slug))


WorldFactory = Callable[..., World]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[WorldFactory]:
    """Build a `World` on a database URL; `slots` > 0 starts real sandboxed grading in the app."""
    clients: list[TestClient] = []

    def build(url: str, **overrides: Any) -> World:
        settings = settings_for(url, tmp_path, **overrides)
        app = create_app(settings, start_grading=settings.slots > 0)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        world = World(db=app.state.runtime.db, client=client)
        world.add_course("dl")
        return world

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    """Alice (a student) and Ian (an instructor) in a course with toy-layers, graded by one real sandbox slot.

    A test module that needs other people, problems or settings defines its own `world`, which wins."""
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


@pytest.fixture(scope="session")
def toy_zip(toy_layers: Bundle) -> bytes:
    return bundle_to_zip(toy_layers)


def solution_of(bundle: Bundle) -> dict[str, bytes]:
    return {name: bundle.files[f"solution/{name}"] for name in bundle.spec.files}


def starter_of(bundle: Bundle) -> dict[str, bytes]:
    return {name: bundle.files[f"starter/{name}"] for name in bundle.spec.files}


def wait_graded(world: World, who: str, submission_id: int, timeout: float = 60.0) -> dict[str, Any]:
    """Poll until the submission is graded or failed."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        body = world.get(who, f"/api/v1/submissions/{submission_id}").json()
        if body["status"] in ("graded", "failed"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"submission {submission_id} still {body['status']} after {timeout} s")
        time.sleep(0.05)


def load_toy(name: str) -> Bundle:
    return load_bundle(BUNDLES / name)
