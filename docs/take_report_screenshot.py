"""Retake the README's screenshot of a branch's term report from a running demo (`make run`).

    .venv/bin/python docs/take_report_screenshot.py [http://127.0.0.1:5000]

Headless Chromium at laptop width, as the demo's committee member, in Chinese
(install a CJK font first, e.g. Debian's fonts-noto-cjk). The page shows the
report of the demo's first branch for the current term, with its .docx and
.xlsx downloads.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"


def main(base_url: str) -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        context = browser.new_context(
            base_url=base_url,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        page = context.new_page()
        page.goto("/login")
        form = page.locator("form:has(input[name=student_no])")
        form.locator("input[name=student_no]").fill("202311001")
        form.locator("input[name=password]").fill("demo-2026")
        form.locator("[type=submit]").click()
        page.wait_for_load_state("networkidle")
        page.goto("/branch/")
        page.get_by_role("link", name="学期工作报告").click()
        page.wait_for_load_state("networkidle")
        # The page's head: the choice of term, the downloads, the summary and first tables.
        page.screenshot(path=OUT / "term-report.png", full_page=False)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
