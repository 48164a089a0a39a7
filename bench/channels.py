"""Covert channels between two jobs running at the same time on two sandbox slots, measured.

A sender job gets a random bit string (as a hidden test's inputs would be) and modulates one
shared-kernel quantity, one bit per time slot; a receiver job on another slot samples that
quantity in each slot and writes what it saw to its result channel (its "visible output").
The host decodes with a threshold halfway between the quartiles, on the raw samples and on samples with the
host's own drift removed (each minus the median of its seven neighbours), keeps the better of
the two decoders, and reports the bit error rate and the
capacity of that binary symmetric channel, (1 - H(p)) bits per slot, in bits per second.

.venv/bin/python -m bench.channels                 # every channel, 64 bits each, both backends
.venv/bin/python -m bench.channels --bits 128 --slot-ms 50 --backend prefork
"""

from __future__ import annotations

import argparse
import math
import secrets
import threading
import time

from bench._common import table
from grader.sandbox import CollectingMonitor, Job, Limits, Sandbox, open_slot

COMMON = r"""
import ctypes, os, sys, time
start, slot, bits = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]

class Sysinfo(ctypes.Structure):
    _fields_ = [("uptime", ctypes.c_long), ("loads", ctypes.c_ulong * 3), ("totalram", ctypes.c_ulong),
                ("freeram", ctypes.c_ulong), ("sharedram", ctypes.c_ulong), ("bufferram", ctypes.c_ulong),
                ("totalswap", ctypes.c_ulong), ("freeswap", ctypes.c_ulong), ("procs", ctypes.c_ushort),
                ("pad", ctypes.c_char * 22)]

def sysinfo():
    info = Sysinfo()
    ctypes.CDLL(None).sysinfo(ctypes.byref(info))
    return info

def wait_until(t):
    time.sleep(max(0.0, t - time.time()))
"""

SPIN = r"""
for _ in range(3):  # four spinning processes: more than this machine's cores
    if os.fork() == 0:
        break
for i, bit in enumerate(bits):
    wait_until(start + i * slot)
    while bit == "1" and time.time() < start + (i + 1) * slot:
        pass
"""  # one sender for both CPU channels: it spins in the slots of its 1 bits

SENDERS = {
    "CPU contention (timing)": SPIN,
    "memory pressure (page-fault timing)": r"""
for i, bit in enumerate(bits):
    wait_until(start + i * slot)
    if bit == "1":
        block = bytearray(128 * 1024 * 1024)
        for j in range(0, len(block), 4096):
            block[j] = 1
        wait_until(start + (i + 1) * slot - 0.01)
        del block
""",
    "sysinfo(2) process count": r"""
for i, bit in enumerate(bits):
    wait_until(start + i * slot)
    if bit == "1":
        for _ in range(12):
            if os.fork() == 0:
                wait_until(start + (i + 1) * slot - 0.01)
                os._exit(0)
        for _ in range(12):
            os.wait()
""",
    "pty count (/proc/sys/kernel/pty/nr)": r"""
for i, bit in enumerate(bits):
    wait_until(start + i * slot)
    held = []
    for _ in range(8 if bit == "1" else 0):
        try:
            held += os.openpty()
        except OSError:
            pass
    wait_until(start + (i + 1) * slot - 0.01)
    for fd in held:
        os.close(fd)
""",
    "/proc/loadavg, /proc/stat": SPIN,
}

RECEIVERS = {
    "CPU contention (timing)": r"""
def sample(end):
    n = 0
    while time.time() < end:
        n += 1
    return n
""",
    "memory pressure (page-fault timing)": r"""
def sample(end):
    wait_until(end - slot / 2)
    began = time.perf_counter()
    block = bytearray(16 * 1024 * 1024)
    for j in range(0, len(block), 4096):
        block[j] = 1
    return time.perf_counter() - began
""",
    "sysinfo(2) process count": "def sample(end):\n    wait_until(end - slot / 2)\n    return sysinfo().procs\n",
    "pty count (/proc/sys/kernel/pty/nr)": r"""
def sample(end):
    wait_until(end - slot / 2)
    try:
        return float(open("/proc/sys/kernel/pty/nr").read() or 0)
    except OSError:
        return 0.0
""",
    "/proc/loadavg, /proc/stat": r"""
def sample(end):
    wait_until(end - slot / 2)
    text = open("/proc/stat").read().split("\n")[0].split()[1:2] + open("/proc/loadavg").read().split()[:1]
    return sum(float(v) for v in text)
""",
}

