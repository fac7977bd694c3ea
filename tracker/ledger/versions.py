"""An activity's version, and the conditional update that moves its status.

A reviewer decides on what they saw: the version their page or API read
showed. Every change of an activity (an edit, a mentee's answer, a review)
adds one to its version, and every move of its status goes through
``transition``, which claims the row only while it is still in the state and
the version decided on. The ledger books nothing for a refused claim.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker.errors import Conflict
from tracker.models import Activity, ActivityStatus

# Why an activity is no longer in the state a decision expected, by the state it is in.
ALREADY = {
    ActivityStatus.APPROVED: _l("This activity was already approved."),
    ActivityStatus.REJECTED: _l("This activity was already rejected."),
    ActivityStatus.REVOKED: _l("This approval was already revoked."),
    ActivityStatus.WITHDRAWN: _l("The member withdrew this activity."),
}
CHANGED = _l("This activity was changed after you opened it. Look at it again before deciding.")


def _refusal(activity: Activity, old: ActivityStatus) -> Conflict:
    if activity.status != old:
        return Conflict(ALREADY.get(activity.status, CHANGED))
    return Conflict(CHANGED)


def ensure_current(activity: Activity, old: ActivityStatus, seen: int | None) -> None:
    """Refuse at once a decision on a state or a version the activity has left.

    Only a courtesy (the clearest message first): ``transition`` decides.
    """
    if activity.status != old or (seen is not None and seen != activity.version):
        raise _refusal(activity, old)


def transition(
    session: Session,
    activity: Activity,
    old: ActivityStatus,
    new: ActivityStatus,
    *,
    seen: int | None = None,
    **values,
) -> None:
    """Move the activity from ``old`` to ``new`` if it is still the version decided on.

    A conditional UPDATE, not read-then-write: of two reviewers acting at the
    same moment, exactly one sees a row change. The version must be ``seen``
    (what the reviewer's page or API read showed), else the one this session
    read, so an edit or a mentee's answer that lands between the reviewer's
    look and this update refuses the decision instead of being booked. Every
    move adds one to the version.
    """
    result = session.execute(
        update(Activity)
        .where(
            Activity.id == activity.id,
            Activity.status == old,
            Activity.version == (activity.version if seen is None else seen),
        )
        .values(status=new, version=Activity.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(activity)
    if result.rowcount != 1:
        raise _refusal(activity, old)
