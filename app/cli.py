"""`python -m app`: migrate, create courses and users, enrol, issue tokens, install the pack, serve, grade."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.links import make_link
from app.accounts.mail import link_base, mail_configured, mail_links
from app.accounts.service import create_user, get_user, issue_token, set_password
from app.config import Settings
from app.courses.service import create_course, enrol
from app.db import Database
from app.db import migrate as migrations
from app.db.models import Course, Enrollment, LinkKind, Role
from app.errors import NotFound, ServiceError
from app.setup import DEMO_ACCOUNTS, ensure_demo, install_pack


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    mig = sub.add_parser("migrate", help="bring the database schema up to date (or down with --to)")
    mig.add_argument("--to", default="head", help="revision: head (default), base, or an id")
    user = sub.add_parser("create-user", help="create a user")
    user.add_argument("username")
    user.add_argument("--full-name", default="")
    user.add_argument("--email")
    user.add_argument("--admin", action="store_true")
    user.add_argument("--password", help="set a password for the dashboard (default: none, tokens only)")
    course = sub.add_parser("create-course", help="create a course")
    course.add_argument("slug")
    course.add_argument("--title", default="")
    en = sub.add_parser("enrol", help="enrol a user in a course (or change their role)")
    en.add_argument("course")
    en.add_argument("username")
    en.add_argument("--role", choices=[r.value for r in Role], default=Role.STUDENT.value)
    tok = sub.add_parser("token", help="issue an API token for a user and print it")
    tok.add_argument("username")
    tok.add_argument("--days", type=int, default=90)
    tok.add_argument("--name", default="cli")
    link = sub.add_parser(
        "password-link",
        help="print a one-time link for a user to set (or reset) their password (needs GRADELAB_PUBLIC_URL)",
    )
    link.add_argument("username")
    link.add_argument("--course", help="record the link under this course (the user must be enrolled in it)")
    pack = sub.add_parser("install-pack", help="install the built-in problems into a course (new versions if changed)")
    pack.add_argument("course")
    pack.add_argument("--unpublished", action="store_true")
    demo = sub.add_parser("demo", help="create the demo course and accounts (kept if they exist) and print logins")
    demo.add_argument(
        "--credentials", type=Path, help="where the demo logins are kept (default: DATA_DIR/demo-logins.json)"
    )
    demo.add_argument(
        "--when-enabled", action="store_true", help="do nothing unless GRADELAB_DEMO=true (the Docker image's start)"
    )
    serve = sub.add_parser("serve", help="run the service with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    worker = sub.add_parser("worker", help="grade queued submissions from Redis (distributed mode)")
    worker.add_argument("--slots", type=int, help="sandbox slots (default: GRADELAB_SLOTS)")
    worker.add_argument("--metrics-port", type=int, help="serve Prometheus metrics of this worker on this port")
    worker.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        help="the address of the metrics port (default 127.0.0.1; any other needs GRADELAB_METRICS_TOKEN)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        print(f"error: the settings are not valid: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, settings)
    except ServiceError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for err in exc.errors:
            print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        if args.to == "head":
            migrations.upgrade(settings.database_url)
        else:
            migrations.downgrade(settings.database_url, args.to)
        print(f"database at revision {migrations.current_revision(settings.database_url)}")
        return 0
    if args.command == "serve":
        return _serve(args, settings)
    if args.command == "worker":
        return _worker(args, settings)
    db = Database(settings.database_url)
    demo: tuple[dict[str, Any], Path, str, list[str]] | None = None  # the demo's logins, once committed
    try:
        with db.session() as session:
            if args.command == "create-user":
                user = create_user(
                    session, args.username, full_name=args.full_name, email=args.email, is_admin=args.admin
                )
                if args.password:
                    set_password(user, args.password)
                print(f"created user {user.username}" + (" (admin)" if user.is_admin else ""))
            elif args.command == "create-course":
                print(f"created course {create_course(session, args.slug, args.title).slug}")
            elif args.command == "enrol":
                row = enrol(session, _course(session, args.course), get_user(session, args.username), Role(args.role))
                print(f"{args.username} is {row.role.value} in {args.course}")
            elif args.command == "token":
                token, plain = issue_token(session, get_user(session, args.username), name=args.name, days=args.days)
                print(plain)
                print(f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
            elif args.command == "password-link":
                _password_link(db, session, settings, args.username, args.course)
            elif args.command == "install-pack":
                changed = install_pack(session, _course(session, args.course), publish=not args.unpublished)
                print("\n".join(changed) if changed else "the course already has the current pack")
            elif args.command == "demo" and args.when_enabled and not settings.demo:
                print("no demo accounts: set GRADELAB_DEMO=true to create the demo course and its logins")
            elif args.command == "demo":
                demo = _demo(session, settings, args.credentials)
        if demo is not None:
            from app.demo_examples import seed_demo_submissions  # loads the grader: only for this command
            from app.logging import configure_logging

            configure_logging(level="WARNING")  # the lines below say what was graded; problems go to stderr
            saved, path, course, changed = demo
            changed += seed_demo_submissions(db, settings)  # after the commit: graded as a worker would
            _print_demo(saved, path, course, changed)
    finally:
        db.dispose()
    return 0


def _password_link(db: Database, session: Session, settings: Settings, username: str, course_slug: str | None) -> None:
    base = link_base(settings, None)
    user = get_user(session, username)
    course = _course(session, course_slug) if course_slug else None
    if (
        course is not None
        and session.scalar(
            select(Enrollment.id).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id)
        )
        is None
    ):
        raise NotFound(f"{username} is not enrolled in {course.slug}")
    made = make_link(session, user, by=None, course=course, hours=settings.password_link_hours)
    session.commit()
    print(made.url(base))
    what = "reset link (replaces the password)" if made.kind is LinkKind.RESET else "set-password link"
    print(f"{what} for {username}: works once, until {made.expires_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    if mail_configured(settings):
        mailed, problem = mail_links(db, settings, [made], base)
        if mailed[0]:
            print(f"mailed to {made.email}", file=sys.stderr)
        elif problem:
            print(f"not mailed: {problem}", file=sys.stderr)
        else:
            print(f"not mailed: {username} has no email address", file=sys.stderr)


def _course(session: Session, slug: str) -> Course:
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound(f"no course {slug!r}: create it with `python -m app create-course {slug}`")
    return course


def _demo(
    session: Session, settings: Settings, credentials: Path | None
) -> tuple[dict[str, Any], Path, str, list[str]]:
    path = credentials or settings.data_dir / "demo-logins.json"
    saved = json.loads(path.read_text()) if path.is_file() else {}
    passwords = {name: saved.get(name, {}).get("password") or secrets.token_urlsafe(9) for name, _ in DEMO_ACCOUNTS}
    course, logins, changed = ensure_demo(session, passwords)
    for login in logins:
        entry = saved.setdefault(login.username, {})
        entry.update(password=entry.get("password") or login.password, role=login.role)
        if login.token:
            entry["token"] = login.token
    session.flush()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)  # a file left by an older version may be wider
    with os.fdopen(fd, "w") as fh:
        json.dump(saved, fh, indent=2)
    return saved, path, f"{course.slug} ({course.title})", changed


def _print_demo(saved: dict[str, Any], path: Path, course: str, changed: list[str]) -> None:
    for line in changed:
        print(line if line.startswith("demo:") else f"pack: {line}")
    print(f"demo course: {course}")
    for name, _ in DEMO_ACCOUNTS:
        entry = saved.get(name, {})
        token = entry.get("token", "(see earlier output)")
        print(f"  {name:10}  username {name}  password {entry.get('password')}  API token {token}")
    print(f"  (kept in {path}, readable only by you)")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.logging import configure_logging
    from app.main import create_app

    configure_logging()
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    # The worker reads and writes the database and grades; no web code is loaded.
    from app.jobs.worker import run_worker
    from app.logging import configure_logging

    configure_logging()
    return run_worker(settings, slots=args.slots, metrics_port=args.metrics_port, metrics_host=args.metrics_host)
