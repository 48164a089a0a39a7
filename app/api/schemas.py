"""Request and response bodies of the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.db.models import Counting, LatePolicy, Role


class ErrorRead(BaseModel):
    detail: str
    errors: list[str] = []


class TokenCreate(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    name: str = Field(default="api", max_length=100)
    days: int = Field(default=30, ge=1, le=3650)


class NewTokenCreate(BaseModel):
    name: str = Field(default="api", max_length=100)
    days: int = Field(default=30, ge=1, le=3650)


class TokenRead(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    browser: bool = False  # a dashboard login's session (revoking it logs that browser out)


class NewTokenRead(TokenRead):
    token: str


class CourseRead(BaseModel):
    slug: str
    title: str
    role: Role


class CourseDetail(CourseRead):
    late_days: int = Field(description="each student's bank of late days in the course (0: none)")


class CourseUpdate(BaseModel):
    late_days: int | None = Field(default=None, ge=0, le=365, description="each student's bank of late days")


class ProblemLateDays(BaseModel):
    problem: str
    days: int


class StudentLateDays(BaseModel):
    username: str
    used: int
    left: int


class LateDaysRead(BaseModel):
    """A student's late days in a course; an instructor reads everyone's under `students`."""

    bank: int
    used: int
    left: int
    problems: list[ProblemLateDays] = Field(description="the days spent on each problem (the caller's)")
    students: list[StudentLateDays] | None = Field(default=None, description="instructors only: every student")


class ExtensionUpdate(BaseModel):
    deadline: dt.datetime | None = Field(
        default=None, description="the student's own deadline, with a time zone; null keeps the problem's"
    )
    extra_quota: int = Field(default=0, ge=0, le=100_000, description="submissions added to the quota's count")
    reason: str = Field(default="", max_length=500)


class ExtensionRead(BaseModel):
    username: str
    problem: str
    deadline: dt.datetime | None
    problem_deadline: dt.datetime | None
    extra_quota: int
    reason: str
    created_by: str | None
    created_at: dt.datetime
    updated_by: str | None
    updated_at: dt.datetime | None


class ExtensionImportRead(BaseModel):
    stored: list[ExtensionRead]


class CourseCreate(BaseModel):
    slug: str = Field(max_length=64)
    title: str = Field(default="", max_length=200)


class MeRead(BaseModel):
    username: str
    full_name: str
    is_admin: bool
    courses: list[CourseRead]


class ProblemSummary(BaseModel):
    slug: str
    title: str
    published: bool
    deadline: dt.datetime | None
    late_policy: LatePolicy
    version: int | None
    extended: bool = Field(default=False, description="`deadline` is the caller's extension, not the problem's")
    problem_deadline: dt.datetime | None = Field(default=None, description="the problem's own deadline")
    opens_at: dt.datetime | None = Field(default=None, description="students see the problem from this time")
    results_held: bool = Field(default=False, description="students see no results until they are released")
    results_release_at: dt.datetime | None = Field(default=None, description="held results are released then")
    counting: Counting = Field(default=Counting.BEST, description="which graded submission counts: best or latest")


class TestInfo(BaseModel):
    name: str
    points: float
    visible: bool
    kind: str


class ProblemRead(ProblemSummary):
    statement: str
    files: list[str]
    support_files: list[str]
    late_penalty: float
    quota_count: int | None
    quota_window_seconds: int
    reveal_hidden_after_deadline: bool
    supersede_queued: bool
    late_days_max: int = Field(default=0, description="the most late days a student may spend on this problem")
    extra_quota: int = Field(default=0, description="extra submissions per quota window from the caller's extension")
    time_seconds: float
    memory_mb: int
    max_score: float
    tests: list[TestInfo]


class ProblemUpdate(BaseModel):
    title: str | None = Field(default=None, max_length=200)
    published: bool | None = None
    deadline: dt.datetime | None = None
    clear_deadline: bool = False
    late_policy: LatePolicy | None = None
    late_penalty: float | None = Field(default=None, ge=0.0, le=1.0)
    quota_count: int | None = Field(default=None, ge=1, le=100_000)
    clear_quota: bool = False
    quota_window_seconds: int | None = Field(default=None, ge=60, le=366 * 86400)
    reveal_hidden_after_deadline: bool | None = None
    supersede_queued: bool | None = None  # a newer submission supersedes the student's older one still queued
    current_version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    late_days_max: int | None = Field(default=None, ge=0, le=365)
    opens_at: dt.datetime | None = None
    clear_opens_at: bool = False
    results_held: bool | None = None
    results_release_at: dt.datetime | None = None
    clear_results_release_at: bool = False
    counting: Counting | None = None


class VersionRead(BaseModel):
    number: int
    label: str
    digest: str
    created_at: dt.datetime
    current: bool
    check: dict[str, Any] | None


class UploadChanges(BaseModel):
    """What a stored version changed against the version that was current before it."""

    previous_version: int | None
    tests_added: list[str]
    tests_removed: list[str]
    points: list[dict[str, Any]] = Field(description="tests whose points changed: test, before, after")
    max_score: dict[str, float | None]
    limits: list[dict[str, Any]] = Field(description="limits that changed: limit, before, after")
    inputs_changed: list[str] | None = Field(
        description="kept tests whose generated inputs differ; null when a version was stored unchecked"
    )


class UploadCheckRead(BaseModel):
    """An uploaded bundle's check: `queued`, `running`, then `passed` (with its version) or `failed`."""

    id: int
    url: str = Field(description="where to poll this check")
    problem: str
    new_problem: bool
    state: str
    progress: float = Field(description="fraction of the check's steps done, 0 to 1")
    message: str
    report: dict[str, Any] | None = Field(description="the check report so far (each item: name, ok, detail)")
    version: int | None = Field(description="the version the bundle became, once the check passed")
    changes: UploadChanges | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class SubmissionCreated(BaseModel):
    id: int
    status: str
    late: bool
    url: str
    notes: list[str] = Field(
        default_factory=list, description="how a submitted notebook was read: cells and lines left out"
    )


