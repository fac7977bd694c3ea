"""Language and time zone choice, and the formatting helpers templates use."""

from __future__ import annotations

import os
from decimal import Decimal

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import (
    format_date,
    format_datetime,
    get_locale,
    get_translations,
    gettext,
    ngettext,
)
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_login import current_user

from tracker.models import (
    AccountStatus,
    ActivityStatus,
    Category,
    EntryKind,
    MenteeResponse,
    Role,
    Stage,
    Unit,
)

LOCALES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    if not has_request_context():
        return terminal_locale()
    # A script names its language per request; that wins over the account setting.
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        return _from_accept_language()
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if session.get("locale") in LOCALES:
        return session["locale"]
    return _from_accept_language()


def terminal_locale() -> str:
    """The command line speaks the terminal's language: Chinese when it says zh, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


def _from_accept_language() -> str:
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best and best.startswith("en"):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TRACKER_TIMEZONE"]


STATUS_LABELS = {
    ActivityStatus.PENDING: _l("Pending"),
    ActivityStatus.APPROVED: _l("Approved"),
    ActivityStatus.REJECTED: _l("Rejected"),
    ActivityStatus.WITHDRAWN: _lp("activity status", "Withdrawn"),
    ActivityStatus.REVOKED: _lp("activity status", "Revoked"),
}
STATUS_BADGES = {
    ActivityStatus.PENDING: "warning",
    ActivityStatus.APPROVED: "success",
    ActivityStatus.REJECTED: "danger",
    ActivityStatus.WITHDRAWN: "secondary",
    ActivityStatus.REVOKED: "dark",
}
# The meeting kinds of tracker.events.kinds (三会一课 and the rest).
MEETING_KIND_LABELS = {
    "congress": _l("Branch general meeting (支部党员大会)"),
    "committee": _l("Branch committee meeting (支委会)"),
    "group": _l("Party group meeting (党小组会)"),
    "lecture": _l("Party lecture (党课)"),
    "theme_day": _l("Theme party day (主题党日)"),
    "life_meeting": _l("Organisational life meeting (组织生活会)"),
    "appraisal": _l("Democratic appraisal of members (民主评议党员)"),
    "other": _l("Other activity"),
}
MEETING_KIND_SHORT_LABELS = {
    "congress": _l("General meeting"),
    "committee": _l("Committee"),
    "group": _l("Party groups"),
    "lecture": _l("Party lecture"),
    "theme_day": _l("Theme day"),
    "life_meeting": _l("Life meeting"),
    "appraisal": _l("Appraisal"),
    "other": _l("Other activity"),
}


ROLE_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.COMMITTEE: _l("Committee"),
    Role.ADVISOR: _l("Advisor"),
    Role.ADMIN: _l("Administrator"),
}
ACCOUNT_STATUS_LABELS = {
    AccountStatus.PENDING: _l("Waiting for confirmation"),
    AccountStatus.ACTIVE: _l("Active"),
    AccountStatus.DEACTIVATED: _l("Deactivated"),
}
STAGE_LABELS = {
    Stage.ACTIVIST: _l("Activist"),
    Stage.DEVELOPMENT_TARGET: _l("Development target"),
    Stage.PROBATIONARY: _l("Probationary member"),
    Stage.FULL_MEMBER: _l("Full member"),
}
RESPONSE_LABELS = {
    MenteeResponse.PENDING: _l("not answered yet"),
    MenteeResponse.CONFIRMED: _l("confirmed"),
    MenteeResponse.DISPUTED: _l("disputed"),
}
# Why an event attendance waits for a second person (keys of ``queue.attendance_to_confirm``).
CONFIRM_REASONS = {
    "own": _l("own attendance (organiser or closer)"),
    "by_hand": _l("marked by hand"),
}
KIND_LABELS = {
    EntryKind.AWARD: _l("Award"),
    EntryKind.REVERSAL: _l("Reversal"),
    EntryKind.ADJUSTMENT: _l("Adjustment"),
    EntryKind.EXTERNAL: _l("Imported"),
}
UNIT_LABELS = {
    Unit.MINUTES: _l("minutes"),
    Unit.HOURS: _l("hours"),
    Unit.VISITS: _l("visits"),
    Unit.ATTENDANCES: _l("attendances"),
    Unit.POINTS: _l("points"),
    Unit.CREDITS: _l("credits"),
}
# What members see of a member leaderboard (``config.BOARD_MODES``).
BOARD_MODE_LABELS = {
    "full": _l("The whole board"),
    "upper_half": _l("The upper half only (nobody below the median by name)"),
    "neighbours": _l("Their own rank and the members just above and below"),
    "own": _l("Their own rank only"),
}

# The period a milestone counts in (``ledger.milestones.MILESTONE_PERIODS``).
MILESTONE_PERIOD_LABELS = {
    "all": _l("All time"),
    "year": _l("This academic year"),
    "term": _l("This term"),
}


def format_points(value: Decimal | int | None) -> str:
    """Points with one decimal only when it is not zero: 3, 2.5, -1."""
    value = Decimal(value or 0)
    return f"{value.normalize():f}" if value != value.to_integral() else f"{int(value)}"


def rank_label(rank: int | None) -> int | str:
    """A rank as pages and exports show it: the number, or "no points yet" for a
    member (or branch) with nothing in the period (``standings.shown_rank``)."""
    return rank if rank is not None else gettext("No points yet")


def current_locale_name() -> str:
    # Babel spells zh_CN as zh_Hans_CN; the app and its users say zh_CN.
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def category_name(category: Category) -> str:
    return category.name_for(current_locale_name())


def points_phrase(points: Decimal) -> str:
    """ "1 point", "2.5 points": whole numbers choose the plural form, fractions are plural."""
    count = int(points) if points == points.to_integral() else 2
    return ngettext("%(points)s point", "%(points)s points", count, points=format_points(points))


def rule_summary(rule, category: Category) -> str:
    """A sentence such as "1 point per 30 minutes, at most 6 a day"."""
    earned = points_phrase(rule.points_per_unit)
    qty = format_points(rule.per_quantity)
    one = rule.per_quantity == 1
    if category.unit == Unit.MINUTES:
        base = gettext("%(earned)s per %(qty)s minutes", earned=earned, qty=qty)
    elif category.unit == Unit.HOURS and one:
        base = gettext("%(earned)s an hour", earned=earned)
    elif category.unit == Unit.HOURS:
        base = gettext("%(earned)s per %(qty)s hours", earned=earned, qty=qty)
    elif category.unit == Unit.VISITS:
        base = gettext("%(earned)s a visit", earned=earned)
    else:
        base = gettext("%(earned)s an attendance", earned=earned)
    parts = [base]
    if rule.daily_cap is not None:
        parts.append(gettext("at most %(n)s a day", n=format_points(rule.daily_cap)))
    if rule.weekly_cap is not None:
        parts.append(gettext("at most %(n)s a week", n=format_points(rule.weekly_cap)))
    return gettext(", ").join(parts)


def _translations():
    """The request's translations, looked up once per language: Flask-Babel finds them
    anew for every string (about 20 µs), and a page of hundreds of rows translates
    hundreds of strings. Kept with the language they are for, so ``force_locale`` and
    ``refresh`` (a changed language) are honoured."""
    if not g:  # no application context: Flask-Babel answers untranslated
        return get_translations()
    state = getattr(g, "_flask_babel", None)
    locale = getattr(state, "babel_locale", None)
    kept = g.get("tracker_translations")
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    g.tracker_translations = (get_locale(), translations)
    return translations


def init_template_helpers(app: Flask) -> None:
    # Newstyle as Flask-Babel installs them: templates format %(name)s themselves.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        LOCALES=LOCALES,
        STATUS_LABELS=STATUS_LABELS,
        STATUS_BADGES=STATUS_BADGES,
        ROLE_LABELS=ROLE_LABELS,
        BOARD_MODE_LABELS=BOARD_MODE_LABELS,
        MILESTONE_PERIOD_LABELS=MILESTONE_PERIOD_LABELS,
        ACCOUNT_STATUS_LABELS=ACCOUNT_STATUS_LABELS,
        STAGE_LABELS=STAGE_LABELS,
        UNIT_LABELS=UNIT_LABELS,
        KIND_LABELS=KIND_LABELS,
        RESPONSE_LABELS=RESPONSE_LABELS,
        CONFIRM_REASONS=CONFIRM_REASONS,
        category_name=category_name,
        rule_summary=rule_summary,
        points_phrase=points_phrase,
        current_locale=current_locale_name,
    )
    app.jinja_env.filters.update(
        points=format_points, date=format_date, datetime=format_datetime, rank=rank_label
    )
