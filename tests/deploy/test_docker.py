"""Static checks of the Dockerfile and both compose profiles, and the sandbox under the workers' seccomp profile."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "deploy" / "seccomp-worker.json"
DISTRIBUTED = {"postgres", "redis", "migrate", "web", "worker"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_image_is_slim_python_311_non_root_with_bubblewrap_and_a_health_check() -> None:
    steps = _instructions((ROOT / "Dockerfile").read_text())
    kinds = [k for k, _ in steps]
    assert steps[0][0] == "FROM" and re.match(r"python:3\.11-slim", steps[0][1])
    assert any(k == "RUN" and "bubblewrap" in v and "apt-get install" in v for k, v in steps)
    users = [v for k, v in steps if k == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    assert "HEALTHCHECK" in kinds and "/healthz" in dict(steps)["HEALTHCHECK"]
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN"), "nothing runs as root after USER"
    for kind, value in steps:
        if kind == "COPY":
            for source in value.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"


def test_the_default_profile_is_the_embedded_single_container(compose: dict[str, Any]) -> None:
    services = compose["services"]
    default = {name for name, svc in services.items() if not svc.get("profiles")}
    assert default == {"gradelab"}
    svc = services["gradelab"]
    assert svc["environment"]["GRADELAB_MODE"] == "embedded"
    assert any(v.endswith(":/data") for v in svc["volumes"])
    assert svc.get("privileged") is not True


def test_the_distributed_profile_has_postgres_redis_migration_web_and_workers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {n for n, s in services.items() if "distributed" in (s.get("profiles") or [])} == DISTRIBUTED
    assert "--appendonly" in services["redis"]["command"] and "yes" in services["redis"]["command"]
    assert services["migrate"]["command"][-1] == "migrate" and services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        env = services[name]["environment"]
        assert env["GRADELAB_MODE"] == "distributed"
        assert env["GRADELAB_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["GRADELAB_REDIS_URL"].startswith("redis://redis:")
    assert services["worker"]["command"] == ["python", "-m", "app", "worker"]
    assert "ports" not in services["worker"] and "container_name" not in services["worker"], "--scale must work"


def test_sandbox_containers_use_the_shipped_seccomp_profile_and_are_never_privileged(compose: dict[str, Any]) -> None:
    for name in ("gradelab", "worker"):
        svc = compose["services"][name]
        assert svc.get("privileged") is not True and "cap_add" not in svc
        options = svc["security_opt"]
        seccomp = [o.split("=", 1)[1] for o in options if o.startswith("seccomp=")]
        assert seccomp == ["deploy/seccomp-worker.json"] and (ROOT / seccomp[0]).is_file()
    for name, svc in compose["services"].items():
        assert svc.get("privileged") is not True, f"{name} is privileged"


def test_every_environment_name_is_a_setting(compose: dict[str, Any]) -> None:
    fields = {f"GRADELAB_{name.upper()}" for name in Settings.model_fields}
    for name, svc in compose["services"].items():
        for key in svc.get("environment") or {}:
            if key.startswith("GRADELAB_"):
                assert key in fields, f"{name}: {key} is not a setting of app/config.py"
    dockerfile = (ROOT / "Dockerfile").read_text()
    for key in re.findall(r"\b(GRADELAB_[A-Z_]+)=", dockerfile):
        assert key in fields, f"Dockerfile: {key} is not a setting"


def test_the_profile_allows_what_bubblewrap_needs_and_refuses_kernel_reaching_calls() -> None:
    profile = json.loads(PROFILE.read_text())
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    allowed = {n for rule in profile["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW" for n in rule["names"]}
    assert {"unshare", "mount", "umount2", "setns", "pivot_root", "clone", "clone3", "seccomp", "prctl"} <= allowed
    assert (
        not {"bpf", "kexec_load", "init_module", "ptrace", "keyctl", "perf_event_open", "open_by_handle_at"} & allowed
    )


_UNDER_PROFILE = r"""
import ctypes, errno, json, os, sys
import pyseccomp as seccomp
profile = json.load(open(sys.argv[1]))
allowed = {n for r in profile["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" for n in r["names"]}
f = seccomp.SyscallFilter(seccomp.ERRNO(errno.EPERM))
for name in sorted(allowed):
    try:
        f.add_rule(seccomp.ALLOW, name)
    except Exception:
        pass  # a name this libseccomp does not know on this architecture
f.load()
libc = ctypes.CDLL(None, use_errno=True)
bpf = seccomp.resolve_syscall(seccomp.Arch.NATIVE, "bpf")
if libc.syscall(bpf, 0, 0, 0) != -1 or ctypes.get_errno() != errno.EPERM:
    sys.exit("bpf was not refused: the profile is not in force")
os.execv(sys.executable, [sys.executable, "-m", "grader", "self-test"])
"""


def test_the_sandbox_self_test_passes_under_the_workers_seccomp_profile() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _UNDER_PROFILE, str(PROFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bpf was not refused" not in done.stderr
