"""Settings an administrator changes while the app runs."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker import settings
from tracker.errors import InvalidInput
from tracker.extensions import db
from tracker.models import SettingOverride
from tracker.web.admin.forms import SettingsForm
from tracker.web.admin.sudo import password_step
from tracker.web.admin.views import bp
from tracker.web.forms import ConfirmForm, show_errors


@bp.route("/settings", methods=["GET", "POST"])
@password_step
def runtime_settings():
    keys = list(settings.RUNTIME_SETTINGS)
    form = SettingsForm(data={key: settings.setting(key) for key in keys})
    if form.validate_on_submit():
        try:
            changed = [
                key
                for key in keys
                if settings.change_setting(db.session, key, form[key].data, current_user)
            ]
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for(".runtime_settings"))
    overridden = set(db.session.scalars(select(SettingOverride.key)))
    return render_template(
        "admin/settings.html",
        form=form,
        overridden=overridden,
        configured={key: current_app.config[key] for key in keys},
        confirm_form=ConfirmForm(),
    ), 422 if form.errors else 200


@bp.post("/settings/<key>/reset")
@password_step
def reset_setting(key: str):
    if key not in settings.RUNTIME_SETTINGS:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    settings.reset_setting(db.session, key, current_user)
    db.session.commit()
    flash(_("The configured value applies again."), "success")
    return redirect(url_for(".runtime_settings"))
