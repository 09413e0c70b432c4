"""Where a PDF goes: always saved to a folder, then handed to the printer command if one is set.

The command is a list of arguments per platform (``[printing] windows / linux /
macos`` in the settings) with ``{file}`` for the PDF's path, run without a
shell so a file name can never become a command. Saving first means a failed
printer still leaves the slip on disk to print again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from counter_tui.domain.messages import DomainError, Msg


class PrintError(DomainError):
    pass


@dataclass(frozen=True)
class Delivered:
    path: Path
    printed: bool

    def message(self, lang: str = "vi") -> str:
        if lang == "en":
            return f"{'Sent to the printer and saved' if self.printed else 'Saved'}: {self.path}"
        return f"{'Đã gửi in và lưu' if self.printed else 'Đã lưu phiếu'}: {self.path}"


def platform_key() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def save_pdf(data: bytes, folder: Path, stem: str) -> Path:
    """Write atomically: a half-written PDF never sits under the final name."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.pdf"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def deliver(
    data: bytes, folder: Path, stem: str, command: list[str] | None = None, timeout: float = 30.0
) -> Delivered:
    path = save_pdf(data, folder, stem)
    if not command:
        return Delivered(path, printed=False)
    args = [a.replace("{file}", str(path)) for a in command]
    if not any("{file}" in a for a in command):
        args.append(str(path))
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise PrintError(
            "print.command",
            Msg(
                f"Không tìm thấy lệnh in '{args[0]}'. Phiếu đã lưu ở {path}.",
                f"Printer command '{args[0]}' not found. The slip is saved at {path}.",
            ),
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise PrintError(
            "print.timeout",
            Msg(
                f"Lệnh in không trả lời sau {timeout:.0f} giây. Phiếu đã lưu ở {path}.",
                f"The printer command did not answer. The slip is saved at {path}.",
            ),
        ) from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PrintError(
            "print.failed",
            Msg(
                f"In không được (mã {done.returncode}{': ' + err[-1] if err else ''}). "
                f"Phiếu đã lưu ở {path}.",
                f"Printing failed (code {done.returncode}). The slip is saved at {path}.",
            ),
        )
    return Delivered(path, printed=True)
