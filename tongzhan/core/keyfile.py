"""Key-file maintenance: add a new field-key version (rotation) without touching the old ones."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from django.conf import settings

from . import crypto


def add_field_key_version() -> int:
    """Append a fresh SM4 key and make it current. Old versions stay so old ciphertexts still decrypt."""
    if os.environ.get("TONGZHAN_FIELD_KEYS"):
        raise RuntimeError("keys come from TONGZHAN_FIELD_KEYS; rotate them where that variable is managed")
    path = Path(settings.FIELD_KEY_FILE)
    payload = json.loads(path.read_text(encoding="ascii"))
    version = max(int(v) for v in payload["field_keys"]) + 1
    if version > 255:
        raise RuntimeError("key versions are one byte; retire old versions first")
    payload["field_keys"][str(version)] = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
    payload["current"] = version
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)
    crypto.reset_keyring()
    return version