class TestRead(BaseModel):
    name: str
    function: str
    points: float
    max_points: float
    passed: bool
    visible: bool
    stage: str | None
    feedback: str
    diagnosis: list[str]
    accuracy: float | None
    seconds: float | None  # None for a hidden test a student reads


class QueueRead(BaseModel):
    """A queued submission's place: position 1 is next; estimates are null until a job has been graded."""

    position: int
    ahead: int
    queued: int
    estimated_start: str | None
    estimated_finish: str | None
    starts_in_seconds: float | None
    finishes_in_seconds: float | None
class AdjustmentRead(BaseModel):
    id: int
    points: float = Field(description="points added (negative: taken away)")
    comment: str = Field(description="what the student reads about it")
    created_at: str
    cancels: int | None = Field(description="the adjustment this one removes, when it is a removal")
    cancelled_by: int | None = Field(description="the later adjustment that removed this one")
    author: str | None = Field(description="who made it; shown to staff only")


class AdjustmentCreate(BaseModel):
    points: float | None = Field(
        default=None, description="points to add (negative: take away); omit when removing with `cancels`"
    )
    comment: str = Field(max_length=2000, description="what the student reads about it (required)")
    cancels: int | None = Field(default=None, ge=1, le=2**31 - 1, description="remove this earlier adjustment")


class RegradeRequestCreate(BaseModel):
    reason: str = Field(max_length=2000, description="what should be looked at again, and why")


class RegradeRequestAnswer(BaseModel):
    answer: str = Field(max_length=2000, description="the answer the student reads")
    points: float | None = Field(
        default=None, description="adjust the submission by these points, with the answer as the comment"
    )


class RegradeRequestRead(BaseModel):
    id: int
    submission_id: int
    course: str
    problem: str
    student: str
    reason: str
    state: str = Field(description="open, answered, or closed (withdrawn by the student)")
    created_at: str
    answer: str | None
    answered_at: str | None
    adjustment_id: int | None
    answered_by: str | None = Field(description="who answered; shown to staff only")


class SubmissionRead(BaseModel):
    id: int
    course: str
    problem: str
    user: str
    status: str
    created_at: str
    graded_at: str | None
    late: bool
    score: float | None
    raw_score: float | None
    max_score: float | None
    tests: list[TestRead]
    metrics: dict[str, Any]
    stdout: str
    stderr: str
    output_truncated: bool
    failure_reason: str | None
    superseded_by: int | None = None
    queue: QueueRead | None = None
    late_days: int = Field(default=0, description="late days this submission spent; then it is not late")
    adjustment: float = Field(default=0.0, description="the sum of the manual adjustments")
    adjusted_score: float | None = Field(
        default=None, description="the score that counts: score plus adjustments, within 0 and max_score"
    )
    adjustments: list[AdjustmentRead] = Field(default_factory=list)
    attempt: int | None = None
    infra_failures: int | None = None
    regrade_id: int | None = None
    source_id: int | None = None
    grading_seconds: float | None = None
    results_released: bool = True


class CountingRead(BaseModel):
    """The submission that counts for a student and problem, and why (`best`, `latest`, `chosen by the student`)."""

    problem: str
    submission_id: int
    reason: str