RECEIVE_LOOP = r"""
seen = []
for i in range(len(bits)):
    wait_until(start + i * slot + 0.005)
    seen.append(sample(start + (i + 1) * slot - 0.005))
os.write(3, " ".join(str(v) for v in seen).encode())
"""

LIMITS = Limits(wall_seconds=120, cpu_seconds=120, memory_bytes=512 * 1024 * 1024, processes=32)


def _run(sandbox: Sandbox, source: str, args: tuple[str, ...], out: dict[str, bytes], key: str) -> None:
    monitor = CollectingMonitor()
    sandbox.run(Job(files={"job.py": source.encode()}, entry="job.py", args=args), LIMITS, monitor)
    out[key] = monitor.data


def measure(sender: Sandbox, receiver: Sandbox, channel: str, bits: str, slot: float) -> tuple[float, float]:
    """The bit error rate and the capacity in bits per second of one channel."""
    start = time.time() + 3.0  # both jobs are up by then, on either backend
    args = (str(start), str(slot), bits)
    out: dict[str, bytes] = {}
    threads = [
        threading.Thread(target=_run, args=(sender, COMMON + SENDERS[channel], args, out, "sender")),
        threading.Thread(target=_run, args=(receiver, COMMON + RECEIVERS[channel] + RECEIVE_LOOP, args, out, "r")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    raw = [float(v) for v in out.get("r", b"").split()]
    if len(raw) != len(bits):
        return 0.5, 0.0
    p = min(_error_rate(raw, bits), _error_rate(_detrend(raw), bits))
    return p, (1 - _entropy(p)) / slot


def _error_rate(values: list[float], bits: str) -> float:
    """Bits decoded with a threshold between the quartiles; a receiver that knows the sign inverts its guess."""
    ordered = sorted(values)
    threshold = (ordered[len(values) // 4] + ordered[3 * len(values) // 4]) / 2
    errors = sum((v > threshold) != (b == "1") for v, b in zip(values, bits, strict=True))
    return min(errors, len(bits) - errors) / len(bits)


def _detrend(values: list[float]) -> list[float]:
    """Each sample minus the median of its neighbourhood: the host's own drift (other jobs, caches) is not signal."""
    out = []
    for i, value in enumerate(values):
        near = sorted(values[max(0, i - 3) : i + 4])
        out.append(value - near[len(near) // 2])
    return out


def _entropy(p: float) -> float:
    return 0.0 if p in (0.0, 1.0) else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def run(n_bits: int, slot_ms: float, backend: str, only: str = "") -> str:
    """The table of every channel on one backend."""
    sender, receiver = open_slot(230, backend), open_slot(231, backend)
    rows = []
    try:
        for channel in (c for c in SENDERS if only.lower() in c.lower()):
            bits = "".join(secrets.choice("01") for _ in range(n_bits))
            p, rate = measure(sender, receiver, channel, bits, slot_ms / 1000)
            # Within two standard deviations of guessing (0.5 +- 1/sqrt(n)), a measured rate is noise.
            chance = p > 0.5 - 1 / math.sqrt(n_bits)
            rows.append([channel, f"{p:.2f}", "none above chance" if chance else f"{rate:.1f}"])
    finally:
        for sandbox in (sender, receiver):
            getattr(sandbox, "close", lambda: None)()
    title = f"Covert channels between two running jobs ({backend}, {n_bits} bits, {slot_ms:g} ms per bit)"
    return table(title, ["channel", "bit error rate", "capacity (bits/s)"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.channels", description=__doc__)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--slot-ms", type=float, default=100.0)
    parser.add_argument("--backend", choices=("prefork", "cold", "both"), default="both")
    parser.add_argument("--only", default="", help="only the channels whose name contains this")
    args = parser.parse_args()
    for backend in ("prefork", "cold") if args.backend == "both" else (args.backend,):
        print(run(args.bits, args.slot_ms, backend, args.only), flush=True)


if __name__ == "__main__":
    main()
