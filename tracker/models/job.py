"""Background jobs: who asked for what, how far it got, and what it left."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    """One piece of background work. The work and the DONE state commit in one
    transaction, so a job found DONE is never run again, and one that was not
    finished left nothing behind to be counted twice."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_heartbeat", "state", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: started by the schedule or a command, not by a person.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A JobState's value (a StrEnum compares equal to its text).
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    # Steps done of steps to do; the live count is in Redis while a worker runs the job.
    done_steps: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # What the job left: a count for the page, and a file in the store for its requester.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result_file: Mapped[str | None] = mapped_column(String(128))
    result_filename: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its worker claimed it; the live beat is in Redis (tracker.jobs.runner.recover).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
