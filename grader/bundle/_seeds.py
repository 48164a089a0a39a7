"""Seeds of generated test inputs: a problem's secret key and the test's name (and its `seed`, when set).

The bundle's content is deliberately not part of it: a new version that only moves a bar, a point value,
a tolerance or the statement draws the same inputs, while a changed generator or `params` still gives new
ones because the generator itself computes something else from the same random stream.
"""

from __future__ import annotations

import hashlib
import hmac

from grader.bundle._schema import TestSpec

# Folders graded on one machine (the CLI) have no service to keep a secret in: their key is derived from
# the slug, so local runs are repeatable; the service gives each problem a random key of its own.
_LOCAL_PREFIX = b"gradelab local seed key\0"
MIN_KEY_BYTES = 16


def local_seed_key(slug: str) -> bytes:
    """The seed key used for a problem graded from a folder or zip on one machine."""
    return hashlib.sha256(_LOCAL_PREFIX + slug.encode()).digest()


def seed_key_from_text(text: str) -> bytes:
    """A seed key from a secret phrase (the CLI's `--seed-secret`)."""
    return hashlib.sha256(text.encode()).digest()


def derive_seed(seed_key: bytes, test: TestSpec) -> int:
    """HMAC(key, name [+ seed]) as a non-negative 63-bit generator seed; unpredictable without the key."""
    if len(seed_key) < MIN_KEY_BYTES:
        raise ValueError(f"a seed key needs at least {MIN_KEY_BYTES} bytes, not {len(seed_key)}")
    message = b"test\0" + test.name.encode()
    if test.seed is not None:
        message += b"\0seed\0" + str(test.seed).encode()
    digest = hmac.new(seed_key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "little") >> 1
