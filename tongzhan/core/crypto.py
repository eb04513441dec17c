"""National-cryptography primitives behind one module (SECURITY.md D1, D2, E2).

SM4-GCM encrypts sensitive fields; HMAC-SM3 makes blind indexes and the audit chain. Everything that
touches a key goes through here, so a certified hardware device can replace this module later without
callers noticing.

Ciphertext layout: 1 key-version byte | 12-byte nonce | ciphertext | 16-byte tag. The associated data
binds a value to its table, row and field, so a ciphertext copied into another row or column fails to
decrypt instead of silently showing the wrong person's ID number.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

NONCE_BYTES = 12
TAG_BYTES = 16


class IntegrityAlarm(Exception):
    """A stored ciphertext failed authentication: it was altered, moved or the key is wrong."""


@dataclass(frozen=True)
class KeyRing:
    current: int
    field_keys: dict[int, bytes]
    index_key: bytes
    audit_key: bytes


_lock = threading.Lock()
_ring: KeyRing | None = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_key_file(path: Path) -> None:
    """Write a fresh key file (mode 0600). Called on first start; never overwrites."""
    payload = {
        "current": 1,
        "field_keys": {"1": _b64(secrets.token_bytes(16))},
        "index_key": _b64(secrets.token_bytes(32)),
        "audit_key": _b64(secrets.token_bytes(32)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        json.dump(payload, handle, indent=2)


def _load() -> KeyRing:
    env = os.environ.get("TONGZHAN_FIELD_KEYS")
    if env:
        payload = json.loads(env)
    else:
        path = Path(settings.FIELD_KEY_FILE)
        if not path.exists():
            new_key_file(path)
        payload = json.loads(path.read_text(encoding="ascii"))
    return KeyRing(
        current=int(payload["current"]),
        field_keys={int(k): base64.b64decode(v) for k, v in payload["field_keys"].items()},
        index_key=base64.b64decode(payload["index_key"]),
        audit_key=base64.b64decode(payload["audit_key"]),
    )


def keyring() -> KeyRing:
    global _ring
    if _ring is None:
        with _lock:
            if _ring is None:
                _ring = _load()
    return _ring


def reset_keyring() -> None:
    """Forget the cached keys (after rotation, or in tests)."""
    global _ring
    _ring = None


def _aad(table: str, row: str, field: str) -> bytes:
    return f"{table}\x1f{row}\x1f{field}".encode()


def encrypt(value: str, *, table: str, row: str, field: str) -> bytes:
    ring = keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(ring.field_keys[ring.current]), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(_aad(table, row, field))
    body = enc.update(value.encode("utf-8")) + enc.finalize()
    return bytes([ring.current]) + nonce + body + enc.tag


def decrypt(blob: bytes, *, table: str, row: str, field: str) -> str:
    blob = bytes(blob)
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
        raise IntegrityAlarm(f"{table}.{field}: ciphertext too short")
    version, nonce, body, tag = blob[0], blob[1:13], blob[13:-TAG_BYTES], blob[-TAG_BYTES:]
    key = keyring().field_keys.get(version)
    if key is None:
        raise IntegrityAlarm(f"{table}.{field}: unknown key version {version}")
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(_aad(table, row, field))
    try:
        return (dec.update(body) + dec.finalize()).decode("utf-8")
    except (InvalidTag, UnicodeDecodeError) as exc:
        raise IntegrityAlarm(f"{table}.{field}: authentication failed") from exc


def key_version(blob: bytes) -> int:
    return bytes(blob)[0]


def normalize_for_index(value: str) -> str:
    """NFKC, upper-case, no whitespace: `…x`, `…X`, full-width and spaced forms index the same."""
    return "".join(unicodedata.normalize("NFKC", value).upper().split())


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed HMAC-SM3 over the normalised value; `purpose` keeps indexes of different fields apart."""
    mac = hmac.HMAC(keyring().index_key, hashes.SM3())
    mac.update(purpose.encode("ascii") + b"\x00" + normalize_for_index(value).encode("utf-8"))
    return mac.finalize().hex()


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def chain_mac(previous: str, payload: bytes) -> str:
    """HMAC-SM3 over the previous link and this row: the audit chain (E2)."""
    mac = hmac.HMAC(keyring().audit_key, hashes.SM3())
    mac.update(previous.encode("ascii") + b"\x00" + payload)
    return mac.finalize().hex()
