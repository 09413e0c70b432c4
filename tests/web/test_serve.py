"""`counter-tui serve` in a real headless Chromium: a clerk signs in, looks a dossier up by
citizen ID, prints its slip and receives the PDF in the browser; the page asks nothing of
the internet; a second tab is told the counter is open elsewhere."""

from __future__ import annotations

import http.client
import io
import os
import sys
import time
import urllib.error
import urllib.request

import openpyxl
import pypdf

from counter_tui.launch import make_services
from counter_tui.settings import load_settings
from tests.web.browser import chromium, wait_for_text
from tests.web.conftest import CITIZEN_ID, PIN, serving


def keys_to(page) -> None:
    """The keyboard to the terminal, as a clerk's first key would; a click would land on
    a widget under the mouse."""
    page.focus(".xterm-helper-textarea")


def local_only(requests: list[str], url: str) -> list[str]:
    """The requests that left this server (http and its websocket)."""
    ws = "ws" + url.removeprefix("http")
    return [r for r in requests if not (r.startswith(url) or r.startswith(ws))]


def test_sign_in_look_up_print_and_receive_the_pdf(served, counter, tmp_path):
    with chromium(tmp_path / "profile") as browser:
        page, screen = browser.open(served.url)
        wait_for_text(page, screen, "Đăng nhập", "Tên đăng nhập", "Mã PIN")
        # The page's font is the one it served itself (textual-serve's own page asks a
        # web font service for it, and offline falls back to a font that misplaces
        # Vietnamese diacritics).
        assert page.evaluate("document.fonts.check('16px \"Roboto Mono\"', 'Ấn')")
        assert page.evaluate(
            "[...document.fonts].some(f => f.family.includes('Roboto Mono')"
            " && f.status === 'loaded')"
        )
        keys_to(page)
        page.keyboard.type("lan")
        page.keyboard.press("Enter")
        page.keyboard.type(PIN)
        page.keyboard.press("Enter")
        wait_for_text(page, screen, "Quầy Q1 · lan")  # signed in: the status bar
        page.keyboard.press("F3")
        wait_for_text(page, screen, "Số CCCD")
        page.keyboard.type(CITIZEN_ID)
        page.keyboard.press("Enter")
        wait_for_text(page, screen, counter.code, "Đặng Thị Ngọc Ánh")
        page.keyboard.press("F10")
        wait_for_text(page, screen, "Mẫu 01")
        page.keyboard.press("Enter")
        wait_for_text(page, screen, "[F10] In / lưu PDF")
        page.keyboard.press("F10")
        shown = wait_for_text(page, screen, "Đã mở phiếu trong trình duyệt")
        name, pdf = browser.wait_for_download(page)
        assert name.endswith(".pdf") and counter.code in name
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert counter.code in text and "Đặng Thị Ngọc Ánh" in text
        assert "Bản lưu" in shown  # and a copy stays in the folder, to print again
        assert list((counter.out / "phieu").glob("*.pdf"))
        assert local_only(browser.requests, served.url) == []
        assert any("fonts/RobotoMono" in r for r in browser.requests)


def test_a_second_tab_is_told_the_counter_is_open_in_the_first(served, tmp_path):
    with chromium(tmp_path / "profile") as browser:
        first, first_screen = browser.open(served.url)
        wait_for_text(first, first_screen, "Đăng nhập")
        second, second_screen = browser.open(served.url)
        wait_for_text(second, second_screen, "Quầy này đang mở ở một thẻ khác")
        # The first tab still works, and once it is closed a reload gets the counter.
        keys_to(first)
        first.keyboard.type("lan")
        first.keyboard.press("Enter")
        first.keyboard.type(PIN)
        first.keyboard.press("Enter")
        wait_for_text(first, first_screen, "Quầy Q1 · lan")
        first.close()
        second.reload()
        wait_for_text(second, second_screen, "Đăng nhập", "Mã PIN")
        assert "Traceback" not in served.output()


