from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.limits import record_id
from tracker.web.forms import DayField, TenthsField

PERIOD_CHOICES = [
    SelectChoice("cumulative", _l("Totals up to the day (cumulative)")),
    SelectChoice("week", _l("The week of the day")),
    SelectChoice("month", _l("The month of the day")),
    SelectChoice("day", _l("The day alone")),
]


class UploadForm(FlaskForm):
    source = SelectField(_l("System of record"))
    period = SelectField(_l("What the numbers cover"), choices=PERIOD_CHOICES)
    day = DayField(_l("Day"), validators=[InputRequired()])
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired()])
    baseline = BooleanField(
        _l("First import: take these totals as the starting point and book nothing"),
        description=_l(
            "For a report of totals up to a day. Members bring the points of earlier years; "
            "the next report books only what they gained since."
        ),
    )
    value_column = StringField(
        _l("Column of the number (if not recognised)"), validators=[Optional(), Length(max=64)]
    )
    student_no_column = StringField(
        _l("Column of the student number (if not recognised)"),
        validators=[Optional(), Length(max=64)],
    )
    name_column = StringField(
        _l("Column of the name (if not recognised)"), validators=[Optional(), Length(max=64)]
    )
    submit = SubmitField(_l("Preview"))


class SourceForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=32)])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=64)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=64)])
    unit = SelectField(_l("Unit"))
    points_per_unit = TenthsField(_l("Points per unit"), default=1)
    matching_category_id = SelectField(_l("Members log the same in"), coerce=record_id)
    submit = SubmitField(_l("Add source"))


class SourceChangeForm(FlaskForm):
    """A source's names, rate and matching category; its key and unit stay."""

    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=64)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=64)])
    points_per_unit = TenthsField(_l("Points per unit"))
    matching_category_id = SelectField(_l("Members log the same in"), coerce=record_id)
    submit = SubmitField(_l("Save"))
