"""The tracker's tables, one module per aggregate."""

from .activity import Activity, ActivityMentee, ActivityStatus, Evidence, MenteeResponse
from .audit import AuditEvent
from .category import Category, PointRule, Unit
from .ledger import EntryKind, LedgerEntry, MemberCategoryTotal, MemberTotal
from .org import AdvisorScope, Branch, College, Membership
from .term import Term
from .user import AccountStatus, Role, Stage, User

__all__ = [
    "AccountStatus",
    "Activity",
    "ActivityMentee",
    "ActivityStatus",
    "AdvisorScope",
    "AuditEvent",
    "Branch",
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
    "Stage",
    "Term",
    "Unit",
    "User",
]
