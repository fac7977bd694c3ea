"""Settings an administrator may change while the app runs.

``setting(key)`` is the one way to read them: an override stored by an admin
wins, otherwise app.config (defaults, instance file, environment) applies.
Nothing is cached, so a change is seen by the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit, readcache
from tracker.errors import InvalidInput
from tracker.extensions import db
from tracker.models import SettingOverride, User
from tracker.setting_table import SETTINGS
from tracker.setting_values import BOARD_MODES


@dataclass(frozen=True)
class RuntimeSetting:
    key: str
    label: Any
    kind: str  # "bool", "int" or "choice"
    minimum: int = 0
    maximum: int = 0
    choices: tuple[str, ...] = ()


RUNTIME_SETTINGS: dict[str, RuntimeSetting] = {
    s.key: s
    for s in (
        RuntimeSetting(
            "TRACKER_SHOW_FULL_NAMES", _l("Members see full names on leaderboards"), "bool"
        ),
        RuntimeSetting(
            "TRACKER_BOARD_BRANCH",
            _l("What members see of a branch leaderboard"),
            "choice",
            choices=BOARD_MODES,
        ),
        RuntimeSetting(
            "TRACKER_BOARD_COLLEGE",
            _l("What members see of a college leaderboard"),
            "choice",
            choices=BOARD_MODES,
        ),
        RuntimeSetting(
            "TRACKER_BOARD_SCHOOL",
            _l("What members see of the school leaderboard"),
            "choice",
            choices=BOARD_MODES,
        ),
        RuntimeSetting(
            "TRACKER_BOARD_NEIGHBOURS",
            _l("Members shown above and below one's own rank (neighbours only)"),
            "int",
            1,
            50,
        ),
        RuntimeSetting(
            "TRACKER_BACKDATE_DAYS", _l("Days back an activity may be logged"), "int", 0, 365
        ),
        RuntimeSetting(
            "TRACKER_INACTIVE_DAYS",
            _l("Days without activity before a member is inactive"),
            "int",
            1,
            365,
        ),
        RuntimeSetting(
            "TRACKER_COMPLIANCE_REMIND_DAYS",
            _l("Days before a required meeting falls overdue that the committee is reminded"),
            "int",
            1,
            60,
        ),
    )
}
_PARSERS = {s.key: s.parse for s in SETTINGS}


def setting(key: str, session: Session | None = None) -> Any:
    """The current value of a setting: an admin's override, else app.config."""
    if key in RUNTIME_SETTINGS:
        # Every override in one read per request: a page asks for several settings.
        override = readcache.setting_overrides(session or db.session).get(key)
        if override is not None:
            return _PARSERS[key](override)
    return current_app.config[key]


def override_columns() -> list:
    """The stored override of every runtime setting, as columns to read with another
    statement (the signed-in user, an API token): a page then reads no setting alone."""
    return [
        select(SettingOverride.value)
        .where(SettingOverride.key == key)
        .scalar_subquery()
        .label(f"setting_{key}")
        for key in RUNTIME_SETTINGS
    ]


def remember_overrides(session: Session, row) -> None:
    """Keep the overrides read by ``override_columns`` for the rest of the request."""
    found = row._mapping
    readcache.remember(
        session,
        readcache.SETTINGS,
        {key: found[f"setting_{key}"] for key in RUNTIME_SETTINGS if found[f"setting_{key}"]},
    )


def _checked(spec: RuntimeSetting, value: Any) -> str:
    if spec.kind == "bool":
        return "true" if value else "false"
    if spec.kind == "choice":
        if value not in spec.choices:
            raise InvalidInput({spec.key: _l("Please choose one of the options.")})
        return str(value)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not spec.minimum <= number <= spec.maximum:
        raise InvalidInput(
            {spec.key: _l("A whole number from %(a)d to %(b)d.", a=spec.minimum, b=spec.maximum)}
        )
    return str(number)


def change_setting(session: Session, key: str, value: Any, actor: User) -> bool:
    """Store an override; returns whether the value changed. Audited."""
    spec = RUNTIME_SETTINGS.get(key)
    if spec is None:
        raise InvalidInput({"key": _l("This setting cannot be changed here.")})
    text = _checked(spec, value)
    before = setting(key, session)
    override = session.get(SettingOverride, key)
    if override is None:
        override = SettingOverride(key=key, value=text, updated_by_id=actor.id)
        session.add(override)
    else:
        override.value = text
        override.updated_by_id = actor.id
    after = _PARSERS[key](text)
    if after == before:
        return False
    audit.record(session, "setting.changed", actor=actor, key=key, before=before, after=after)
    return True


def reset_setting(session: Session, key: str, actor: User) -> None:
    """Forget the override, so app.config applies again. Audited."""
    override = session.get(SettingOverride, key)
    if override is None:
        return
    before = setting(key, session)
    session.delete(override)
    audit.record(
        session,
        "setting.reset",
        actor=actor,
        key=key,
        before=before,
        after=current_app.config[key],
    )
