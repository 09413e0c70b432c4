"""A child process for the counter killed mid-upload: it opens the counter's services as the
app does (``launch.make_services``), starts the sync engine and the file uploader, and runs
until the parent SIGKILLs it in the middle of sending a scan."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from counter_tui.launch import make_services
from tests.ui.test_scans_upload import counter_settings


def main() -> None:
    data, url, token = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    services = make_services(counter_settings(data, url, token), data=data / "cache")
    services.start_background()
    print("STARTED", flush=True)
    while True:  # until killed
        time.sleep(1)


if __name__ == "__main__":
    main()
