"""Retake the README's screenshots from a running demo (`make run`).

    .venv/bin/python docs/take_screenshots.py [http://127.0.0.1:5000]

Headless Chromium, in Chinese (install a CJK font first, e.g. Debian's
fonts-noto-cjk, or the text shows as boxes): a member's home and leaderboard
on a phone (390 px), an advisor's 三会一课 grid and a committee member's term
report at laptop width.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
DEMO_PASSWORD = "demo-2026"  # noqa: S105 - the demo's published password
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"viewport": {"width": 1280, "height": 900}}


def _signed_in(browser, base_url: str, login: str, screen: dict) -> Page:
    context = browser.new_context(
        base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai", **screen
    )
    page = context.new_page()
    page.goto("/login")
    form = page.locator("form:has(input[name=student_no])")
    form.locator("input[name=student_no]").fill(login)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("[type=submit]").click()
    page.wait_for_load_state("networkidle")
    return page


def _shoot(page: Page, path: str, name: str, full_page: bool = False) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / name, full_page=full_page)


def main(base_url: str) -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        member = _signed_in(browser, base_url, "202311003", PHONE)
        _shoot(member, "/", "phone-home.png")
        _shoot(member, "/leaderboard/", "phone-leaderboard.png")
        advisor = _signed_in(browser, base_url, "advisor", LAPTOP)
        _shoot(advisor, "/compliance/?period=quarter", "compliance-grid.png", full_page=True)
        committee = _signed_in(browser, base_url, "202311001", LAPTOP)
        committee.goto("/branch/")
        committee.get_by_role("link", name="学期工作报告").click()
        committee.wait_for_load_state("networkidle")
        # The page's head: the choice of term, the downloads, the summary and first tables.
        committee.screenshot(path=OUT / "term-report.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
