"""The programs that run inside the sandbox, tested on the host: their text, unpack, the bootstrap, the probe.

(They run for real inside the sandbox in every other test of this folder.)
"""

from __future__ import annotations

import ast
import json
import os
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest

from grader.sandbox import Job
from grader.sandbox._bootstrap import BOOTSTRAP, pack_files
from grader.sandbox._probe import PROBE
from grader.sandbox._zygote import ZYGOTE
from grader.sandbox.inside import bootstrap_program, probe_program, source, zygote_program
from grader.sandbox.inside.bootstrap import channel
from grader.sandbox.inside.probe import check, counter, fails, fixed_environment
from grader.sandbox.inside.unpack import unpack

PROGRAMS = {"bootstrap": bootstrap_program, "zygote": zygote_program, "probe": probe_program}


def _imported(text: str) -> set[str]:
    """The top-level packages a program imports when it runs (not those only named for the type checker)."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = [ast.Pass()]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_each_program_compiles_and_imports_nothing_of_the_project(name: str) -> None:
    text = PROGRAMS[name]()
    compile(text, f"<{name}>", "exec", dont_inherit=True)
    # the sandbox has no copy of the project: a program importing it would fail there (or need it mounted)
    assert not _imported(text) & {"grader", "app", "reference", "tests", "bench"}
    assert "typing" not in _imported(text) or name == "zygote"  # a cold job loads nothing it would not load itself


def test_the_programs_handed_on_are_the_modules_text() -> None:
    assert bootstrap_program() == BOOTSTRAP and zygote_program() == ZYGOTE and probe_program() == PROBE
    assert source("probe") == PROBE
    for name, text in (("bootstrap", BOOTSTRAP), ("zygote", ZYGOTE)):
        assert text.startswith(source("unpack"))
        own = source(name).replace(
            "from grader.sandbox.inside.unpack import start_job, unpack  # inside: the text of unpack.py\n", ""
        )
        assert text.endswith(own) and own != source(name)
        assert text.count("def unpack(") == 1 and text.count("def start_job(") == 1


def test_only_the_inside_programs_can_be_read() -> None:
    with pytest.raises(ValueError, match="no program '__init__' runs inside the sandbox"):
        source("__init__")


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


JOB = Job(
    files={"main.py": b"print('hi')\n", "lib/deep/data.bin": bytes(range(256)) * 300, "empty.txt": b""},
    entry="main.py",
    args=("--seed", "7"),
)


def test_unpack_from_a_pipe_writes_every_file_and_returns_the_index(tmp_path: Path) -> None:
    archive = pack_files(JOB)
    read, write = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write, archive), os.close(write)))
    writer.start()  # the archive (77 KB) is larger than a pipe's buffer: it is written while unpack reads
    try:
        index = unpack(read, str(tmp_path))
    finally:
        writer.join()
        os.close(read)
    assert index == {
        "entry": "main.py",
        "args": ["--seed", "7"],
        "init": False,
        "files": [["main.py", 12], ["lib/deep/data.bin", 76800], ["empty.txt", 0]],
        "attached": [],
    }
    assert _files(tmp_path) == dict(JOB.files)
    assert stat.S_IMODE((tmp_path / "main.py").stat().st_mode) == 0o644 & ~_umask()
    assert stat.S_IMODE((tmp_path / "lib" / "deep").stat().st_mode) == 0o700 & ~_umask()


def test_unpack_from_a_memfd_reads_the_same_files(tmp_path: Path) -> None:
    fd = os.memfd_create("job-archive")
    try:
        os.write(fd, pack_files(JOB))
        os.lseek(fd, 0, os.SEEK_SET)
        index = unpack(fd, str(tmp_path))
    finally:
        os.close(fd)
    assert index["entry"] == "main.py" and _files(tmp_path) == dict(JOB.files)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _raw(index: dict[str, object], body: bytes = b"") -> bytes:
    head = json.dumps(index).encode()
    return b"%d\n" % len(head) + head + body


@pytest.mark.parametrize(
    "archive",
    [
        b"",  # nothing at all
        b"1234567890123456\n{}",  # a length too long to be one
        b"40\n{}",  # the index ends early
        _raw({"files": [["../escape.py", 1]]}, b"x"),
        _raw({"files": [["/etc/passwd", 1]]}, b"x"),
        _raw({"files": [["a/./b", 1]]}, b"x"),
        _raw({"files": [["a//b", 1]]}, b"x"),
        _raw({"files": [["nul\u0000.py", 1]]}, b"x"),
        _raw({"files": [["neg.py", -1]]}),
        _raw({"files": [["short.py", 10]]}, b"only5"),  # the file ends early
    ],
    ids=["empty", "long-head", "short-index", "dotdot", "absolute", "dot", "empty-part", "nul", "negative", "short"],
)
def test_unpack_refuses_a_bad_archive(tmp_path: Path, archive: bytes) -> None:
    read, write = os.pipe()
    os.write(write, archive)
    os.close(write)
    try:
        with pytest.raises(SystemExit, match=r"^bad job archive$"):
            unpack(read, str(tmp_path / "job"))
    finally:
        os.close(read)
    assert not (tmp_path / "escape.py").exists()
    assert all(p.is_dir() or p.name == "short.py" for p in tmp_path.rglob("*"))


def test_unpack_never_overwrites_a_file(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_bytes(b"old")
    read, write = os.pipe()
    os.write(write, _raw({"files": [["main.py", 3]]}, b"new"))
    os.close(write)
    try:
        with pytest.raises(FileExistsError):
            unpack(read, str(tmp_path))
    finally:
        os.close(read)
    assert (tmp_path / "main.py").read_bytes() == b"old"


def test_the_bootstraps_one_argument_is_the_channel_descriptor() -> None:
    assert channel(["-c", "3"]) == 3
    assert channel(["-c", "17"]) == 17
    for argv in (["-c"], ["-c", "x"], ["-c", "-1"], ["-c", "3", "4"]):
        with pytest.raises(SystemExit, match=r"^usage: bootstrap CHANNEL_FD$"):
            channel(argv)


def test_the_probe_reports_a_bool_per_check_and_the_error_of_one_that_raised() -> None:
    checks: dict[str, object] = {}
    check(checks, "passes", lambda: 1)
    check(checks, "fails", lambda: [])
    check(checks, "raises", lambda: int("9" * 300, base=8))
    assert list(checks) == ["passes", "fails", "raises", "raises:error"]
    assert checks["passes"] is True and checks["fails"] is False and checks["raises"] is False
    error = checks["raises:error"]
    assert isinstance(error, str) and len(error) == 200
    assert error.startswith("ValueError(\"invalid literal for int() with base 8: '999")
    assert json.loads(json.dumps(checks)) == checks  # what the probe writes to the channel


def test_the_probe_allows_only_the_fixed_environment_and_pwd() -> None:
    assert fixed_environment(b"HOME=/job\0LANG=C.UTF-8\0PWD=/job\0", ["HOME", "LANG"])
    assert fixed_environment(b"", ["HOME"])
    assert not fixed_environment(b"HOME=/job\0SECRET=x\0", ["HOME", "LANG"])
    assert fails(os.open, "/nonexistent", os.O_RDONLY) and not fails(len, "x")
    assert counter("/nonexistent") == b"" and counter("/proc/self/comm") != b""


def test_the_zygote_preloads_the_harness_and_imports_its_lib_modules(tmp_path: Path) -> None:
    from grader.sandbox.inside import zygote  # imported here: on the host it only defines its functions

    (tmp_path / "lib").mkdir()
    (tmp_path / "harness.py").write_text("X = 1\n")
    (tmp_path / "lib" / "gradelab_preload_probe.py").write_text("VALUE = 6 * 7\n")
    (tmp_path / "lib" / "notes.txt").write_text("not python\n")
    try:
        found = zygote.preload(str(tmp_path))
        assert sorted(found) == ["harness.py", "lib/gradelab_preload_probe.py"]
        source, module, code = found["harness.py"]
        assert (source, module, code.co_filename) == (b"X = 1\n", None, "/job/harness.py")
        source, module, code = found["lib/gradelab_preload_probe.py"]
        assert (module, code.co_filename) == ("gradelab_preload_probe", "/job/lib/gradelab_preload_probe.py")
        loaded = sys.modules["gradelab_preload_probe"]
        assert loaded.VALUE == 42 and loaded.__file__ == "/job/lib/gradelab_preload_probe.py"
    finally:
        sys.modules.pop("gradelab_preload_probe", None)


def test_the_zygote_receives_an_order_with_its_descriptors() -> None:
    from grader.sandbox.inside import zygote

    host, inner = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    read, write = os.pipe()
    received: list[int] = []
    try:
        order = json.dumps({"op": "run", "attached": 0}).encode()
        socket.send_fds(host, [order], [read, write])
        msg, received = zygote.receive(inner)
        assert json.loads(msg) == {"op": "run", "attached": 0} and len(received) == 2
        os.write(received[1], b"through the passed descriptors")
        assert os.read(received[0], 100) == b"through the passed descriptors"
        host.close()
        assert zygote.receive(inner) == (b"", [])  # the host hung up: the zygote ends
    finally:
        for fd in (read, write, *received):
            os.close(fd)
        host.close()
        inner.close()
