from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from tracker.ledger.points import MAX_REASON_LENGTH
from tracker.limits import MAX_ID, record_id
from tracker.web.forms import TenthsField


class AdjustForm(FlaskForm):
    member_id = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, MAX_ID)]
    )
    points = TenthsField(
        _l("Points (negative to deduct)"),
        validators=[InputRequired(_l("Please give the points."))],
        render_kw={"inputmode": "decimal", "step": "0.1"},
    )
    category_id = SelectField(_l("Category"), coerce=record_id)
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(_l("Please give a reason.")), Length(max=MAX_REASON_LENGTH)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Book adjustment"))


class RegistrationForm(FlaskForm):
    decision = HiddenField()
    submit = SubmitField(_l("Confirm"))


class GroupForm(FlaskForm):
    name = StringField(
        _l("Name of the group"),
        validators=[InputRequired(_l("Please give a name.")), Length(max=60)],
    )
    submit = SubmitField(_l("Create group"))


class PlaceForm(FlaskForm):
    member_id = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, MAX_ID)]
    )
    group_id = SelectField(_l("Party group"), coerce=int)
    submit = SubmitField(_l("Save"))


class PostForm(FlaskForm):
    member_id = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, MAX_ID)]
    )
    # The domain judges the length, so a long post gets its message, not a 400.
    committee_post = StringField(_l("Committee post"))
    submit = SubmitField(_l("Save"))
