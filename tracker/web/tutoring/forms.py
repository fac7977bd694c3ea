from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from tracker.activities.tutoring import MAX_REASON


class MenteeForm(FlaskForm):
    student_no = StringField(
        _l("Mentee's student number"),
        validators=[InputRequired(_l("Please give the student number.")), Length(max=32)],
    )
    submit = SubmitField(_l("Add mentee"))


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with it"),
        validators=[InputRequired(_l("Please give a reason.")), Length(max=MAX_REASON)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Dispute"))


class ButtonForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
