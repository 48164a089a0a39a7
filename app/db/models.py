"""The schema: people, courses, problems and their versions, submissions and their results."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db._engine import utcnow
from app.db._types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda c: [m.value for m in c])


class Role(enum.StrEnum):
    STUDENT = "student"
    INSTRUCTOR = "instructor"
    TA = "ta"  # staff who read and grade (submissions, analytics, adjustments, regrade requests), not manage


class SubmissionState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a newer submission to the same problem came while this one still waited


class Priority(enum.IntEnum):
    """A job's priority class in the queue: every live job goes before any background one."""

    LIVE = 0  # a student's (or instructor's) own submission
    REGRADE = 1  # a regrade's copy or a submission staff queued again

    @property
    def label(self) -> str:
        return "live" if self is Priority.LIVE else "regrade"


class LatePolicy(enum.StrEnum):
    ACCEPT = "accept"  # accept and flag as late
    REJECT = "reject"
    PENALTY = "penalty"  # accept, flag, and take `late_penalty` of the score off


class Counting(enum.StrEnum):
    """Which of a student's graded submissions to a problem counts, unless they chose one themselves."""

    BEST = "best"
    LATEST = "latest"


class CheckState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


class ReportState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
class RequestState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"  # withdrawn by its student


class RegradeState(enum.StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    DISCARDED = "discarded"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    # Made by logging in on the dashboard: its plain token lives only in the browser's cookie.
    browser: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="joined")


class LinkKind(enum.StrEnum):
    SET = "set"  # the account has no password yet
    RESET = "reset"  # it has one, which the link replaces


