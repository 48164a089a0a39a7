"""The pre-forked interpreter of one slot: see `grader.sandbox._zygote` for what it does.

Runs inside the sandbox only, as the entry of the zygote's job: the host sends this file's
text after unpack.py's (see `grader.sandbox.inside`). Arguments: the control socket's
descriptor, the path of the seccomp program, the fixed environment (JSON) and the global
entries of /proc every job masks (JSON, see `_masks.py`).
"""

import array
import atexit
import contextlib  # noqa: F401 (the rest of what the grading harness imports)
import ctypes
import fcntl
import importlib  # noqa: F401
import json
import os
import random
import resource
import select
import signal
import socket
import sys
import time  # noqa: F401
import traceback
import types
from typing import Any

import numpy
import numpy.random  # loaded lazily by NumPy otherwise: once here instead of once per job

from grader.sandbox.inside.unpack import start_job, unpack  # inside: the text of unpack.py

libc = ctypes.CDLL(None, use_errno=True)
# Set when the zygote starts (at the end of this file), so that the host can import this module to test it.
CTRL: int
SECCOMP: bytes
BASE_PATH: list[str]
UID: int
GID: int
ENV: dict[str, str]
MASKS: dict[str, list[str]]
CLONE = 0x10000000 | 0x00020000 | 0x20000000 | 0x40000000 | 0x08000000 | 0x04000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
RLIMITS = {
    "as": "RLIMIT_AS",
    "cpu": "RLIMIT_CPU",
    "nproc": "RLIMIT_NPROC",
    "nofile": "RLIMIT_NOFILE",
    "fsize": "RLIMIT_FSIZE",
    "core": "RLIMIT_CORE",
    "memlock": "RLIMIT_MEMLOCK",
    "msgqueue": "RLIMIT_MSGQUEUE",
}


class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PROGRAM: "ctypes.Array[ctypes.c_char]"
FPROG: Fprog


class CloneArgs(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in ("flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack", "stack_size", "tls")
    ]


SYS_CLONE3 = 435  # the same number on every architecture
SYSCALL = ctypes.PyDLL(None, use_errno=True).syscall  # PyDLL: the GIL stays held, so the child comes back holding it
SYSCALL.restype = ctypes.c_long
CLONE_ARGS = CloneArgs(flags=CLONE, exit_signal=signal.SIGCHLD)  # no stack: the child goes on on a copy of ours


def clone_job() -> int:
    # os.fork(), with the job's namespaces created by the same system call: 0 in the child, its pid here.
    ctypes.pythonapi.PyOS_BeforeFork()
    pid = SYSCALL(ctypes.c_long(SYS_CLONE3), ctypes.byref(CLONE_ARGS), ctypes.c_size_t(ctypes.sizeof(CLONE_ARGS)))
    if pid == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
        return 0
    err = ctypes.get_errno()
    ctypes.pythonapi.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(err, f"clone3: {os.strerror(err)}")
    return int(pid)