def test_only_pages_from_127_0_0_1_may_drive_the_counter(served):
    """A web page elsewhere (or one reached by a name that points at 127.0.0.1) gets no
    session: its Origin, or its Host, is refused."""
    foreign = urllib.request.Request(
        served.url + "ws",
        headers={
            "Origin": "http://example.org",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    rebound = urllib.request.Request(served.url, headers={"Host": "counter.example.org"})
    for request in (foreign, rebound):
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
        else:
            raise AssertionError(f"{request.full_url} {request.headers} was served")
    # The same PC by its other name is sent to the one address the page works from.
    port = int(served.url.rstrip("/").rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/?fontsize=18", headers={"Host": f"localhost:{port}"})
    answer = conn.getresponse()
    assert (answer.status, answer.getheader("Location")) == (302, f"{served.url}?fontsize=18")
    conn.close()


def test_an_export_reaches_the_browser_as_its_workbook(served, counter, tmp_path):
    with chromium(tmp_path / "profile") as browser:
        page, screen = browser.open(served.url)
        wait_for_text(page, screen, "Mã PIN")
        keys_to(page)
        page.keyboard.type("lan")
        page.keyboard.press("Enter")
        page.keyboard.type(PIN)
        page.keyboard.press("Enter")
        wait_for_text(page, screen, "Quầy Q1 · lan")
        page.keyboard.press("F6")
        wait_for_text(page, screen, "Xuất CSV, XLSX")
        page.keyboard.press("F9")
        wait_for_text(page, screen, "Đã tải bảng tính")
        name, book = browser.wait_for_download(page)
        assert name.startswith("bao-cao-") and name.endswith(".xlsx")
        sheets = openpyxl.load_workbook(io.BytesIO(book)).sheetnames
        assert len(sheets) >= 3  # the report's tables, the digitisation rates, the book
        assert local_only(browser.requests, served.url) == []


def test_a_file_whose_tab_the_browser_blocks_is_offered_as_a_link(served, tmp_path):
    """A slip delivered long after the key that asked for it (a slow PC) opens a tab the
    clerk's browser may block as a pop-up: the page then shows a link to it, focused, for
    Enter. Simulated: headless Chromium here opens every tab, so the page is given a
    ``window.open`` that answers as a blocked pop-up does (null), before its scripts run."""
    with chromium(tmp_path / "profile") as browser:
        browser.context.add_init_script("window.open = () => null")
        page, screen = browser.open(served.url)
        wait_for_text(page, screen, "Mã PIN")
        link = page.locator("#file-ready a")
        assert not link.is_visible()
        # What textual.js does when a file is delivered.
        page.evaluate("window.open(location.origin + '/download/abc', '_blank')")
        link.wait_for(state="visible", timeout=30_000)
        assert (link.get_attribute("href") or "").endswith("/download/abc")
        assert page.evaluate("document.activeElement.textContent") == "Mở tệp"


def test_a_counter_already_open_in_a_terminal_is_said_in_the_tab(served, counter, tmp_path):
    """The app open in a terminal holds the cache: the tab's app says which process has
    it (the process number: the words are the store lock's own), and nothing crashes."""
    holder = make_services(load_settings(counter.config), start_sync=False)
    try:
        with chromium(tmp_path / "profile") as browser:
            page, screen = browser.open(served.url)
            wait_for_text(page, screen, f"{os.getpid()}", "counter-tui")
    finally:
        holder.close()
    assert "Traceback" not in served.output()


def test_serve_opens_the_page_in_the_pcs_browser(counter, tmp_path):
    """Without --no-browser the PC's browser is sent to the page. The browser here is a
    stand-in named by $BROWSER (Python's webbrowser honours it) that writes down the URL
    it was given."""
    opened = tmp_path / "opened.txt"
    stand_in = tmp_path / "browser.py"
    stand_in.write_text(
        f"import sys, pathlib; pathlib.Path({str(opened)!r}).write_text(sys.argv[1])",
        encoding="utf-8",
    )
    env = {"BROWSER": f"{sys.executable} {stand_in} %s"}
    with serving(counter, tmp_path / "serve.log", browser=True, env=env) as served:
        deadline = time.monotonic() + 60
        while not (opened.exists() and opened.read_text(encoding="utf-8")):
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.2)
        assert opened.read_text(encoding="utf-8") == served.url
        assert served.url.startswith("http://127.0.0.1:")
