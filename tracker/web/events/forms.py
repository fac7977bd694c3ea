from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from tracker.events.attendance import MAX_REASON
from tracker.events.planning import MAX_PLACE, MAX_TITLE
from tracker.limits import record_id
from tracker.web.forms import DayField, TenthsField


class EventForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[InputRequired(_l("Please give a title.")), Length(max=MAX_TITLE)]
    )
    category_id = SelectField(_l("Category"), coerce=record_id)
    kind = SelectField(
        _l("Kind of meeting"),
        default="other",
        description=_l("Which of 三会一课 this counts as; other activities count toward none."),
    )
    group_id = SelectField(
        _l("Party group"),
        coerce=int,
        default=0,
        description=_l("For a party group meeting: the group that meets."),
    )
    place = StringField(_l("Place"), validators=[Length(max=MAX_PLACE)])
    day = DayField(_l("Date"), validators=[InputRequired(_l("Please give the date."))])
    start = TimeField(_l("Starts at"), validators=[InputRequired(_l("Please give the start."))])
    end = TimeField(_l("Ends at"), validators=[InputRequired(_l("Please give the end."))])
    opens_before = IntegerField(
        _l("Check-in opens (minutes before the start)"),
        default=30,
        validators=[InputRequired(), NumberRange(0, 24 * 60)],
    )
    closes_after = IntegerField(
        _l("Check-in closes (minutes after the start)"),
        default=30,
        validators=[InputRequired(), NumberRange(1, 24 * 60)],
    )
    points = TenthsField(
        _l("Points per attendance"),
        validators=[Optional()],
        description=_l("Leave empty for the category's rule."),
        render_kw={"inputmode": "decimal", "step": "0.1"},
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(1, 10_000)],
        description=_l("Leave empty for no limit."),
    )
    mandatory = BooleanField(_l("Members must attend"))
    rotating = BooleanField(_l("Rotating code: changes every minute"))
    scan_only = BooleanField(
        _l("Scan only: the committee scans each member's personal code"),
        description=_l("For meetings whose attendance must be beyond doubt."),
    )
    branch_ids = SelectMultipleField(_l("Branches"), coerce=record_id)
    submit = SubmitField(_l("Create event"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Check-in code"),
        validators=[InputRequired(_l("Please give the code.")), Length(max=16)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"},
    )
    submit = SubmitField(_l("Check in"))


class LeaveForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for leave"),
        validators=[InputRequired(_l("Please give a reason.")), Length(max=MAX_REASON)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Ask for leave"))


class ButtonForm(FlaskForm):
    """A button that changes state: CSRF and nothing else."""

    submit = SubmitField(_l("Confirm"))


class VoidForm(FlaskForm):
    # The reason is judged by ``voiding``; the form checks the CSRF token.
    reason = TextAreaField(
        _l("Why is this check-in void?"),
        render_kw={"rows": 2, "required": True, "maxlength": MAX_REASON},
    )
    submit = SubmitField(_l("Void this check-in"))


class ScanForm(FlaskForm):
    # The code is judged by ``scanning``; the form checks the CSRF token.
    code = StringField(
        _l("The member's personal code"),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"},
    )
    submit = SubmitField(_l("Check in"))


class ScanOnlyForm(FlaskForm):
    scan_only = BooleanField()


class ConfirmAttendanceForm(FlaskForm):
    """Confirm (approve) or reject an attendance that waits for a second person."""

    member_id = IntegerField(validators=[InputRequired()])
    decision = StringField(validators=[InputRequired(), AnyOf(("approve", "reject"))])
    reason = StringField(_l("Reason for rejecting"), validators=[Optional(), Length(max=500)])