class PasswordLink(Base):
    """A one-time link to set a password, kept as a digest; also the record of who made it for whom and when."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LinkKind] = mapped_column(_enum(LinkKind))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # None: made on the command line by whoever runs the service
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    replaced_at: Mapped[dt.datetime | None]  # a newer link for the same person was made
    mailed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[created_by_id])


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Each student's bank of late days for the whole course (0: no late days); see app/courses/deadlines.py.
    late_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Made by a roster import: no access until the person accepts (see app/courses/service.py).
    invited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="joined")


def new_seed_secret() -> bytes:
    """A fresh per-problem seed key."""
    return secrets.token_bytes(32)


class Problem(Base):
    __tablename__ = "problems"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Not a foreign key: problems and versions would reference each other, which SQLite cannot alter.
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[dt.datetime | None]
    late_policy: Mapped[LatePolicy] = mapped_column(_enum(LatePolicy), default=LatePolicy.ACCEPT)
    late_penalty: Mapped[float] = mapped_column(Float, default=0.0)
    quota_count: Mapped[int | None] = mapped_column(Integer)
    quota_window_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    reveal_hidden_after_deadline: Mapped[bool] = mapped_column(Boolean, default=False)
    # A student's newer submission supersedes their older one still waiting in the queue (it is not graded).
    supersede_queued: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The most late days one student may spend on this problem (0: none).
    late_days_max: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Students do not see the problem before it opens (as if unpublished); None: as soon as it is published.
    opens_at: Mapped[dt.datetime | None]
    # Held results: students see "received" and nothing of the result until released (now, or at the time).
    results_held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    results_release_at: Mapped[dt.datetime | None]
    counting: Mapped[Counting] = mapped_column(_enum(Counting), default=Counting.BEST, server_default="best")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The key every version's test inputs are seeded from, so they stay the same across versions;
    # made at the first upload and never shown (no API response, page or export carries it).
    seed_secret: Mapped[bytes] = mapped_column(LargeBinary(64), default=new_seed_secret)

    course: Mapped[Course] = relationship(lazy="joined")


class ProblemVersion(Base):
    __tablename__ = "problem_versions"
    __table_args__ = (UniqueConstraint("problem_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))  # the bundle's own `version`
    digest: Mapped[str] = mapped_column(String(64))
    bundle_zip: Mapped[bytes] = mapped_column(LargeBinary)
    check_report: Mapped[dict[str, Any] | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Submission(Base):
    """A student's files and, once graded, their score. The row is also the grading job."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_problem_user_created", "problem_id", "user_id", "created_at"),
        Index("ix_submissions_state_lease", "state", "lease_expires_at"),
        Index("ix_submissions_queue", "state", "priority", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("problem_versions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # A regrade grades a shadow copy (regrade_id and source_id set) that becomes official only when applied.
    regrade_id: Mapped[int | None] = mapped_column(ForeignKey("regrades.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whole days of lateness covered by the student's late days (then `late` is False); the problem's
    # spending is the most any of the student's submissions to it needed.
    late_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When its student chose it to count (see app/grades/counting.py); a newer submission ends the choice.
    activated_at: Mapped[dt.datetime | None]

    state: Mapped[SubmissionState] = mapped_column(_enum(SubmissionState), default=SubmissionState.QUEUED)
    priority: Mapped[int] = mapped_column(Integer, default=Priority.LIVE, server_default="0")
    queued_at: Mapped[dt.datetime | None]  # when it last joined the queue (None: at created_at)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[dt.datetime | None]
    infra_failures: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    graded_at: Mapped[dt.datetime | None]

    score: Mapped[float | None] = mapped_column(Float)
    raw_score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    # The sum of the submission's manual adjustments (score_adjustments), kept in the same transaction as they are
    # added; a regrade replaces the score and leaves this alone. See app/adjustments/service.py::adjusted_score.
    adjustment: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    metrics: Mapped[dict[str, Any] | None]
    output: Mapped[dict[str, Any] | None]  # captured stdout/stderr of visible tests, grading time, sandbox

    problem: Mapped[Problem] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")
    tests: Mapped[list[TestResult]] = relationship(
        order_by="TestResult.position", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )
    adjustments: Mapped[list[ScoreAdjustment]] = relationship(order_by="ScoreAdjustment.id", viewonly=True)


class Extension(Base):
    """One student's own deadline and extra quota on one problem, set by an instructor."""

    __tablename__ = "extensions"
    __table_args__ = (UniqueConstraint("problem_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    deadline: Mapped[dt.datetime | None]  # None: the problem's deadline (an extension of the quota only)
    extra_quota: Mapped[int] = mapped_column(Integer, default=0)  # submissions added to the quota's count
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Editing replaces the values; who made the last change and when are kept beside the first.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
    problem: Mapped[Problem] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[updated_by_id])


class SubmissionFile(Base):
    __tablename__ = "submission_files"
    __table_args__ = (UniqueConstraint("submission_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class TestResult(Base):
    __tablename__ = "test_results"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str] = mapped_column(String(200))
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    visible: Mapped[bool] = mapped_column(Boolean)
    stage: Mapped[str | None] = mapped_column(String(32))
    feedback: Mapped[str] = mapped_column(Text)
    diagnosis: Mapped[list[Any]]
    # beside each diagnosis, which cause it is ({"kind", "tier"}); None on results stored before it was recorded
    causes: Mapped[list[Any] | None]
    accuracy: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class Regrade(Base):
    __tablename__ = "regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("problem_versions.id"))
    state: Mapped[RegradeState] = mapped_column(_enum(RegradeState), default=RegradeState.PENDING)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The before/after table as it stood when the regrade was applied: applying overwrites the "before".
    record: Mapped[list[Any] | None]


class UploadCheck(Base):
    """An uploaded bundle being checked in the background; on success it becomes the problem's next version."""

    __tablename__ = "upload_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    new_problem: Mapped[bool] = mapped_column(Boolean)  # False: a new version of an existing problem
    state: Mapped[CheckState] = mapped_column(_enum(CheckState), default=CheckState.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0 to 1
    digest: Mapped[str] = mapped_column(String(64))
    bundle_zip: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped once the check has finished
    seed_secret: Mapped[bytes] = mapped_column(LargeBinary(64))  # the problem's, or the new problem's to be
    report: Mapped[dict[str, Any] | None]
    changes: Mapped[dict[str, Any] | None]  # what the new version changed against the version before
    message: Mapped[str] = mapped_column(Text, default="")
    version_number: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]


class SimilarityReport(Base):
    """How alike the students' counting submissions of a problem are: the most similar pairs, made in the
    background (on request, or once after the deadline). The row is also the job."""

    __tablename__ = "similarity_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    state: Mapped[ReportState] = mapped_column(_enum(ReportState), default=ReportState.QUEUED)
    after_deadline: Mapped[bool] = mapped_column(Boolean, default=False)  # False: someone asked for it
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    lease_expires_at: Mapped[dt.datetime | None]  # a running report past this died with its process
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None]
    submissions: Mapped[int] = mapped_column(Integer, default=0)  # counting submissions compared
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    pairs: Mapped[list[Any] | None]  # the most similar pairs, best first, with their matching regions
    message: Mapped[str] = mapped_column(Text, default="")
class ScoreAdjustment(Base):
    """Points a staff member added to (or took from) a submission, with the comment its student reads.

    Never edited or deleted: a correction is a new row, and removing one is a new row that cancels it."""

    __tablename__ = "score_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    points: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the adjustment this one cancels ("remove"), if it is a removal
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("score_adjustments.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(lazy="joined")


class RegradeRequest(Base):
    """A student's request that staff look again at a graded submission, and staff's answer."""

    __tablename__ = "regrade_requests"
    __table_args__ = (Index("ix_regrade_requests_submission_state", "submission_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[RequestState] = mapped_column(_enum(RequestState), default=RequestState.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[dt.datetime | None]
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("score_adjustments.id", ondelete="SET NULL"))

    submission: Mapped[Submission] = relationship(lazy="joined")
    student: Mapped[User] = relationship(lazy="joined", foreign_keys=[student_id])
    answered_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[answered_by_id])
