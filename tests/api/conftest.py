"""Fixtures for the API tests: a branch, a member, a committee member, token clients."""

from __future__ import annotations

import flask_babel
import pytest

from tracker.clock import utcnow
from tracker.people import tokens

from ..conftest import TODAY


@pytest.fixture
def branch(make):
    return make.branch()


@pytest.fixture
def member(make, branch):
    return make.member(branch, name="张三丰")


@pytest.fixture
def committee(make, branch):
    return make.committee(branch, name="李四")


@pytest.fixture
def api(app, db):
    """``api(user)`` returns a function ``call(method, path, **kwargs)`` with the user's token."""

    def _for(user, **headers):
        issued = tokens.issue_token(db.session, user, name="test", now=utcnow(), lifetime_days=30)
        db.session.commit()
        client = app.test_client()
        auth = {"Authorization": f"Bearer {issued.token}", **headers}

        def call(method: str, path: str, **kwargs):
            # The fixture's app context (and its cached locale) outlives requests;
            # a real server starts each request afresh.
            flask_babel.refresh()
            kwargs.setdefault("headers", {}).update(auth)
            return client.open("/api/v1" + path, method=method, **kwargs)

        return call

    return _for


STUDY = {
    "category": "study",
    "occurred_on": TODAY.isoformat(),
    "quantity": 60,
    "title": "学习党章",
    "start_time": "09:00",
}


def png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()
