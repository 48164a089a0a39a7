"""The self-test's probe: runs inside the sandbox and reports what it could (not) do.

Arguments: the canary string, the port of a live listener on the host's loopback, the
names of the fixed environment (comma-separated), then paths of canary files on the
host. It writes `R` to the channel, waits a moment so the host can look at it from
outside, then writes a JSON object of check name -> bool.
"""

PROBE = r"""
import ctypes, json, os, socket, sys, time
canary, port, fixed, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4:]
checks = {}

def check(name, fn):
    try:
        checks[name] = bool(fn())
    except Exception as exc:
        checks[name] = False
        checks[name + ":error"] = repr(exc)[:200]

def fails(fn, *args):
    try:
        fn(*args)
    except OSError:
        return True
    return False

def numpy_works():
    import numpy as np
    return float(np.linalg.norm(np.eye(3))) > 1.7 and np.__file__.startswith(sys.prefix)

def tcp_blocked():
    def connect():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(("127.0.0.1", port))
    return fails(connect)

def udp_blocked():
    def send():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", ("1.1.1.1", 53))
    return fails(send)

def env_clean():
    blob = open("/proc/self/environ", "rb").read() + open("/proc/1/environ", "rb").read()
    return canary.encode() not in blob and all(canary not in v for v in os.environ.values())

def fixed_environment(blob):
    names = {item.split(b"=", 1)[0] for item in blob.split(b"\0") if item}
    return names <= {name.encode() for name in fixed} | {b"PWD"}

def unwritable(folder):
    return fails(lambda: open(os.path.join(folder, "gradelab-write-probe"), "xb").close())

def status():
    return dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)

def unprivileged():
    ids = os.getresuid() + os.getresgid()
    return 0 not in ids and int(status()["CapEff"].strip(), 16) == 0

def syscalls_filtered():
    libc = ctypes.CDLL(None, use_errno=True)
    return status()["Seccomp"].strip() == "2" and libc.unshare(0x10000000) == -1

def no_terminals():
    absent = not any(os.path.exists(p) for p in ("/dev/ptmx", "/dev/pts", "/dev/tty"))
    return absent and fails(os.open, "/dev/ptmx", os.O_RDWR)

def counter(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""

def counters_masked():
    paths = ("/proc/loadavg", "/proc/stat", "/proc/sys/kernel/pty/nr", "/proc/sys/fs/file-nr")
    return not any(counter(p) for p in paths)

os.write(3, b"R")
time.sleep(0.3)
check("numpy works", numpy_works)
check("TCP to a listener on the host's loopback fails", tcp_blocked)
check("UDP to the outside fails", udp_blocked)
check("environment canary is absent", env_clean)
check("pid 1 sees only the fixed environment", lambda: fixed_environment(open("/proc/1/environ", "rb").read()))
for path in paths:
    check(f"host file {path} is unreachable", lambda: fails(open, path, "rb"))
check("runtime is read-only", lambda: unwritable(sys.base_prefix) and unwritable(sys.prefix))
check("site-packages is read-only", lambda: all(unwritable(p) for p in sys.path[1:] if os.path.isdir(p)))
check("root and /dev are read-only", lambda: unwritable("/") and unwritable("/dev"))
check("uid and gid are unprivileged, no capabilities", unprivileged)
check("no new privileges", lambda: status()["NoNewPrivs"].strip() == "1")
check("seccomp filter is active", syscalls_filtered)
check("no pseudo-terminals (/dev/ptmx, devpts)", no_terminals)
check("the kernel's global counters in /proc are masked", counters_masked)
os.write(3, json.dumps(checks).encode())
"""
