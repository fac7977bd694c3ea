"""``flask vendor-chartjs PATH``: serve Chart.js from the tracker itself.

A campus without a reachable CDN or mirror downloads Chart.js once (the UMD
build, ``chart.umd.min.js``, from https://www.jsdelivr.com/package/npm/chart.js
or ``npm pack chart.js``) and hands the file to this command. It is copied into
the instance folder and, while ``TRACKER_CHARTJS_URL`` is left at its default,
the chart pages load it from the tracker (``/vendor/chart.umd.min.js``), so
charts draw with no internet.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from pathlib import Path

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.cli.failures import CommandFailed
from tracker.config import vendored_chartjs
from tracker.setting_table import CHARTJS_URL

# The UMD build opens with its licence banner and defines the global ``Chart``.
BANNER = re.compile(r"\A\s*/\*!?\s*\*?\s*Chart\.js v(\d+\.\d+\.\d+)")
DEFINES_CHART = re.compile(r"\.Chart\s*=")
MAX_BYTES = 5 * 1024 * 1024


def chartjs_version(text: str) -> str | None:
    """The version of a Chart.js UMD build, or None when ``text`` is not one
    (an HTML error page, the ES-module build a browser cannot load as a script)."""
    found = BANNER.match(text)
    if found is None or not DEFINES_CHART.search(text[:4096]):
        return None
    return found.group(1)


def sri_sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@click.command("vendor-chartjs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def vendor_chartjs(path: Path) -> None:
    """Copy a downloaded Chart.js (chart.umd.min.js) into the tracker, to serve it itself."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise CommandFailed(_("%(path)s is larger than Chart.js: is it the right file?", path=path))
    version = chartjs_version(data.decode("utf-8", errors="replace"))
    if version is None:
        raise CommandFailed(
            _(
                "%(path)s does not look like Chart.js's UMD build (dist/chart.umd.min.js, "
                "starting with its '/*! Chart.js v4...' banner).",
                path=path,
            )
        )
    target = vendored_chartjs(current_app.instance_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    with current_app.test_request_context():
        served = url_for("dashboards.chartjs")
    click.echo(_("Chart.js %(version)s copied to %(target)s.", version=version, target=target))
    current = current_app.config["TRACKER_CHARTJS_URL"]
    if current == CHARTJS_URL:
        click.echo(
            _(
                "The chart pages load it from the tracker (%(url)s); no setting is needed.",
                url=served,
            )
        )
    else:
        click.echo(
            _(
                "TRACKER_CHARTJS_URL is set to %(current)s: to use this copy, set "
                "TRACKER_CHARTJS_URL=%(url)s and TRACKER_CHARTJS_INTEGRITY= (empty), "
                "or remove both settings.",
                current=current,
                url=served,
            )
        )
    click.echo(
        _("Its integrity hash, should you serve it elsewhere: %(hash)s", hash=sri_sha384(data))
    )
