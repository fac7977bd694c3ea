"""Domain errors that carry a message for the user, in their language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A refusal the user can act on. ``status`` is the HTTP status that fits."""

    status = 400

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """Input that breaks a rule; ``errors`` maps field names to messages."""

    status = 422

    def __init__(self, errors: dict[str, object]):
        first = next(iter(errors.values()))
        super().__init__(first, next(iter(errors)))
        self.errors = errors


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """The object changed under the user (already reviewed, edited meanwhile)."""

    status = 409


class NotFound(DomainError):
    """An id that does not exist or that the caller may not see: the same answer for both."""

    status = 404

    def __init__(self):
        super().__init__(_l("There is nothing here."))


class PreconditionRequired(DomainError):
    """A decision that must name the version of the object it was made on, and did not."""

    status = 428
