"""A file a user downloads: what a service hands to the API route and the page alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Download:
    content: bytes | str
    filename: str  # the name it is saved under
    media_type: str
