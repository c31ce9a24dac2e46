"""Make docs/digest.png: run `vedette demo` and photograph its HTML digest with headless
Chromium (Debian's `chromium` package: apt-get install chromium).

Run from the repository root: python docs/make_screenshot.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run([sys.executable, "-m", "vedette", "demo", "--output", str(folder / "demo")],
                       check=True)
        [page] = sorted((folder / "demo" / "outbox").glob("demo-*.html"))
        subprocess.run([
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={folder / 'profile'}",
            "--window-size=760,1240", f"--screenshot={DOCS / 'digest.png'}", page.as_uri(),
        ], check=True, capture_output=True)
    print(f"wrote {DOCS / 'digest.png'}")


if __name__ == "__main__":
    main()
