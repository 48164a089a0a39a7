"""What of the host a sandbox may see: the interpreter, NumPy and the shared libraries they load.

Everything is bound read-only at its original path: the interpreter finds
`libpython` through an rpath into its own prefix. Site-packages directories are
covered by an empty read-only tmpfs and only the allowed packages are bound back,
so nothing else installed beside the grader (the grader itself when installed
non-editable, the web app, test tools) is visible to a job.
"""

from __future__ import annotations

import glob
import os
import site
import sys
import sysconfig
from dataclasses import dataclass

DEFAULT_PACKAGES = ("numpy",)


@dataclass(frozen=True)
class Layout:
    """The read-only view of the host inside every sandbox."""

    python: str  # the interpreter as the job starts it (the venv's, never a shim)
    runtime: str  # sys.base_prefix: bound at its original path
    venv: str | None  # sys.prefix when it is a separate venv
    site_dirs: tuple[str, ...]  # hidden behind an empty tmpfs
    packages: tuple[str, ...]  # bound back inside site_dirs
    system_libs: tuple[str, ...]  # directories of the C libraries (libc, libffi, libstdc++...)

    def binds(self, source: dict[str, str] | None = None) -> list[str]:
        """bwrap arguments binding all of it; `source` maps an inside prefix to where it is outside."""
        moved = source or {}

        def outside(path: str) -> str:
            for prefix, staged in moved.items():
                if path == prefix or path.startswith(prefix + "/"):
                    return staged + path[len(prefix) :]
            return path

        args = ["--ro-bind", outside(self.runtime), self.runtime]
        if self.venv is not None:
            args += ["--ro-bind", outside(self.venv), self.venv]
        for lib in self.system_libs:
            args += ["--ro-bind", lib, lib]
        args += ["--symlink", "usr/lib", "/lib"]
        if "/usr/lib64" in self.system_libs:
            args += ["--symlink", "usr/lib64", "/lib64"]
        for folder in self.site_dirs:
            args += ["--size", "4096", "--perms", "0555", "--tmpfs", folder]
        for package in self.packages:
            args += ["--ro-bind", outside(package), package]
        for folder in self.site_dirs:
            args += ["--remount-ro", folder]
        return args


def discover(packages: tuple[str, ...] = DEFAULT_PACKAGES) -> Layout:
    """The layout of the interpreter running this process."""
    runtime = sys.base_prefix
    venv = sys.prefix if os.path.realpath(sys.prefix) != os.path.realpath(runtime) else None
    if venv is not None and _inside(venv, runtime):
        venv = None
    roots = [runtime] if venv is None else [runtime, venv]
    site_dirs = _site_dirs(roots)
    return Layout(
        python=sys.executable,
        runtime=runtime,
        venv=venv,
        site_dirs=site_dirs,
        packages=_package_paths(site_dirs, packages),
        system_libs=_system_libs(),
    )


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _site_dirs(roots: list[str]) -> tuple[str, ...]:
    candidates = [*site.getsitepackages()]
    for root in roots:
        for key in ("purelib", "platlib"):
            candidates.append(sysconfig.get_path(key, vars={"base": root, "platbase": root}))
    found: list[str] = []
    for folder in candidates:
        if os.path.isdir(folder) and any(_inside(folder, r) for r in roots) and folder not in found:
            found.append(folder)
    return tuple(found)


def _package_paths(site_dirs: tuple[str, ...], packages: tuple[str, ...]) -> tuple[str, ...]:
    paths: list[str] = []
    for folder in site_dirs:
        for name in packages:
            patterns = (name, f"{name}.py", f"{name}.libs", f"{name}-*.dist-info")
            for pattern in patterns:
                paths += sorted(p for p in glob.glob(os.path.join(folder, pattern)) if p not in paths)
    return tuple(paths)


def _system_libs() -> tuple[str, ...]:
    multiarch = sysconfig.get_config_var("MULTIARCH")
    arch_dir = f"/usr/lib/{multiarch}" if isinstance(multiarch, str) and multiarch else ""
    libs = [arch_dir if arch_dir and os.path.isdir(arch_dir) else "/usr/lib"]
    if os.path.isdir("/usr/lib64"):
        libs.append("/usr/lib64")
    return tuple(libs)
