"""Small helpers and fields shared by the web forms."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SubmitField
from wtforms.validators import StopValidation

from tracker.errors import InvalidInput
from tracker.limits import FIRST_DAY, LAST_DAY
from tracker.models.types import TENTH


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


class _ReadOrRefuse:
    """A blank is no value (for Optional or InputRequired to judge); a value that cannot be
    read is one error, and the other validators have nothing to check."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)
        self.check(self.data)

    def check(self, value) -> None:
        """Raises ValueError with the message for a value read but out of bounds."""

    def pre_validate(self, form) -> None:
        if self.process_errors:
            raise StopValidation()


class TenthsField(_ReadOrRefuse, DecimalField):
    """A decimal a person types: finite, at most one decimal place, at most LIMIT either way.

    WTForms' DecimalField takes NaN, Infinity and 1e999999999; comparing,
    rounding or storing them fails later, far from the field.
    """

    LIMIT = Decimal(100_000)

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, places=1, **kwargs)

    def check(self, value: Decimal | None) -> None:
        # copy_abs(), not abs(): abs() rounds in the context, and 1e999999999 overflows there.
        if value is not None and (not value.is_finite() or value.copy_abs() > self.LIMIT):
            self.data = None
            raise ValueError(_l("A number from -%(n)d to %(n)d, please.", n=int(self.LIMIT)))
        if value is not None and value != value.quantize(TENTH):
            self.data = None
            raise ValueError(_l("At most one decimal place."))


class DayField(_ReadOrRefuse, DateField):
    """A day from bounds.FIRST_DAY to LAST_DAY: at the calendar's ends, a day more overflows."""

    def check(self, value) -> None:
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            self.data = None
            raise ValueError(
                _l(
                    "A day from %(first)s to %(last)s, please.",
                    first=FIRST_DAY.isoformat(),
                    last=LAST_DAY.isoformat(),
                )
            )
