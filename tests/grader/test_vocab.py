"""The engine's vocabulary: call statuses and judgement stages are stored, sent and shown as these very strings."""

from __future__ import annotations

import json
import sqlite3

import pytest

from grader._vocab import (
    CLEAN_STATUSES,
    RUNNER_STATUSES,
    CallStatus,
    Stage,
    exit_code_status,
    signal_status,
)


def test_call_statuses_are_the_strings_stored_in_reports_and_frames() -> None:
    assert [s.value for s in CallStatus] == [
        "ok",
        "notimpl",
        "import",
        "type",
        "error",
        "memory",
        "exit",
        "exited",
        "timeout",
        "cpu",
        "overflow",
        "channel",
        "output",
        "budget",
        "harness",
    ]
    assert (signal_status(9), exit_code_status(3)) == ("signal:9", "exit:3")


def test_a_runner_claims_only_the_statuses_of_a_call_that_returned_or_raised() -> None:
    assert sorted(CLEAN_STATUSES) == ["import", "notimpl", "ok", "type"]
    assert sorted(RUNNER_STATUSES) == ["error", "exit", "import", "memory", "notimpl", "ok", "type"]
    assert "ok" in RUNNER_STATUSES and "channel" not in RUNNER_STATUSES  # plain strings from a frame


def test_stages_are_the_strings_stored_with_each_test() -> None:
    assert [s.value for s in Stage] == ["ran", "type", "shape", "finite", "close", "accuracy"]


@pytest.mark.parametrize("member", [CallStatus.TIMEOUT, Stage.CLOSE])
def test_a_member_is_its_string_in_json_text_and_the_database(member: str) -> None:
    text = member.value
    assert member == text and hash(member) == hash(text) and {text: 1}[member] == 1
    assert (str(member), f"{member}", json.dumps({member: member})) == (text, text, f'{{"{text}": "{text}"}}')
    db = sqlite3.connect(":memory:")
    db.execute("create table t (s text)")
    db.execute("insert into t values (?)", (member,))
    assert db.execute("select s, typeof(s) from t").fetchall() == [(text, "text")]
