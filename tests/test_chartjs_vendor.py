"""Chart.js from where the campus can reach it: a CDN or mirror (with ``crossorigin``
only when an integrity hash is set), or the tracker's own copy put there by
``flask vendor-chartjs PATH``."""

from __future__ import annotations

import pytest

from tracker.setting_table import CHARTJS_URL

# The opening of Chart.js's UMD build, as the file downloaded from the registry starts.
UMD = (
    "/*!\n * Chart.js v4.5.1\n * https://www.chartjs.org\n * (c) 2025 Chart.js Contributors\n"
    " * Released under the MIT License\n */\n"
    '!function(t,e){"object"==typeof exports&&"undefined"!=typeof module?module.exports=e():'
    '"function"==typeof define&&define.amd?define(e):(t="undefined"!=typeof globalThis?'
    "globalThis:t||self).Chart=e()}(this,(function(){return function Chart(){}}));\n"
)


@pytest.fixture
def own_instance(app, tmp_path, monkeypatch):
    # The vendored copy lives in the instance folder: this test's own.
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


def test_crossorigin_only_with_an_integrity_hash(app, make, login):
    client = login(make.member())
    app.config["TRACKER_CHARTJS_URL"] = "https://mirror.example.edu.cn/chart.umd.min.js"
    app.config["TRACKER_CHARTJS_INTEGRITY"] = ""
    page = client.get("/").get_data(as_text=True)
    assert '<script src="https://mirror.example.edu.cn/chart.umd.min.js" defer>' in page
    assert "crossorigin" not in page and "integrity=" not in page
    app.config["TRACKER_CHARTJS_INTEGRITY"] = "sha384-abc"
    page = client.get("/").get_data(as_text=True)
    assert 'integrity="sha384-abc" crossorigin="anonymous"' in page


def test_vendor_chartjs_serves_the_campus_copy(app, make, login, own_instance, tmp_path):
    runner = app.test_cli_runner()
    download = tmp_path / "chart.umd.min.js"
    download.write_text(UMD)
    app.config["TRACKER_CHARTJS_URL"] = CHARTJS_URL
    client = login(make.member())
    # Before: the CDN, and the tracker's address sends the browser there.
    assert CHARTJS_URL in client.get("/").get_data(as_text=True)
    assert client.get("/vendor/chart.umd.min.js").headers["Location"] == CHARTJS_URL

    result = runner.invoke(args=["vendor-chartjs", str(download)])
    assert result.exit_code == 0, result.output
    assert "Chart.js 4.5.1" in result.output and "/vendor/chart.umd.min.js" in result.output
    assert (own_instance / "vendor" / "chart.umd.min.js").read_text() == UMD

    page = client.get("/").get_data(as_text=True)
    assert '<script src="/vendor/chart.umd.min.js" defer>' in page
    with client.get("/vendor/chart.umd.min.js") as served:
        assert served.status_code == 200 and served.get_data(as_text=True) == UMD
        assert served.mimetype == "text/javascript"

    # A URL the admin set wins; the command says what to set to use the copy.
    app.config["TRACKER_CHARTJS_URL"] = "https://mirror.example.edu.cn/chart.umd.min.js"
    assert "mirror.example.edu.cn" in client.get("/").get_data(as_text=True)
    result = runner.invoke(args=["vendor-chartjs", str(download)])
    assert "TRACKER_CHARTJS_URL=/vendor/chart.umd.min.js" in result.output


@pytest.mark.parametrize(
    "content",
    [
        "<!doctype html><title>404 Not Found</title>",
        # The ES-module build: a browser cannot load it as a classic script.
        "/*!\n * Chart.js v4.5.1\n */\nimport { r as requestAnimFrame } from './chunks/a.js';",
    ],
)
def test_vendor_chartjs_refuses_what_is_not_chartjs(app, own_instance, tmp_path, content):
    wrong = tmp_path / "download.js"
    wrong.write_text(content)
    result = app.test_cli_runner().invoke(args=["vendor-chartjs", str(wrong)])
    assert result.exit_code != 0 and "does not look like Chart.js" in result.output
    assert not (own_instance / "vendor").exists()
