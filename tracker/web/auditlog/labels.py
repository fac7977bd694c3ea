"""What the audit log's codes mean, in the reader's language.

The log stores codes (``auth.login``, ``points=2.0``) so that its rows never
change with a translation; this page turns them into words. Every action and
every detail key the code base records has a label here: tests/test_audit.py
reads the ``audit.record`` calls and fails on one without.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from tracker.i18n import ROLE_LABELS
from tracker.models import Role

ACTION_LABELS = {
    "activity.approved": _l("Activity approved"),
    "activity.edited": _l("Activity edited"),
    "activity.rejected": _l("Activity rejected"),
    "activity.resubmitted": _l("Activity resubmitted"),
    "activity.revoked": _l("Approval revoked"),
    "activity.submitted": _l("Activity submitted"),
    "activity.withdrawn": _l("Activity withdrawn by the member"),
    "advisor.scope_added": _l("Advisor scope added"),
    "advisor.scope_removed": _l("Advisor scope removed"),
    "auth.login": _l("Logged in"),
    "auth.login_failed": _l("Failed login"),
    "auth.logout": _l("Logged out"),
    "auth.logout_everywhere": _l("Logged out on every device"),
    "auth.password_step_failed": _l("Wrong password at the administrators' password step"),
    "auth.token_failed": _l("Failed token request"),
    "backup.created": _l("Backup made"),
    "backup.restored": _l("Backup restored"),
    "branch.archived": _l("Branch archived"),
    "branch.created": _l("Branch created"),
    "branch.invite_rotated": _l("New invitation code"),
    "branch.renamed": _l("Branch renamed"),
    "category.auto_approval_changed": _l("Automatic approval changed"),
    "category.created": _l("Category created"),
    "category.retired": _l("Category retired"),
    "certificate.issued": _l("Points certificate issued"),
    "college.archived": _l("College archived"),
    "college.created": _l("College created"),
    "college.renamed": _l("College renamed"),
    "event.attendance_voided": _l("Check-in voided"),
    "event.closed": _l("Event closed"),
    "event.code_rotated": _l("New check-in code"),
    "event.created": _l("Event created"),
    "event.leave_approved": _l("Leave approved"),
    "event.marked_present": _l("Marked present by hand"),
    "event.scan_only": _l("Check-in by scanning only"),
    "event.scanned": _l("Personal code scanned"),
    "export": _l("Export downloaded"),
    "members.imported": _l("Members imported"),
    "points.imported": _l("Points imported from another system"),
    "points_source.created": _l("Source of outside points defined"),
    "points_source.changed": _l("Source of outside points changed"),
    "milestone.created": _l("Milestone added"),
    "milestone.retired": _l("Milestone retired"),
    "name_consent.given": _l("Agreed to show full name outside the branch"),
    "name_consent.withdrawn": _l("Withdrew consent to show full name outside the branch"),
    "pairing.accepted": _l("Tutoring pairing accepted"),
    "pairing.declined": _l("Tutoring pairing declined"),
    "pairing.requested": _l("Tutoring pairing requested"),
    "member.post_set": _l("Committee post named"),
    "minutes.attached": _l("Files attached to the minutes"),
    "minutes.detached": _l("File removed from the minutes"),
    "minutes.locked": _l("Minutes locked"),
    "minutes.saved": _l("Minutes saved"),
    "party_group.created": _l("Party group created"),
    "party_group.member_placed": _l("Member placed in a party group"),
    "personal_data.exported": _l("Personal data exported"),
    "points.adjusted": _l("Points adjusted"),
    "registration.confirmed": _l("Registration confirmed"),
    "registration.declined": _l("Registration declined"),
    "rule.version_added": _l("New rule version"),
    "setting.changed": _l("Setting changed"),
    "setting.reset": _l("Setting reset to its default"),
    "term.changed": _l("Term changed"),
    "term.closed": _l("Term closed for bookings"),
    "term.created": _l("Term created"),
    "term.reopened": _l("Term reopened"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "tutoring.confirmed": _l("Tutoring confirmed by a mentee"),
    "tutoring.disputed": _l("Tutoring disputed by a mentee"),
    "user.activated": _l("Account activated"),
    "user.anonymised": _l("Account anonymised"),
    "user.created": _l("Account created"),
    "user.deactivated": _l("Account deactivated"),
    "user.edited": _l("Account edited"),
    "user.moved": _l("Member moved to another branch"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.reactivated": _l("Account reactivated"),
    "user.role_changed": _l("Role changed"),
}

DETAIL_LABELS = {
    "after": _l("After"),
    "after_close": _l("After the event closed"),
    "auto_approve": _l("Approved automatically"),
    "before": _l("Before"),
    "booked": _l("Attendances booked"),
    "category": _l("Category"),
    "college": _l("College"),
    "created": _l("Accounts created"),
    "created_at": _l("Made at"),
    "daily_cap": _l("Daily cap"),
    "effective_from": _l("Effective from"),
    "enabled": _l("On"),
    "entries": _l("Ledger entries counted"),
    "event_id": _l("Event"),
    "evidence_files": _l("Evidence files"),
    "evidence_required": _l("Evidence required"),
    "fields": _l("Fields"),
    "files": _l("Files"),
    "flagged": _l("Rows flagged"),
    "baseline": _l("Baseline (first totals not booked)"),
    "format": _l("Format"),
    "from_branch": _l("From branch"),
    "from_day": _l("From day"),
    "hours": _l("Hours"),
    "key": _l("Key"),
    "max_quantity": _l("Maximum quantity"),
    "min_quantity": _l("Minimum quantity"),
    "name": _l("Name given"),
    "path": _l("File"),
    "per_quantity": _l("Per quantity"),
    "period": _l("Period"),
    "points": _l("Points"),
    "points_per_unit": _l("Points per unit"),
    "previous": _l("Previous"),
    "rate": _l("Points per unit reported"),
    "rate_before": _l("Points per unit before"),
    "reason": _l("Reason"),
    "role": _l("Role"),
    "rows": _l("Rows"),
    "scan_only": _l("Scanning only"),
    "scope": _l("Scope"),
    "signature_checked": _l("Signature checked"),
    "source": _l("Source"),
    "stage": _l("Stage"),
    "start": _l("Start"),
    "term": _l("Term"),
    "to_branch": _l("To branch"),
    "typed": _l("Student number typed (pseudonym)"),
    "updated": _l("Accounts updated"),
    "version": _l("Version"),
    "waiting": _l("Waiting for a second person"),
    "weekly_cap": _l("Weekly cap"),
    "what": _l("What"),
}

_BRANCH_KEYS = {"from_branch", "to_branch"}
_ROLES = {role.value: role for role in Role}


def action_label(action: str) -> str:
    """The action in words; a code from an older release that has no label shows as itself."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def details(event_details: dict[str, Any] | None, branch_names: dict[int, str]) -> list[tuple]:
    """(label, value) pairs a reader understands: yes/no, role names, branch names."""
    shown = []
    for key, value in (event_details or {}).items():
        label = DETAIL_LABELS.get(key)
        shown.append((str(label) if label is not None else key, _value(key, value, branch_names)))
    return shown


def _value(key: str, value: Any, branch_names: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if key in _BRANCH_KEYS and isinstance(value, int):
        return branch_names.get(value, str(value))
    if isinstance(value, str) and value in _ROLES:
        return str(ROLE_LABELS[_ROLES[value]])
    return str(value)
