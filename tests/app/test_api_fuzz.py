"""Schema-driven fuzzing of the whole API with schemathesis: no 5xx, and every answer as the description says.

The app's own OpenAPI description drives generation (schemathesis' coverage and fuzzing phases); every
operation is called in-process (ASGI) with a bearer token, once as an instructor of the course and once as a
student, against a fresh SQLite database with `slots=0` (submissions only queue). Path parameters are often
real things (the course "dl", the problem "toy-layers", existing submissions, a pending regrade, a spare
token) and uploads are often real files (the problem's zip, its solution, a roster), so the fuzzing reaches
past the 404s and 422s into the handlers.

The schema comes from `schemathesis.openapi.from_dict` at collection time, not `schemathesis.pytest.from_fixture`:
the lazy loader of schemathesis 4.32 reads `Item._nodeid`, which pytest 9.2 no longer has.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.db.models import Role
from app.main import create_app
from grader.bundle import bundle_to_zip
from tests.app.conftest import WorldFactory, load_toy, solution_of

COURSE = "dl"
PROBLEM = "toy-layers"
# Excluded: the live SSE stream of a submission; nothing is graded here (`slots=0`), so a stream of a real
# submission stays open for its full 600 s.
EVENTS = "/api/v1/submissions/{submission_id}/events"
SUBMIT = "/api/v1/courses/{course}/problems/{slug}/submissions"


def _load_schema() -> Any:
    # The description does not depend on the database: an app that never starts gives it at collection time.
    raw = copy.deepcopy(create_app(Settings(database_url="sqlite://", slots=0), start_grading=False).openapi())
    # Submitted files carry the problem's file name, so that real contents reach the checks past the name.
    form = raw["paths"][SUBMIT]["post"]["requestBody"]["content"]["multipart/form-data"]
    disposition = 'form-data; name="files"; filename="toy.py"'
    form["encoding"] = {"files": {"headers": {"Content-Disposition": {"schema": {"example": disposition}}}}}
    return schemathesis.openapi.from_dict(raw).exclude(path=EVENTS)


schema = _load_schema()

# Real values for path parameters, filled in by the `target` fixture before any case is drawn.
REAL: dict[str, list[Any]] = {}
# The id of the token the run authenticates with, and a spare one of the same person.
TOKENS: dict[str, int] = {}
# Generated integers reach past int64 only now and then; the first one past a 64-bit database column is
# mixed into ids and query integers on purpose, so that the run is not down to the seed.
OUT_OF_RANGE = [2**63]
# Real contents for the multipart uploads, by form field.
UPLOADS: dict[str, Any] = {
    "bundle": bundle_to_zip(load_toy(PROBLEM)),
    "files": [solution_of(load_toy(PROBLEM))["toy.py"]],
    "roster": b"username,full_name,role\nbob,Bob,student\n",
    "file": f"username,problem,deadline,extra_quota,reason\nalice,{PROBLEM},2026-12-24T10:00Z,1,\n".encode(),
}


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any] | None) -> Any:
    """Each path parameter is a real value or the generated one (an id may also be just out of int64 range)."""
    if not path_parameters:
        return st.just(path_parameters)
    choices = {
        name: st.sampled_from([*REAL[name], value, *(OUT_OF_RANGE if name.endswith("_id") else [])])
        if name in REAL
        else st.just(value)
        for name, value in path_parameters.items()
    }
    return st.fixed_dictionaries(choices).map(_spare_own_token)


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: dict[str, Any] | None) -> Any:
    """Now and then an integer in the query (an offset, a limit) is just out of int64 range."""
    numbers = [name for name, value in (query or {}).items() if isinstance(value, int) and not isinstance(value, bool)]
    if not query or not numbers:
        return st.just(query)
    return st.sampled_from([query, *({**query, name: OUT_OF_RANGE[0]} for name in numbers)])


def _spare_own_token(chosen: dict[str, Any]) -> dict[str, Any]:
    # Never revoke the token the run authenticates with (all else would be 401s); the spare one is fair game.
    if "token_id" in chosen and chosen["token_id"] == TOKENS.get("own"):
        return {**chosen, "token_id": TOKENS["spare"]}
    return chosen


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    """An upload is the generated one or, about as often, real contents."""
    if isinstance(body, dict) and (real := {k: v for k, v in UPLOADS.items() if k in body}):
        return st.sampled_from([body, {**body, **real}])
    return st.just(body)


@dataclass
class Target:
    app: Any
    headers: dict[str, str]


@pytest.fixture(params=[Role.INSTRUCTOR, Role.STUDENT], ids=["instructor", "student"])
def target(request: pytest.FixtureRequest, make_world: WorldFactory, sqlite_url: str) -> Iterator[Target]:
    world = make_world(sqlite_url, slots=0)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("alice", role=Role.STUDENT)
    world.add_problem(load_toy(PROBLEM))
    me = "ian" if request.param is Role.INSTRUCTOR else "alice"

    # Real things to point at: a queued submission of each person, a pending regrade, a spare token.
    submissions = [world.submit(who, PROBLEM, solution_of(load_toy(PROBLEM))).json()["id"] for who in ("alice", "ian")]
    regrade = world.post("ian", f"/api/v1/courses/{COURSE}/problems/{PROBLEM}/regrades", json={})
    assert regrade.status_code == 202, regrade.text
    spare = world.post(me, "/api/v1/me/tokens", json={"name": "spare"}).json()["id"]
    own = next(t["id"] for t in world.get(me, "/api/v1/me/tokens").json() if t["name"] == "test")
    REAL.update(
        course=[COURSE],
        slug=[PROBLEM],
        submission_id=submissions,
        regrade_id=[regrade.json()["id"]],
        token_id=[spare],
        username=["alice"],
    )
    TOKENS.update(own=own, spare=spare)
    yield Target(app=world.client.app, headers=world.headers(me))
    REAL.clear()
    TOKENS.clear()
    # schemathesis runs the app's lifespan on its own event loop thread; end it with the test.
    asgi.shutdown_lifespans()


@schema.parametrize()
@hypothesis.settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: each 5xx logs a long rendered traceback, so shrinking one runs into minutes.
    phases=[Phase.explicit, Phase.generate, Phase.target],
    # The world is built once per operation and role on purpose (function-scoped fixture); cases share it.
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_answers_match_the_description(case: schemathesis.Case, target: Target) -> None:
    # Every status the app answers with is documented, with its body (errors are `{"detail", "errors"}`).
    case.call_and_validate(
        app=target.app,
        headers=target.headers,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