def check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    check(
        libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def drop_privileges() -> None:
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; EINVAL past the last capability
    libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    check(libc.capset(header, data), "capset")
    check(libc.prctl(38, 1, 0, 0, 0), "no_new_privs")  # PR_SET_NO_NEW_PRIVS
    check(libc.prctl(22, 2, ctypes.byref(FPROG), 0, 0), "seccomp")  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def preload(root: str) -> dict[str, tuple[bytes, str | None, types.CodeType]]:
    # Files every grading job carries (the harness and its lib/ modules), compiled once here; modules
    # under lib/ are imported too. A job gets them only where its own copy is byte for byte the same.
    found: dict[str, tuple[bytes, str | None, types.CodeType]] = {}
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if not rel.endswith(".py"):
                continue
            with open(path, "rb") as fh:
                source = fh.read()
            code = compile(source, "/job/" + rel, "exec", dont_inherit=True)
            module = rel[4:-3] if os.path.dirname(rel) == "lib" else None
            found[rel] = (source, module, code)
    pending = [(rel, module) for rel, (_, module, _) in sorted(found.items()) if module is not None]
    while pending:  # a lib/ module that imports another one goes after it
        waiting: list[tuple[str, str]] = []
        waited = {name for _, name in pending}
        for rel, name in pending:
            code = found[rel][2]
            mod = types.ModuleType(name)
            mod.__file__ = "/job/" + rel
            sys.modules[name] = mod
            try:
                exec(code, mod.__dict__)
            except ModuleNotFoundError as exc:
                del sys.modules[name]
                if exc.name not in waited or exc.name == name:
                    raise
                waiting.append((rel, name))
        if len(waiting) == len(pending):
            raise ImportError(f"the preloaded modules {[name for _, name in waiting]} import one another")
        pending = waiting
    return found


PRELOADED: dict[str, tuple[bytes, str | None, types.CodeType]]


def job_file(rel: str) -> bytes | None:
    try:
        fd = os.open(os.path.join("/job", rel), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def keep_preloaded() -> None:
    lib = [(rel, source, module) for rel, (source, module, _) in PRELOADED.items() if module is not None]
    if any(job_file(rel) != source for rel, source, _ in lib):
        # The job brings its own, or none, of one of them: it must import what it has, and the others
        # (which may import that one) over again with it.
        for _, _, module in lib:
            sys.modules.pop(module, None)


def entry_code(rel: str) -> types.CodeType:
    source = job_file(rel)
    cached = PRELOADED.get(rel)
    if cached is not None and cached[1] is None and cached[0] == source:
        return cached[2]
    if source is None:
        raise FileNotFoundError(f"the job's entry /job/{rel} does not exist")
    return compile(source, os.path.join("/job", rel), "exec", dont_inherit=True)


def job_init(
    spec: dict[str, Any], archive: int, out: int, err: int, chan: int, lifeline: int, attached: list[int]
) -> None:
    # pid 1 of the job's namespaces; dies with the zygote, and the namespace dies with it.
    os.setsid()  # a group of its own: a job's kill(0, ...) must not reach the zygote's process group
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    alive = select.poll()
    alive.register(lifeline, select.POLLIN)
    if alive.poll(0):  # the zygote holds the other end until we end: a hang-up means it died before PDEATHSIG was set
        os._exit(125)
    os.close(lifeline)
    write("/proc/self/setgroups", "deny")
    write("/proc/self/uid_map", f"{UID} {UID} 1")
    write("/proc/self/gid_map", f"{GID} {GID} 1")
    mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    mount(
        "gradelab-job",
        "/job",
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={spec['tmpfs_bytes']},nr_inodes={spec['tmpfs_inodes']},mode=0700",
    )
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    for name in MASKS["files"]:  # the kernel's global counters: another job must not hear this one through them
        mount("/dev/null", "/proc/" + name, None, MS_BIND, None)
    for name in MASKS["dirs"]:
        flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
        mount("gradelab-mask", "/proc/" + name, "tmpfs", flags, "size=4k,mode=0555")
    os.chdir("/job")
    try:
        index = unpack(archive)
    finally:
        os.close(archive)
    for key, name in RLIMITS.items():
        soft, hard = spec["rlimits"][key]
        resource_set(name, soft, hard)
    null = os.open("/dev/null", os.O_RDONLY)
    attached = [fcntl.fcntl(fd, fcntl.F_DUPFD, 4 + len(attached)) for fd in attached]  # clear of 0 to 3 + n
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.dup2(chan, 3)
    os.set_inheritable(3, True)
    for i, fd in enumerate(attached):  # the archive's attachments, in its order, from 4 on
        os.dup2(fd, 4 + i)
    os.closerange(4 + len(attached), 65536)
    drop_privileges()
    os.environ.clear()
    os.environ.update(ENV)
    os.environ["PWD"] = "/job"  # as a cold job has it (bubblewrap sets it with --chdir)
    names = index.get("attached") or []
    if len(names) != len(attached):
        raise SystemExit("the job's archive names other attachments than it came with")
    if names:
        os.environ["GRADELAB_ATTACHED"] = json.dumps({name: 4 + i for i, name in enumerate(names)})
    random.seed(os.urandom(32))
    numpy.random.seed(int.from_bytes(os.urandom(4), "little"))
    start_job(index)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 (the job's standard streams, open for its whole life)
    sys.stdout = open(1, "w", closefd=False, buffering=1 if os.isatty(1) else -1)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
    entry = os.path.join("/job", index["entry"])
    sys.argv = [entry, *index["args"]]
    sys.path[:] = [os.path.dirname(entry), *BASE_PATH]
    try:
        keep_preloaded()
        code = entry_code(index["entry"])
        main = types.ModuleType("__main__")
        main.__file__ = entry
        main.__cached__ = None  # type: ignore[attr-defined]  # as runpy sets it
        sys.modules["__main__"] = main
        exec(code, main.__dict__)
    except SystemExit as exc:
        status = exc.code
        if status is None:
            status = 0
        elif not isinstance(status, int):
            print(status, file=sys.stderr)
            status = 1
        finish(status)
    except BaseException:
        traceback.print_exc()
        finish(1)
    finish(0)


def fresh_signals() -> None:
    # The signal dispositions a fresh interpreter starts with, set once here: the zygote never changes
    # them after this, and every job inherits them.
    for sig in range(1, signal.NSIG):
        try:  # noqa: SIM105
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def finish(code: int) -> None:
    # What a normal interpreter exit does, without returning into the zygote's code.
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def resource_set(name: str, soft: int, hard: int) -> None:
    resource.setrlimit(getattr(resource, name), (soft, hard))


def report() -> None:
    # Set-up errors of a job go to the job's stderr when it has one, else to the zygote's.
    try:
        traceback.print_exc()
        sys.stderr.flush()
    except BaseException:
        pass


def receive(sock: socket.socket) -> tuple[bytes, list[int]]:
    fds = array.array("i")
    msg, anc, _flags, _ = sock.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return msg, list(fds)


def main() -> None:
    # Everything loaded so far stays put: a collection in a forked job would otherwise walk (and so copy)
    # every page of the zygote's heap.
    fresh_signals()
    import gc

    gc.collect()
    gc.freeze()
    threads = os.listdir("/proc/self/task")
    if len(threads) != 1:  # a raw clone copies only this thread, without the hooks fork() runs for the others
        raise SystemExit(f"the zygote must be single-threaded to clone its jobs; it has {len(threads)} threads")
    sock = socket.socket(fileno=CTRL)
    os.closerange(3, CTRL)
    os.closerange(CTRL + 1, 65536)
    vm = int(next(s.split()[1] for s in open("/proc/self/status") if s.startswith("VmSize:"))) * 1024  # noqa: SIM115
    sock.sendall(json.dumps({"event": "ready", "pid": os.getpid(), "vm_bytes": vm}).encode())
    while True:
        msg, fds = receive(sock)
        if not msg:
            os._exit(0)
        spec = json.loads(msg)
        if spec.get("op") != "run" or len(fds) != 4 + spec.get("attached", 0):
            for fd in fds:
                os.close(fd)
            continue
        lifeline_r, lifeline_w = os.pipe()
        pid = clone_job()
        if pid == 0:
            try:
                sock.close()
                os.close(lifeline_w)
                job_init(spec, fds[0], fds[1], fds[2], fds[3], lifeline_r, fds[4:])
            except BaseException:
                report()
            finally:
                os._exit(126)
        for fd in (*fds, lifeline_r):
            os.close(fd)
        sock.sendall(json.dumps({"event": "started", "pid": pid}).encode())
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        poller.register(sock.fileno(), select.POLLIN)
        done = killed = False
        while not done:
            for fd, _ in poller.poll():
                if fd == pidfd:
                    done = True
                else:
                    order, _ = receive(sock)
                    if not order:
                        os.kill(pid, signal.SIGKILL)
                        os._exit(0)
                    if json.loads(order).get("op") == "kill":
                        os.kill(pid, signal.SIGKILL)
                        killed = True
        os.close(pidfd)
        os.close(lifeline_w)
        _, status, usage = os.wait4(pid, 0)
        if os.WIFSIGNALED(status) and not killed:  # as a cold job's init reports it: 128 + the signal
            status = (128 + os.WTERMSIG(status)) << 8
        sock.sendall(json.dumps({"event": "exit", "status": status, "cpu": usage.ru_utime + usage.ru_stime}).encode())


if __name__ == "__main__":
    CTRL = int(sys.argv[1])
    SECCOMP = open(sys.argv[2], "rb").read()  # noqa: SIM115
    BASE_PATH = [p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__))]  # without the zygote's folder
    UID, GID = os.getuid(), os.getgid()  # read before any unshare: in a new user namespace they read as unmapped
    ENV = json.loads(sys.argv[3])
    MASKS = json.loads(sys.argv[4])  # the global entries of /proc every job masks (see _masks.py)
    PROGRAM = ctypes.create_string_buffer(SECCOMP, len(SECCOMP))
    FPROG = Fprog(len(SECCOMP) // 8, ctypes.cast(PROGRAM, ctypes.c_void_p))  # built once, before any job
    PRELOADED = preload("/job/preload")
    try:
        main()
    finally:
        os._exit(0)
