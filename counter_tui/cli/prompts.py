"""What an operator command asks at the keyboard: a PIN (typed twice, never echoed) and a
confirmation, each with a way for scripts to answer on stdin."""

from __future__ import annotations

import sys

from counter_tui.cli.voice import refuse, tr


def read_pin(from_stdin: bool) -> str:
    """A PIN typed twice without echo, or one line on stdin (for scripts: --pin-stdin, or
    any stdin that is not a terminal, where there is nobody to ask twice). :class:`Exit`
    (2) when none is given or the two differ."""
    if from_stdin or not sys.stdin.isatty():
        pin = sys.stdin.readline().rstrip("\r\n")
        if not pin:
            raise refuse(
                tr(
                    "không có mã PIN trên stdin (cần một dòng)",
                    "no PIN on stdin (one line expected)",
                )
            )
        return pin
    import getpass

    try:
        first = getpass.getpass(tr("Mã PIN: ", "PIN: "))
        again = getpass.getpass(tr("Nhập lại mã PIN: ", "PIN again: "))
    except (EOFError, KeyboardInterrupt):
        raise refuse("\n" + tr("chưa nhập mã PIN", "no PIN given")) from None
    if again != first:
        raise refuse(tr("hai mã PIN khác nhau", "the two PINs differ"))
    return first


def confirmed(word: str) -> bool:
    """Whether the operator typed ``word`` (a word to type, not y/n: a repair that loses
    operations is not agreed to by reflex)."""
    try:
        answer = input(tr(f"gõ {word} để tiếp tục: ", f"type {word} to go ahead: "))
    except EOFError:  # nobody at the keyboard (a script without --yes): not agreed
        print()
        return False
    return answer.strip() == word
