"""`/metrics` is for admins and the configured scraper token, never for anyone on the network."""

from __future__ import annotations

from app.db.models import Role
from tests.app.conftest import WorldFactory

SCRAPER = "a-long-random-scraper-token-for-prometheus"


def test_metrics_without_a_token_are_refused_with_how_to_send_one(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, metrics_token=SCRAPER)
    answer = world.client.get("/metrics")
    assert answer.status_code == 401
    assert "GRADELAB_METRICS_TOKEN" in answer.json()["detail"]
    assert "gradelab_" not in answer.text


def test_metrics_refuse_a_student_and_an_instructor(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, metrics_token=SCRAPER)
    for name, role in (("alice", Role.STUDENT), ("ian", Role.INSTRUCTOR)):
        world.user(name, role=role)
        answer = world.get(name, "/metrics")
        assert answer.status_code == 403
        assert "admins and the metrics scraper" in answer.json()["detail"]
    wrong = world.client.get("/metrics", headers={"Authorization": "Bearer not-the-scraper-token"})
    assert wrong.status_code == 401


def test_metrics_answer_the_scraper_token_and_an_admin(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, metrics_token=SCRAPER)
    world.user("root", admin=True)
    scraped = world.client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER}"})
    assert scraped.status_code == 200 and "gradelab_submissions_created_total" in scraped.text
    assert world.get("root", "/metrics").status_code == 200


def test_without_a_configured_scraper_token_only_admins_read_metrics(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    world.user("root", admin=True)
    assert world.client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert world.get("root", "/metrics").status_code == 200
