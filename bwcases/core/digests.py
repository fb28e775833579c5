"""SHA-256 digests: the keys of evidence files and session tokens, and short keys of data."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def sha256_hex(data: bytes | str) -> str:
    """The SHA-256 of bytes (of text, its UTF-8), in hex."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def short_digest(value: Any, length: int = 20) -> str:
    """A short key of JSON-able data that changes whenever any of it does."""
    return sha256_hex(json.dumps(value, sort_keys=True, default=str))[:length]
