"""The seccomp filter of every sandboxed process, compiled once to BPF with libseccomp.

Default allow, with the kernel's sharp edges refused: the namespaces and bwrap already
take away most of their power, the filter takes away the attack surface. Other
architectures' system calls (i386 `int 0x80`, x32) kill the process.
"""

from __future__ import annotations

import errno
import functools
import os
import socket

import pyseccomp

DENIED = (
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
    # the mount family and namespaces
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
    "fsconfig", "fspick", "mount_setattr", "unshare", "setns",
    # large kernel attack surfaces
    "bpf", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "keyctl", "add_key", "request_key", "fanotify_init",
    # the machine itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "syslog", "acct",
    "quotactl", "quotactl_fd", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "iopl", "ioperm", "lookup_dcookie", "vhangup", "nfsservctl",
    "mbind", "migrate_pages", "move_pages", "set_mempolicy",
    # the kernel's global counters (free memory, process count, load), a channel between running jobs
    "sysinfo",
)  # fmt: skip

NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x00000080,  # CLONE_NEWTIME
)


def _build() -> pyseccomp.SyscallFilter:
    flt = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    flt.set_attr(pyseccomp.Attr.ACT_BADARCH, pyseccomp.KILL_PROCESS)
    deny = pyseccomp.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            flt.add_rule(deny, name)
        except (ValueError, OSError):
            continue  # not a system call on this architecture
    # Only UNIX sockets: no TCP, UDP, raw, netlink or packet sockets even if a namespace leaked.
    flt.add_rule(pyseccomp.ERRNO(errno.EAFNOSUPPORT), "socket", pyseccomp.Arg(0, pyseccomp.NE, socket.AF_UNIX))
    for flag in NAMESPACE_FLAGS:
        flt.add_rule(deny, "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory where a filter cannot see them; glibc falls back to clone.
    flt.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    # Only the default persona (no READ_IMPLIES_EXEC, no ADDR_NO_RANDOMIZE); this also refuses the
    # 0xffffffff query, which nothing we run needs (libseccomp cannot compare one argument twice).
    flt.add_rule(deny, "personality", pyseccomp.Arg(0, pyseccomp.NE, 0))
    return flt


@functools.cache
def seccomp_program() -> bytes:
    """The filter as BPF bytes, ready for `bwrap --seccomp FD`; compiled once per process."""
    flt = _build()
    fd = os.memfd_create("gradelab-seccomp")
    try:
        with os.fdopen(os.dup(fd), "wb") as fh:
            flt.export_bpf(fh)
        size = os.lseek(fd, 0, os.SEEK_END)
        return os.pread(fd, size, 0)
    finally:
        os.close(fd)


def seccomp_memfd() -> int:
    """A fresh memfd holding the program, positioned at its start (bwrap reads it and closes it)."""
    program = seccomp_program()
    fd = os.memfd_create("gradelab-seccomp", os.MFD_CLOEXEC)
    try:
        view = memoryview(program)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd
