"""View decorators that admit the people ``access`` says may open a page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def allowed(question: Callable[..., bool]) -> Callable:
    """Sign-in required, then 403 unless ``question(current_user)`` (an ``access`` function)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not question(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access_question = question
        return wrapper

    return decorator
