"""Small helpers shared by the web forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import InvalidInput


def show_errors(form: FlaskForm, error: InvalidInput) -> None:
    """Put a domain refusal next to the fields it names (or the form's top)."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
