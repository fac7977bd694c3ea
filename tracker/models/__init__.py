"""The tracker's tables, one module per aggregate."""

from .activity import Activity, ActivityMentee, ActivityStatus, Evidence, MenteeResponse
from .admin import ActivationToken, SettingOverride
from .audit import AuditEvent
from .category import Category, PointRule, Unit
from .events import ATTENDED, Attendance, AttendanceStatus, Event, event_branch
from .ledger import (
    BranchCategoryTotal,
    BranchTotal,
    EntryKind,
    LedgerEntry,
    MemberCategoryTotal,
    MemberTotal,
    SchoolCategoryTotal,
    SchoolTotal,
)
from .notification import Notification
from .org import AdvisorScope, Branch, College, Membership
from .term import Term
from .token import ApiToken
from .tutoring import Pairing, PairingStatus
from .user import AccountStatus, Role, Stage, User

__all__ = [
    "ATTENDED",
    "Attendance",
    "AttendanceStatus",
    "Event",
    "Notification",
    "Pairing",
    "PairingStatus",
    "event_branch",
    "ActivationToken",
    "AccountStatus",
    "ApiToken",
    "Activity",
    "ActivityMentee",
    "ActivityStatus",
    "AdvisorScope",
    "AuditEvent",
    "Branch",
    "BranchCategoryTotal",
    "BranchTotal",
    "Category",
    "College",
    "EntryKind",
    "Evidence",
    "LedgerEntry",
    "MemberCategoryTotal",
    "MemberTotal",
    "Membership",
    "MenteeResponse",
    "PointRule",
    "Role",
    "SchoolCategoryTotal",
    "SchoolTotal",
    "SettingOverride",
    "Stage",
    "Term",
    "Unit",
    "User",
]
