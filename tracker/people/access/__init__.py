"""Who may see or do what: the one place that answers it, for pages, the API and the domain.

One function per question, as Zulip's ``access_message``: every door (a web
view, an API endpoint, a command) and every domain function that refuses
asks here, so two doors can never disagree. Functions named ``may_*`` answer
yes or no about an action; ``*_branch_ids`` say which branches a person may
read. A role comparison anywhere else is a rule in the wrong room.
"""

from __future__ import annotations

from tracker.people.access.boards import (  # noqa: F401
    board_branch_ids,
    board_narrowing,
    home_dashboard,
    may_define_points_sources,
    may_export_roster,
    may_export_term_report,
    may_import_points,
    may_issue_certificate,
    may_read_advisor_dashboard,
    may_read_branch_board,
    may_read_branch_dashboard,
    may_read_certificate,
    may_read_college_compliance,
    may_read_compliance,
    may_read_job,
    may_reconcile_points,
    points_import_branch,
    sees_full_name,
    sees_whole_board,
)
from tracker.people.access.events import (  # noqa: F401
    event_branch_ids,
    may_attend_event,
    may_choose_event_branches,
    may_confirm_event_attendance,
    may_create_events,
    may_manage_event,
    may_read_minutes,
    may_see_event,
    may_void_attendance,
    may_write_minutes,
)
from tracker.people.access.roles import (  # noqa: F401
    BRANCH_ROLES,
    advisor_branch_ids,
    attendance_hands,
    audit_branch_id,
    can_read_activity,
    can_read_records,
    is_admin,
    is_advisor_of,
    is_branch_person,
    is_committee_of,
    keeps_long_sessions,
    logs_activities,
    may_adjust_any_points,
    may_adjust_points,
    may_administer,
    may_answer_pairing,
    may_answer_session,
    may_book_in_closed_terms,
    may_change_activity,
    may_confirm_attendance,
    may_export_activities,
    may_manage_branch,
    may_manage_groups,
    may_read_audit_log,
    may_review,
    may_see_review_flags,
    may_set_committee_post,
    own_records_only,
    readable_branch_ids,
    sits_on_a_committee,
)
