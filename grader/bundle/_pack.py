"""The built-in problem pack: where it lives and which problems it holds."""

from __future__ import annotations

from pathlib import Path

PACK_DIR = Path(__file__).resolve().parents[2] / "reference"
"""The folder of the built-in pack: one bundle folder per problem, named by its slug."""


def list_pack() -> list[str]:
    """The slugs of the built-in problems, sorted."""
    return sorted(p.name for p in PACK_DIR.iterdir() if (p / "problem.toml").is_file()) if PACK_DIR.is_dir() else []
