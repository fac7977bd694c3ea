"""The tracker's tables, one module per aggregate."""

from tracker.models.activity import (
    Activity,
    ActivityMentee,
    ActivityStatus,
    Evidence,
    MenteeResponse,
)
from tracker.models.admin import ActivationToken, SettingOverride
from tracker.models.audit import AuditEvent
from tracker.models.category import Category, PointRule, Unit
from tracker.models.certificate import Certificate, certificate_entry
from tracker.models.events import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    CheckinDoor,
    Event,
    event_branch,
)
from tracker.models.external import ExternalImport, ExternalSource, ExternalValue
from tracker.models.groups import PartyGroup, party_group_member
from tracker.models.job import Job, JobState
from tracker.models.ledger import (
    BranchCategoryTotal,
    BranchTotal,
    EntryKind,
    LedgerEntry,
    MemberCategoryTotal,
    MemberTotal,
    SchoolCategoryTotal,
    SchoolTotal,
    ScoreCount,
)
from tracker.models.milestone import Milestone, MilestoneNotice
from tracker.models.minutes import Minutes, MinutesAttachment, MinutesVersion
from tracker.models.notification import Notification
from tracker.models.org import AdvisorScope, Branch, College, Membership
from tracker.models.term import Term
from tracker.models.token import ApiToken
from tracker.models.tutoring import Pairing, PairingStatus
from tracker.models.user import AccountStatus, EndedSession, Role, Stage, User

__all__ = [
    "Certificate",
    "certificate_entry",
    "ATTENDED",
    "Attendance",
    "AttendanceStatus",
    "CheckinDoor",
    "EndedSession",
    "Event",
    "Job",
    "JobState",
    "Minutes",
    "MinutesAttachment",
    "MinutesVersion",
    "Milestone",
    "MilestoneNotice",
    "Notification",
    "Pairing",
    "PartyGroup",
    "party_group_member",
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
    "ExternalImport",
    "ExternalSource",
    "ExternalValue",
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
    "ScoreCount",
    "SettingOverride",
    "Stage",
    "Term",
    "Unit",
    "User",
]
