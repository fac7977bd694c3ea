"""Small helpers shared by the web forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField

from tracker.errors import InvalidInput


def show_errors(form: FlaskForm, error: InvalidInput) -> None:
    """Put a domain refusal next to the fields it names (or the form's top)."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


class ConfirmForm(FlaskForm):
    """A button that changes state: CSRF and nothing else."""

    submit = SubmitField(_l("Approve"))