class SubmissionSummary(BaseModel):
    id: int
    problem: str
    user: str
    status: str
    created_at: str
    late: bool
    score: float | None
    max_score: float | None
    late_days: int = 0
    results_released: bool = True
    superseded_by: int | None = None
    adjustment: float = 0.0
    adjusted_score: float | None = None


class SubmissionPage(BaseModel):
    total: int
    items: list[SubmissionSummary]


class RegradeCreate(BaseModel):
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="the version to regrade against; default: current"
    )


class RegradeRow(BaseModel):
    submission_id: int | None
    user: str
    before: float | None = Field(description="the official score before the regrade")
    before_max_score: float | None
    before_percent: float | None
    after: float | None = Field(description="the regraded score; None until graded, or when it could not be")
    after_max_score: float | None
    after_percent: float | None
    change: float | None = Field(description="after_percent - before_percent, in percentage points")
    status: str
    kept_old_score: bool = Field(description="the submission could not be regraded: applying keeps its old score")
    outcome: str


class RegradeInputs(BaseModel):
    """Tests whose inputs differ between the version some submissions were graded on and the regrade's."""

    from_version: int
    tests: list[str] | None = Field(description="null when either version was stored without a check")


class RegradeRead(BaseModel):
    id: int
    problem: str
    version: int
    state: str
    created_at: str
    created_by: str | None
    finished_at: str | None = Field(description="when it was applied or discarded")
    applied_by: str | None
    progress: dict[str, int]
    done: bool
    changed: int
    not_regraded: int
    rows: list[RegradeRow]
    inputs_changed: list[RegradeInputs] = []
    adjusted: int = Field(default=0, description="regraded submissions with manual adjustments: they are kept")


class RosterRead(BaseModel):
    invited: list[str]  # not in the course before: they join when they accept (new and existing accounts alike)
    updated: list[str]  # already in the course or invited: their role is set


class MemberRead(BaseModel):
    username: str
    full_name: str  # empty until an invited person accepts
    role: Role
    invited: bool = False


class HealthRead(BaseModel):
    status: str
    database: str
    sandbox: str
    slots: int
    busy: int
    queued: int


class PasswordLinkRead(BaseModel):
    """A one-time link to set a password: shown in this answer only, never again."""

    username: str
    kind: str = Field(description="'set' (no password yet) or 'reset' (replaces the password)")
    link: str
    expires_at: dt.datetime
    mailed: bool = Field(description="the link was also mailed to the student (SMTP configured and an address known)")


class SkippedRead(BaseModel):
    username: str
    reason: str


class PasswordLinksRead(BaseModel):
    links: list[PasswordLinkRead]
    skipped: list[SkippedRead] = []
    mail_error: str | None = None


class PasswordLinkRecord(BaseModel):
    """Who made a link for whom and when (the link itself is never kept)."""

    username: str
    kind: str
    created_by: str | None = Field(description="the instructor; null when made on the command line")
    created_at: dt.datetime
    expires_at: dt.datetime
    state: str = Field(description="active, used, replaced (by a newer link) or expired")
    mailed: bool


class SetPassword(BaseModel):
    token: str = Field(max_length=200, description="the last part of the link: /set-password/<token>")
    password: str = Field(max_length=2048)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=2048)


class SimilaritySide(BaseModel):
    submission: int
    user: str


class SimilarityLines(BaseModel):
    file: str
    lines: list[int] = Field(description="first and last line, 1-based, inclusive")


class SimilarityRegion(BaseModel):
    a: SimilarityLines
    b: SimilarityLines
    tokens: int


class SimilarityPair(BaseModel):
    rank: int = Field(description="1 is the most similar pair")
    a: SimilaritySide
    b: SimilaritySide
    similarity: float = Field(description="shared fingerprints over the mean of both sides' (0 to 1)")
    a_share: float = Field(description="share of a's code found in b")
    b_share: float
    a_lines: int = Field(description="lines of a inside a matching region")
    b_lines: int
    regions: list[SimilarityRegion]


class SimilarityRead(BaseModel):
    id: int | None = Field(description="the newest report; null when none was ever asked for")
    state: str | None = Field(description="queued, running, done or failed")
    after_deadline: bool
    created_at: dt.datetime | None
    finished_at: dt.datetime | None
    message: str
    shown: int | None = Field(description="the newest finished report, whose pairs are below")
    shown_finished_at: dt.datetime | None
    submissions: int = Field(description="counting submissions compared: each student's best graded one")
    seconds: float | None
    pairs: list[SimilarityPair]
