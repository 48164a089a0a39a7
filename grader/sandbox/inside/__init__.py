"""The programs that run inside a sandbox, kept as real modules so that they are linted, typed and tested.

A job must never see the project folder (it holds reference solutions and hidden tests), so
no sandbox imports these modules: the host reads their text once and hands it on, to
`python -c` (the bootstrap) or as a file of a job's archive (the zygote, the self-test's
probe). Each program is one module's text; a line importing from `unpack` (marked
`# inside: the text of unpack.py`) is dropped and unpack.py's text goes first instead,
so that the program needs nothing but the standard library (and NumPy, for the zygote).

Inside a sandbox each program runs as `__main__`; imported on the host (to test it), a
module only defines its functions: it reads its arguments and acts only as `__main__`.
"""

from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent
_INLINE = "from grader.sandbox.inside.unpack import start_job, unpack  # inside: the text of unpack.py\n"


def source(name: str) -> str:
    """The text of the module `name` (bootstrap, probe, unpack or zygote) of this folder."""
    if name not in ("bootstrap", "probe", "unpack", "zygote"):
        raise ValueError(f"no program {name!r} runs inside the sandbox")
    return (_HERE / f"{name}.py").read_text(encoding="utf-8")


def _with_unpack(name: str) -> str:
    text = source(name)
    if text.count(_INLINE) != 1:
        raise RuntimeError(f"{name}.py must import unpack and start_job on exactly one line: {_INLINE!r}")
    return source("unpack") + "\n\n" + text.replace(_INLINE, "")


@cache
def bootstrap_program() -> str:
    """The bootstrap of a cold job, for `python -I -B -c`."""
    return _with_unpack("bootstrap")


@cache
def zygote_program() -> str:
    """The zygote of a pre-forked slot, the entry of the zygote's job."""
    return _with_unpack("zygote")


@cache
def probe_program() -> str:
    """The self-test's probe, the entry of the self-test's job."""
    return source("probe")
