"""Which function does each kind of job, and how a job reports its progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from tracker.models import Job

Handler = Callable[[Session, Job, "Progress"], None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does ``kind``: it takes the session, the job and its
    Progress, does the work (flushing, never committing) and sets ``job.result`` and
    ``job.result_file`` as it needs; the runner commits the work with the DONE state."""

    def register(function: Handler) -> Handler:
        _HANDLERS[kind] = function
        return function

    return register


def kinds() -> dict[str, Handler]:
    return dict(_HANDLERS)


class Progress:
    """Steps done of steps to do, told to Redis at most every half second (the page reads
    them there while the job's own transaction is still open), and the worker's beat."""

    INTERVAL = 0.5

    def __init__(self, job_id: int, redis: Any | None, beat_seconds: int, space: str = "tracker"):
        self.job_id = job_id
        self.space = space
        self.redis = redis
        self.beat_seconds = beat_seconds
        self.done = 0
        self.total = 0
        self._told = 0.0

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if self.redis is not None and (now - self._told >= self.INTERVAL or done == self.total):
            self._told = now
            key = progress_key(self.space, self.job_id)
            self.redis.hset(key, mapping={"done": self.done, "total": self.total})
            self.redis.expire(key, 24 * 3600)
            self.beat()

    def beat(self) -> None:
        if self.redis is not None:
            self.redis.set(beat_key(self.space, self.job_id), "1", ex=self.beat_seconds)


# Keys carry the queue's name: two installations may share one Redis.
def progress_key(space: str, job_id: int) -> str:
    return f"{space}:job:{job_id}:progress"


def beat_key(space: str, job_id: int) -> str:
    return f"{space}:job:{job_id}:beat"
