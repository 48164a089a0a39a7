"""The demo course's example submissions: graded in the real sandbox at set-up, shown as each user would see them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.service import issue_token
from app.db import Database
from app.db.models import Submission, User
from app.demo_examples import seed_demo_submissions
from app.main import create_app
from app.setup import ensure_demo
from tests.app.conftest import settings_for

PASSWORDS = {"instructor": "password-instructor", "ta": "password-ta", "student": "password-student"}


def test_a_fresh_demo_shows_a_diagnosed_mistake_a_review_a_chosen_submission_and_held_results(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        with db.session() as session:
            ensure_demo(session, PASSWORDS)
        lines = seed_demo_submissions(db, settings_for(database_url, tmp_path))
        assert seed_demo_submissions(db, settings_for(database_url, tmp_path)) == []  # once only
        with db.session() as session:
            ensure_demo(session, PASSWORDS)  # the demo command run again adds no second review example
            tokens = {
                name: issue_token(session, session.scalar(select(User).where(User.username == name)), name="t")[1]
                for name in PASSWORDS
            }
            assert session.scalar(select(func.count(Submission.id))) == 4
    finally:
        db.dispose()
    graded = [line for line in lines if line.startswith("demo: submission") and " (" in line]
    assert [line.split(" (")[0].split(" on ")[1] for line in graded] == [
        "activations",
        "activations",
        "two-layer-net",
        "layers",
    ], lines
    assert all(line.endswith(": graded") for line in graded), lines
    by_problem = {line.split(" (")[0].split(" on ")[1]: line for line in graded}
    layers_id = int(by_problem["layers"].split()[2])
    assert lines[-2:] == [
        f"demo: adjustment on submission {layers_id}",
        f"demo: regrade request on submission {layers_id}",
    ]

    app = create_app(settings_for(database_url, tmp_path), start_grading=False)
    with TestClient(app) as client:

        def get(who: str, path: str) -> object:
            answer = client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
            assert answer.status_code == 200, answer.text
            return answer.json() if path.endswith(".csv") is False else answer.text

        mine = {s["id"]: s for s in get("student", "/api/v1/me/submissions")}  # type: ignore[union-attr]
        assert sorted(s["problem"] for s in mine.values()) == ["activations", "activations", "layers", "two-layer-net"]

        # The mistake: graded, the dropout tests fail with the likely cause, a TA's point back, an open request.
        layers = get("student", f"/api/v1/submissions/{layers_id}")
        assert isinstance(layers, dict)
        failed = {t["name"]: t["feedback"] for t in layers["tests"] if not t["passed"] and t["visible"]}
        assert {"dropout_forward_train", "dropout_backward_train"} <= set(failed), sorted(failed)
        assert "Likely cause: This is inverted dropout" in failed["dropout_forward_train"]
        assert all(name.startswith("dropout_") for name in failed), sorted(failed)
        assert layers["adjustment"] == 1.0 and layers["adjusted_score"] == layers["score"] + 1.0
        assert layers["score"] < layers["max_score"]
        requests = get("student", f"/api/v1/submissions/{layers_id}/regrade-requests")
        assert [(r["state"], r["student"]) for r in requests] == [("open", "student")]  # type: ignore[index,union-attr]

        # The held problem: the student sees it received and nothing of the score; the TA sees the score.
        held_id = int(by_problem["two-layer-net"].split()[2])
        held = get("student", f"/api/v1/submissions/{held_id}")
        assert isinstance(held, dict)
        assert (held["status"], held["score"], held["tests"]) == ("received", None, [])
        staff_view = get("ta", f"/api/v1/submissions/{held_id}")
        assert isinstance(staff_view, dict)
        assert staff_view["status"] == "graded" and staff_view["score"] == staff_view["max_score"]

        # The chosen submission counts over the later one with a mistake, and the gradebook says so.
        chosen = [line for line in lines if "chosen by the student" in line]
        assert len(chosen) == 1 and chosen[0].endswith("to count on activations")
        chosen_id = int(chosen[0].split()[2])
        later = max(i for i, s in mine.items() if s["problem"] == "activations")
        assert later > chosen_id
        book = get("instructor", "/api/v1/courses/demo/gradebook.csv")
        assert isinstance(book, str)
        row = next(r for r in csv.DictReader(io.StringIO(book)) if r["username"] == "student")
        assert row["activations:submission"] == str(chosen_id)
        assert row["activations:counts"] == "chosen by the student"
        assert row["activations"] == row["activations:max"]
        assert row["layers:submission"] == str(layers_id)
        assert float(row["layers"]) == layers["score"] + 1.0
