"""Write `seccomp-worker.json`: the Docker seccomp profile of grading workers (run by maintainers).

Docker's default profile blocks the namespace and mount calls bubblewrap needs, so a worker
container would need `privileged`. This profile instead allows every x86-64 and aarch64 system
call *except* a list that no grader needs and that reaches into the host kernel (modules, kexec,
BPF, perf, keyrings, clocks, swap, reboot, raw I/O ports, cross-process memory, userfaultfd,
handle-based opens). Unknown future system calls are refused (the default action), and the
sandbox inside the container adds its own much stricter filter per job.

    python deploy/make_seccomp_profile.py > deploy/seccomp-worker.json
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HEADERS = [Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"), Path("/usr/include/asm-generic/unistd.h")]

DENIED = {
    # kernel modules, kexec, reboot
    "init_module", "finit_module", "delete_module", "create_module", "kexec_load", "kexec_file_load", "reboot",
    # tracing and introspection of the kernel or other processes
    "bpf", "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "lookup_dcookie",
    "syslog", "userfaultfd", "fanotify_init",
    # keyrings
    "add_key", "request_key", "keyctl",
    # clocks, accounting, swap, quotas
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime", "acct", "swapon", "swapoff",
    "quotactl", "quotactl_fd",
    # raw hardware access, legacy and obsolete calls
    "iopl", "ioperm", "vm86", "vm86old", "uselib", "nfsservctl", "_sysctl", "get_kernel_syms", "query_module",
    # opening files by handle escapes mount namespaces
    "open_by_handle_at", "name_to_handle_at",
    # new-mount-API and namespace attachment beyond what bubblewrap uses
    "fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr",
}
NEEDED_BY_BWRAP = {"unshare", "mount", "umount2", "setns", "pivot_root", "clone", "clone3", "chroot"}


def syscall_names() -> set[str]:
    names: set[str] = set()
    for header in HEADERS:
        if header.is_file():
            names |= set(re.findall(r"#define __NR3?2?_(\w+)\s+", header.read_text()))
    return {n for n in names if not n.startswith("syscalls") and n != "arch_specific_syscall"}


def profile() -> dict[str, object]:
    allowed = sorted((syscall_names() | NEEDED_BY_BWRAP) - DENIED)
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
        ],
        "syscalls": [{"names": allowed, "action": "SCMP_ACT_ALLOW"}],
    }


if __name__ == "__main__":
    print(json.dumps(profile(), indent=1))
