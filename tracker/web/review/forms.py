from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from tracker.ledger.points import MAX_REASON_LENGTH


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(_l("Please give a reason.")), Length(max=MAX_REASON_LENGTH)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Reject"))
