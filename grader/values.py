"""The values that come back from a sandbox after decoding: plain data only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np


@dataclass(frozen=True)
class Opaque:
    """A returned object the codec does not carry (a function, a class instance, ...)."""

    type_name: str


# A decoded value: arrays are always plain, C-ordered `np.ndarray` of an allowed dtype
# (bool, int8..int64, uint8..uint64, float32, float64); numbers are Python numbers.
Value: TypeAlias = (
    np.ndarray | float | int | bool | str | list["Value"] | tuple["Value", ...] | dict[str, "Value"] | Opaque | None
)
