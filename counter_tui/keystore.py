"""The cache key in the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service).

One key per data folder, created the first time encryption is switched on.
The keyring ties it to the OS user account: another Windows user, or the disk
taken out and read elsewhere, does not have it (docs/security.md says what
this protects against and what it does not).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from counter_tui.domain.messages import DomainError, Msg
from counter_tui.store.engine.cipher import Cipher

SERVICE = "counter-tui"


class KeyringError(DomainError):
    pass


def _entry(data_dir: Path) -> str:
    return f"cache-key:{data_dir.resolve()}"


def cache_cipher(data_dir: Path, *, create: bool = True) -> Cipher:
    """The cipher for ``data_dir``'s cache, its key taken from (or put into) the keyring."""
    import keyring
    from keyring.errors import KeyringError as BackendError
    from keyring.errors import NoKeyringError

    try:
        stored = keyring.get_password(SERVICE, _entry(data_dir))
        if stored is None:
            if not create:
                raise KeyringError(
                    "keyring.missing",
                    Msg(
                        "Kho khóa của hệ điều hành không có khóa của bộ đệm này.",
                        "The OS keyring has no key for this cache.",
                    ),
                )
            key = Cipher.new_key()
            keyring.set_password(SERVICE, _entry(data_dir), base64.b64encode(key).decode("ascii"))
            return Cipher(key)
        return Cipher(base64.b64decode(stored, validate=True))
    except NoKeyringError as exc:
        raise KeyringError(
            "keyring.none",
            Msg(
                "Máy này không có kho khóa của hệ điều hành (Windows Credential Manager, macOS "
                "Keychain hoặc Secret Service), nên không mã hóa bộ đệm được. Tắt encrypt_cache "
                "hoặc cài kho khóa.",
                "No OS keyring on this machine; turn encrypt_cache off or install one.",
            ),
        ) from exc
    except (BackendError, binascii.Error, ValueError) as exc:
        raise KeyringError(
            "keyring.failed",
            Msg(f"Không đọc được khóa từ kho khóa: {exc}", f"Keyring failed: {exc}"),
        ) from exc
