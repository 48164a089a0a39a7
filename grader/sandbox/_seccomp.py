"""The seccomp filter of every sandboxed process, compiled once to BPF with libseccomp."""

from __future__ import annotations

import errno
import functools
import os
import socket

import pyseccomp

# The kernel's sharp edges: debugging other processes, mounting, namespaces, eBPF,
# perf, io_uring, keyrings, modules, and anything that changes the machine.
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
    "fsconfig", "fspick", "mount_setattr", "unshare", "setns",
    "bpf", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "userfaultfd",
    "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "syslog",
    "acct", "quotactl", "quotactl_fd", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "iopl", "ioperm", "lookup_dcookie", "vhangup", "nfsservctl",
    "fanotify_init", "mbind", "migrate_pages", "move_pages", "set_mempolicy",
)  # fmt: skip

_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)


@functools.cache
def seccomp_program() -> bytes:
    """The filter as BPF bytes, ready for `bwrap --seccomp FD`."""
    flt = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    deny = pyseccomp.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            flt.add_rule(deny, name)
        except (ValueError, OSError):
            continue  # not a syscall on this architecture
    # Only UNIX sockets: no TCP, UDP, raw, netlink or packet sockets even if a namespace leaked.
    flt.add_rule(pyseccomp.ERRNO(errno.EAFNOSUPPORT), "socket", pyseccomp.Arg(0, pyseccomp.NE, socket.AF_UNIX))
    for flag in _NAMESPACE_FLAGS:
        flt.add_rule(deny, "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory where a filter cannot see them; glibc falls back to clone.
    flt.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    fd = os.memfd_create("gradelab-seccomp")
    try:
        with os.fdopen(os.dup(fd), "wb") as fh:
            flt.export_bpf(fh)
        size = os.lseek(fd, 0, os.SEEK_END)
        return os.pread(fd, size, 0)
    finally:
        os.close(fd)
