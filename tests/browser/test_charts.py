"""The advisor dashboard draws its charts with the real Chart.js, and keeps its tables
when the script cannot load.

Chart.js comes from the npm registry, installed once into a git-ignored folder
beside this file and served by the live server itself (same origin, so the
CSP's 'self' admits it); its integrity hash is computed here from the file.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import send_file
from playwright.sync_api import expect

from tracker.clock import campus_today
from tracker.ledger import points
from tracker.models import AdvisorScope, Role

from ..conftest import missing
from .conftest import submit_login

pytestmark = pytest.mark.browser

NODE_ROOT = Path(__file__).resolve().parent / "node_modules_root"
CHARTJS = NODE_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
VENDOR_PATH = "/test-vendor/chart.umd.min.js"


@pytest.fixture(scope="session")
def chartjs_file() -> Path:
    if not CHARTJS.is_file():
        npm = shutil.which("npm")
        if npm is None:
            missing("npm not found: needed to install chart.js for the chart test")
        subprocess.run(  # noqa: S603 - fixed arguments
            [npm, "install", "--prefix", str(NODE_ROOT), "--no-audit", "--no-fund", "chart.js"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return CHARTJS


def sri_sha384(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


@pytest.fixture
def chartjs_served(app, chartjs_file):
    app.add_url_rule(VENDOR_PATH, "test_vendor_chartjs", lambda: send_file(chartjs_file))
    return chartjs_file


def advisor_with_data(db, make):
    college = make.college()
    branch = make.branch(college, name="甲支部")
    reviewer = make.committee(branch)
    member = make.member(branch)
    activity = make.activity(member, "volunteer", quantity=2, occurred_on=campus_today())
    points.approve_activity(db.session, activity, reviewer, datetime.now(UTC))
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=college.id))
    db.session.commit()
    return advisor


def test_advisor_dashboard_draws_its_charts(app, db, make, phone, live_server, chartjs_served):
    app.config["TRACKER_CHARTJS_URL"] = live_server.url + VENDOR_PATH
    app.config["TRACKER_CHARTJS_INTEGRITY"] = sri_sha384(chartjs_served)
    advisor = advisor_with_data(db, make)
    submit_login(phone, advisor.student_no)
    phone.wait_for_url(f"{live_server.url}/")
    canvas = phone.locator('canvas[data-chart="branches"]')
    expect(canvas).to_have_attribute("data-drawn", "true")
    assert phone.evaluate("typeof window.Chart") == "function"
    # Chart.js sized the canvas and painted something other than transparent pixels.
    painted = phone.evaluate(
        """() => {
          const c = document.querySelector('canvas[data-chart="branches"]');
          const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          return c.width > 0 && px.some((v, i) => i % 4 === 3 && v > 0);
        }"""
    )
    assert painted
    expect(phone.locator("#advisor-branches")).to_contain_text("甲支部")


def test_tables_remain_when_the_script_cannot_load(
    app, db, make, phone, live_server, chartjs_served
):
    app.config["TRACKER_CHARTJS_URL"] = live_server.url + VENDOR_PATH
    # A wrong hash: the browser refuses the script, as it would a tampered CDN copy.
    app.config["TRACKER_CHARTJS_INTEGRITY"] = "sha384-" + "A" * 64
    advisor = advisor_with_data(db, make)
    submit_login(phone, advisor.student_no)
    phone.wait_for_url(f"{live_server.url}/")
    expect(phone.locator("#advisor-branches")).to_contain_text("甲支部")
    expect(phone.locator("#top-members")).to_be_visible()
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("typeof window.Chart") == "undefined"
    expect(phone.locator('canvas[data-chart="branches"]')).to_be_hidden()
    assert phone.locator("canvas[data-drawn]").count() == 0
