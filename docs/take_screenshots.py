"""Retake the README's phone screenshots from a running demo (`make run`).

    .venv/bin/python docs/take_screenshots.py [http://127.0.0.1:5000]

Headless Chromium at 390 px, as a member of the demo, in Chinese (install a
CJK font first, e.g. Debian's fonts-noto-cjk, or the text shows as boxes).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
PAGES = {"phone-home.png": "/", "phone-leaderboard.png": "/leaderboard/"}


def main(base_url: str) -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        context = browser.new_context(
            base_url=base_url,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        page = context.new_page()
        page.goto("/login")
        form = page.locator("form:has(input[name=student_no])")
        form.locator("input[name=student_no]").fill("202311003")
        form.locator("input[name=password]").fill("demo-2026")
        form.locator("[type=submit]").click()
        page.wait_for_url(f"{base_url}/")
        for name, path in PAGES.items():
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=OUT / name)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
