"""A background job's page: how far it got, then its file or its result."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracker import spreadsheets, storage
from tracker.extensions import db
from tracker.jobs import runner
from tracker.models import Job, JobState
from tracker.people import access

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

KIND_LABELS = {
    "export-activities": _l("Activity records export"),
    "import-points": _l("Points import"),
    "rebuild-totals": _l("Rebuilding the stored totals"),
    "reminders": _l("Reminders"),
}
STATE_LABELS = {
    JobState.QUEUED: _l("Waiting for the worker"),
    JobState.RUNNING: _l("Running"),
    JobState.DONE: _l("Done"),
    JobState.FAILED: _l("Failed"),
}


def _own_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not access.may_read_job(current_user, job):
        abort(404)
    return job


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    job = _own_job(job_id)
    done, total = runner.live_progress(current_app, job)
    percent = 100 if job.state == JobState.DONE else (done * 100 // total if total else 0)
    return render_template(
        "jobs/show.html",
        job=job,
        done=done,
        total=total,
        percent=percent,
        kind=KIND_LABELS.get(job.kind, job.kind),
        state=STATE_LABELS[JobState(job.state)],
        finished=job.state in (JobState.DONE, JobState.FAILED),
    )


@bp.get("/<int:job_id>/file")
@login_required
def download(job_id: int):
    job = _own_job(job_id)
    if job.state != JobState.DONE or not job.result_file:
        abort(404)
    store = storage.of(current_app)
    fmt = job.params.get("fmt", "")
    try:
        stream = store.open(job.result_file)
    except FileNotFoundError:
        abort(404)
    return send_file(
        stream,
        mimetype=spreadsheets.FORMATS.get(fmt, "application/octet-stream"),
        as_attachment=True,
        download_name=job.result_filename or job.result_file,
        max_age=0,
    )
