"""The values that come back from a sandbox after decoding: plain data only (defined with the wire, which
runs in the sandbox too)."""

from __future__ import annotations

from grader._harness.wire import Opaque, Value

__all__ = ["Opaque", "Value"]
