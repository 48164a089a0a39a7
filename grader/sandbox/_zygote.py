"""The pre-forked interpreter of one slot, and the per-job isolation its children set up.

The zygote is started once per slot through the same chain as a cold job (empty
environment, the slot's uid, no capabilities, no new privileges, a read-only root, its own
user, pid, network, IPC and UTS namespaces), imports NumPy, and then waits on its control
socket. It holds no secret, no reference and no test: only the interpreter and NumPy.

For each job it receives, with SCM_RIGHTS, a memfd holding the job's archive and the write
ends of the job's stdout, stderr and result channel. One clone3() creates the job's init in
a new user, mount, pid, network, IPC and UTS namespace, as pid 1 of the new pid namespace
(Python 3.11 has neither clone nor unshare: the call goes through ctypes with the GIL held
and Python's own before- and after-fork steps around it, which is what os.fork does; the
zygote checks that it is single-threaded, the one case where a raw clone is as safe as
fork). The init maps its own uid and gid, mounts a fresh size- and inode-capped tmpfs on
/job and a fresh /proc (with the kernel's global counters masked, see `_masks.py`), unpacks
the archive, sets the job's rlimits, drops every capability, sets no new privileges, loads
the seccomp filter, reseeds every random generator, and only then forks the job itself
(or, for a job marked `init`, runs it as pid 1 itself). Every child runs inside
`try/finally: os._exit()`, so no error path can fall back into the zygote's loop. When
the init ends, the pid namespace (and every process a job left behind) ends with it; the
zygote reports its exit status, with the CPU time of the whole tree, to the host.
"""

from grader.sandbox.inside import zygote_program

# The zygote's text (see grader/sandbox/inside/zygote.py and unpack.py), the entry of the zygote's job.
ZYGOTE = zygote_program()
