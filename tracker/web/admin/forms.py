from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from tracker.i18n import BOARD_MODE_LABELS, ROLE_LABELS, STAGE_LABELS, UNIT_LABELS
from tracker.limits import record_id
from tracker.models import Role, Stage, Unit
from tracker.web.forms import DayField, TenthsField


def _role_choices():
    return [(r.value, ROLE_LABELS[r]) for r in Role]


def _stage_choices():
    return [("", "—")] + [(s.value, STAGE_LABELS[s]) for s in Stage]


class NameForm(FlaskForm):
    name = StringField(_lp("thing", "Name"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Save"))


class BranchForm(FlaskForm):
    college_id = SelectField(_l("College"), coerce=record_id, validate_choice=False)
    name = StringField(_lp("thing", "Name"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Add branch"))


class UserForm(FlaskForm):
    student_no = StringField(_l("Student number"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254), Email()])
    role = SelectField(_l("Role"), choices=_role_choices)
    stage = SelectField(_l("Member stage"), choices=_stage_choices, default="")
    branch_id = SelectField(_l("Branch"), coerce=record_id, validate_choice=False)
    submit = SubmitField(_l("Create account"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254), Email()])
    stage = SelectField(_l("Member stage"), choices=_stage_choices, default="")
    stage_since = DayField(_l("In this stage since"), validators=[Optional()])
    committee_post = StringField(
        _l("Committee post (e.g. 书记, 组织委员)"), validators=[Optional(), Length(max=30)]
    )
    submit = SubmitField(_l("Save"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices)
    branch_id = SelectField(
        _l("Branch (for an account without one)"), coerce=record_id, validate_choice=False
    )
    submit = SubmitField(_l("Change role"))


class MoveForm(FlaskForm):
    branch_id = SelectField(_l("New branch"), coerce=record_id, validate_choice=False)
    from_day = DayField(_l("From"), validators=[InputRequired()])
    submit = SubmitField(_l("Move"))


class ScopeForm(FlaskForm):
    target = SelectField(_l("Branch or college"), validate_choice=False)
    submit = SubmitField(_l("Add"))


class CategoryForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=32)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=64)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=64)])
    unit = SelectField(_l("Measured in"), choices=lambda: [(u.value, UNIT_LABELS[u]) for u in Unit])
    needs_start_time = BooleanField(_l("Asks for a start time"))
    needs_location = BooleanField(_l("Asks for a place"))
    needs_reflection = BooleanField(_l("Asks for a reflection"))


class RuleForm(FlaskForm):
    effective_from = DayField(_l("Applies from"), validators=[InputRequired()])
    per_quantity = TenthsField(_l("For every"), validators=[InputRequired(), NumberRange(min=0.1)])
    points_per_unit = TenthsField(
        _l("Points"), validators=[InputRequired(), NumberRange(min=0, max=1000)]
    )
    min_quantity = TenthsField(
        _l("Smallest quantity"), validators=[InputRequired(), NumberRange(min=0.1)]
    )
    max_quantity = TenthsField(
        _l("Largest quantity"), validators=[InputRequired(), NumberRange(min=0.1)]
    )
    daily_cap = TenthsField(
        _l("Daily cap"), validators=[Optional(), NumberRange(min=0.1, max=1000)]
    )
    weekly_cap = TenthsField(
        _l("Weekly cap"), validators=[Optional(), NumberRange(min=0.1, max=1000)]
    )
    evidence_required = BooleanField(_l("Evidence required"))
    auto_approve = BooleanField(_l("Approved at once, without review"))
    submit = SubmitField(_l("Save rule"))


class NewCategoryForm(CategoryForm, RuleForm):
    submit = SubmitField(_l("Add category"))


def _board_mode_field(label) -> SelectField:
    return SelectField(
        label, choices=[SelectChoice(mode, text) for mode, text in BOARD_MODE_LABELS.items()]
    )


class SettingsForm(FlaskForm):
    TRACKER_SHOW_FULL_NAMES = BooleanField(_l("Members see full names on leaderboards"))
    TRACKER_BOARD_BRANCH = _board_mode_field(_l("What members see of a branch leaderboard"))
    TRACKER_BOARD_COLLEGE = _board_mode_field(_l("What members see of a college leaderboard"))
    TRACKER_BOARD_SCHOOL = _board_mode_field(_l("What members see of the school leaderboard"))
    TRACKER_BOARD_NEIGHBOURS = IntegerField(
        _l("Members shown above and below one's own rank (neighbours only)"),
        # Not required: a form posted without it (an older page) keeps the value in force.
        validators=[NumberRange(min=1, max=50)],
    )
    TRACKER_BACKDATE_DAYS = IntegerField(
        _l("Days back an activity may be logged"),
        validators=[InputRequired(), NumberRange(min=0, max=365)],
    )
    TRACKER_INACTIVE_DAYS = IntegerField(
        _l("Days without activity before a member is inactive"),
        validators=[InputRequired(), NumberRange(min=1, max=365)],
    )
    TRACKER_COMPLIANCE_REMIND_DAYS = IntegerField(
        _l("Days before a required meeting falls overdue that the committee is reminded"),
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )
    submit = SubmitField(_l("Save"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired()])
    submit = SubmitField(_l("Preview"))


class TermForm(FlaskForm):
    # Field names match the keys of the refusals in ``terms``, so each shows by its field.
    name = StringField(_l("Term name"), validators=[DataRequired(), Length(max=64)])
    first_day = DayField(_l("First day"), validators=[InputRequired()])
    last_day = DayField(_l("Last day"), validators=[InputRequired()])
    submit = SubmitField(_l("Save"))


class PasswordStepForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password", "autofocus": True},
    )
    submit = SubmitField(_l("Continue"))


class TermAdjustForm(FlaskForm):
    """An administrator's adjustment on a day of the term (the one booking a closed term takes)."""

    student_no = StringField(
        _l("Student number"), validators=[InputRequired(_l("Please give the student number."))]
    )
    day = DayField(_l("Day"), validators=[InputRequired(_l("Please give the date."))])
    points = TenthsField(
        _l("Points (negative to deduct)"),
        validators=[InputRequired(_l("Please give the points."))],
        render_kw={"inputmode": "decimal", "step": "0.1"},
    )
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)], render_kw={"rows": 2})
    submit = SubmitField(_l("Book adjustment"))


class MilestoneForm(FlaskForm):
    # Field names match the keys of the refusals in ``ledger.milestones``.
    name = StringField(_l("Milestone name"), validators=[DataRequired(), Length(max=64)])
    threshold = TenthsField(_l("Points to reach"), validators=[InputRequired()])
    category_id = SelectField(_l("Counting"), coerce=int)
    period_kind = SelectField(_l("Within"))
    submit = SubmitField(_l("Add milestone"))
