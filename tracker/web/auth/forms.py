from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from tracker.i18n import LOCALES
from tracker.people.passwords import MIN_LENGTH


class LoginForm(FlaskForm):
    student_no = StringField(
        _l("Student number"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class _NewPassword:
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=128)],
        render_kw={"autocomplete": "new-password"},
        description=_l(
            "At least %(n)d characters; not a common password, nor your student number or name.",
            n=MIN_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(FlaskForm, _NewPassword):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password = _NewPassword.password
    confirm = _NewPassword.confirm
    submit = SubmitField(_l("Change password"))


class ActivateForm(FlaskForm, _NewPassword):
    password = _NewPassword.password
    confirm = _NewPassword.confirm
    submit = SubmitField(_l("Activate my account"))


class RegisterForm(FlaskForm):
    invite_code = StringField(
        _l("Branch invitation code"),
        validators=[DataRequired(), Length(max=16)],
        description=_l("Ask your branch committee for it."),
    )
    student_no = StringField(
        _l("Student number"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "username"},
    )
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254)])
    password = _NewPassword.password
    confirm = _NewPassword.confirm
    submit = SubmitField(_l("Register"))


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language"), choices=[SelectChoice(code, label) for code, label in LOCALES.items()]
    )
    submit = SubmitField(_l("Save"))


class ForgotPasswordForm(FlaskForm):
    student_no = StringField(
        _l("Student number"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    submit = SubmitField(_l("Mail me a link"))


class ResetPasswordForm(FlaskForm, _NewPassword):
    password = _NewPassword.password
    confirm = _NewPassword.confirm
    submit = SubmitField(_l("Set the new password"))
