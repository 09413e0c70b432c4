"""Optional encryption of the cache at rest: AES-256-GCM over every file that holds data.

Shards, the commit log (line by line) and the directory index are sealed; the
manifest is not (it holds counts, sizes and the key's fingerprint, no personal
data). GCM authenticates as well as hides: a changed byte fails to open rather
than decrypting to garbage. The key itself never touches the data folder; the
app takes it from the OS keyring (:mod:`counter_tui.keystore`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CTE1"
NONCE = 12


class CipherError(ValueError):
    """Not sealed with this key, or changed since."""


class Cipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a cache key is 32 bytes")
        self._aead = AESGCM(key)
        # Recorded in the manifest so a wrong key is named as such, not taken for damage.
        self.key_id = hashlib.sha256(b"counter-tui cache key id\0" + key).hexdigest()[:16]

    @staticmethod
    def new_key() -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def seal(self, data: bytes) -> bytes:
        nonce = os.urandom(NONCE)  # random 96-bit nonces: safe far beyond a counter's writes
        return MAGIC + nonce + self._aead.encrypt(nonce, data, MAGIC)

    def open(self, blob: bytes) -> bytes:
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE + 16:
            raise CipherError("not sealed")
        nonce = blob[len(MAGIC) : len(MAGIC) + NONCE]
        try:
            return self._aead.decrypt(nonce, blob[len(MAGIC) + NONCE :], MAGIC)
        except InvalidTag as exc:
            raise CipherError("wrong key or changed data") from exc

    def seal_line(self, payload: bytes) -> bytes:
        """One commit-log record, sealed and kept on one line (base64 has no newline)."""
        return base64.b64encode(self.seal(payload))

    def open_line(self, line: bytes) -> bytes:
        try:
            return self.open(base64.b64decode(line, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise CipherError("not a sealed line") from exc
