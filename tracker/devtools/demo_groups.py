"""The demo's group activities: events with attendance and leave, 1+N requests.

Booked through the same domain functions as real use (``attendance``,
``pairings``), so the ledger and the notifications agree with the rest.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select

from tracker import uploads
from tracker.activities import tutoring
from tracker.clock import to_campus
from tracker.events import attendance, closing, compliance, kinds, minutes, minutes_files, planning
from tracker.events.codes import code_for
from tracker.models import (
    Activity,
    ActivityMentee,
    Attendance,
    Event,
    MenteeResponse,
    Minutes,
    Pairing,
    PairingStatus,
    Role,
)

EVENTS = [
    ("支部党员大会", "学生活动中心 201", True, "congress"),
    ("主题党日：重温入党誓词", "校史馆", True, "theme_day"),
    ("党课：学习贯彻党的二十大精神", "图书馆报告厅", True, "lecture"),
    ("红色观影：《长津湖》", "大学生活动中心影厅", False, "other"),
]
COMMITTEE_MEETING = ("支委会：研究发展党员工作", "党员活动室", False, "committee")
DISPUTE_REASONS = ["那天我没有参加这次辅导。", "时长不对，只辅导了半小时。"]
SESSION_TITLES = ["线性代数习题讲解", "数据结构作业辅导", "英语四级备考帮扶"]
LEAVE_REASONS = ["参加学院学术报告", "实习单位加班", "身体不适，已就医", "参加省级竞赛"]


def seed_events(seeder, groups) -> None:
    """Per branch: closed events of the past weeks with attendance, and upcoming ones."""
    meeting = seeder.categories["meeting"]
    for branch_index, (_branch, members) in enumerate(groups):
        committee = [m for m in members if m.role == Role.COMMITTEE]
        organiser = committee[0]
        past = [EVENTS[(w + branch_index) % len(EVENTS)] for w in (3, 2, 1)]
        # Every branch but the first held its 支委会 in time: the demo has one overdue kind.
        plan = list(zip((3, 2, 1), past, strict=True))
        if branch_index:
            plan.insert(0, (5, COMMITTEE_MEETING))
        for weeks_ago, what in plan:
            day = seeder.today - timedelta(weeks=weeks_ago, days=branch_index % 3)
            starts = datetime.combine(day, time(19, 0), seeder.now.tzinfo)
            created = starts - timedelta(days=5)
            event = _event(seeder, organiser, meeting, what, starts, created)
            _attend(seeder, event, members, committee, starts)
            if what[3] != "other":
                written = _write_minutes(seeder, event, committee, starts, lock=weeks_ago > 1)
                if branch_index == 0 and weeks_ago == 1:
                    _attach_photo(seeder, written, committee[0], starts)
        for days_ahead, hour in ((1, 19), (6, 14)):
            what = EVENTS[(days_ahead + branch_index) % len(EVENTS)]
            day = seeder.today + timedelta(days=days_ahead)
            starts = datetime.combine(day, time(hour, 0), seeder.now.tzinfo)
            event = _event(seeder, organiser, meeting, what, starts, seeder.now)
            leaver = members[-1]
            attendance.request_leave(
                seeder.session, leaver, event, seeder.rng.choice(LEAVE_REASONS), seeder.now
            )


MINUTES_TEXT = {
    "congress": ("传达上级党组织会议精神；讨论本学期发展党员计划。", "通过本学期发展党员计划。"),
    "committee": ("研究入党积极分子培养情况，确定发展对象人选。", "确定两名发展对象，报学院党委。"),
    "theme_day": ("重温入党誓词，交流学习体会。", "下月组织参观校史馆。"),
    "lecture": ("书记讲授专题党课，党员逐一发言。", "各党员撰写学习心得，下周提交。"),
    "life_meeting": (
        "对照党章党规查找差距，开展批评与自我批评。",
        "形成整改清单，下月前逐项落实。",
    ),
    "appraisal": ("党员个人总结，民主测评。", "评议结果报学院党委备案。"),
}
# The first branch's term so far, one meeting per rule period: its term report reads as
# a real branch's. Its 支委会 stays missing (the demo's overdue kind).
TERM_RECORD = {
    "congress": ("支部党员大会：审议发展党员计划", "学生活动中心 201"),
    "lecture": ("党课：学习党的光辉历史", "图书馆报告厅"),
    "theme_day": ("主题党日：参观校史馆", "校史馆"),
    "life_meeting": ("组织生活会：对照检查", "党员活动室"),
    "appraisal": ("民主评议党员大会", "党员活动室"),
}


def seed_term_record(seeder, groups, term_start: date) -> None:
    """The first branch's required meetings of the term so far: every rule period that
    began since ``term_start`` and ended two days ago holds its meetings."""
    branch, members = groups[0]
    committee = [m for m in members if m.role == Role.COMMITTEE]
    last_day = seeder.today - timedelta(days=2)
    held = {
        (event.kind, to_campus(event.starts_at).date())
        for event in seeder.session.scalars(planning.events_for_branches({branch.id}))
    }
    for rule in kinds.rules():
        if rule.kind not in TERM_RECORD:
            continue
        day = term_start
        while day <= last_day:
            piece = compliance.period_of(seeder.session, rule.period, day)
            have = sum(1 for kind, on in held if kind == rule.kind and piece.contains(on))
            for n in range(rule.count - have):
                # Yearly meetings (组织生活会, 民主评议) come at the end of the autumn term.
                yearly = rule.period == "year"
                base = piece.start if yearly else max(piece.start, term_start)
                on = base + timedelta(days=(120 if yearly else 9) + 7 * n)
                # One meeting an evening: a branch closes only so many events a day.
                while on in {day for _kind, day in held}:
                    on += timedelta(days=1)
                if on > min(last_day, piece.last_day):
                    break
                starts = datetime.combine(on, time(19, 0), seeder.now.tzinfo)
                title, place = TERM_RECORD[rule.kind]
                what = (title, place, True, rule.kind)
                event = _event(
                    seeder,
                    committee[0],
                    seeder.categories["meeting"],
                    what,
                    starts,
                    starts - timedelta(days=5),
                )
                _attend(seeder, event, members, committee, starts)
                _write_minutes(seeder, event, committee, starts, lock=True)
                held.add((rule.kind, on))
            day = piece.end


def _write_minutes(seeder, event: Event, committee, starts: datetime, lock: bool) -> Minutes:
    """The secretary's minutes of a past meeting; the older ones are locked."""
    content, decisions = MINUTES_TEXT[event.kind]
    data = minutes.MinutesInput(
        topic=event.title,
        host=committee[0].name,
        recorder=committee[-1].name,
        content=content,
        decisions=decisions,
    )
    written = minutes.save_minutes(
        seeder.session, committee[0], event, data, starts + timedelta(hours=2)
    )
    if lock:
        minutes.lock_minutes(seeder.session, committee[0], written, starts + timedelta(days=1))
    return written


def _attach_photo(seeder, written: Minutes, secretary, starts: datetime) -> None:
    """One photo of the meeting on the minutes, through the same checks as any upload."""
    image = Image.new("RGB", (640, 400), (178, 34, 34))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 260, 600, 360), fill=(245, 222, 179))
    draw.text((60, 300), "meeting photo", fill=(90, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    photo = uploads.prepare("会议合影.jpg", out.getvalue(), 5 * 1024 * 1024, "files")
    minutes_files.attach(
        seeder.session, secretary, written, [photo], seeder.storage, starts + timedelta(hours=3)
    )


def _event(seeder, organiser, category, what, starts, created) -> Event:
    title, place, mandatory, kind = what
    data = planning.EventInput(
        kind=kind,
        title=title,
        category=category,
        place=place,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        mandatory=mandatory,
        rotating=not mandatory,
    )
    return planning.create_event(seeder.session, organiser, data, created)


def _attend(seeder, event: Event, members, committee, starts: datetime) -> None:
    """Most check in with the code, one asked for leave, a late arrival is marked."""
    leaver, late, *rest = [m for m in members if m.role == Role.MEMBER]
    before = starts - timedelta(days=1)
    attendance.request_leave(
        seeder.session, leaver, event, seeder.rng.choice(LEAVE_REASONS), before
    )
    record = seeder.session.scalars(
        select(Attendance).where(
            Attendance.event_id == event.id,
            Attendance.user_id == leaver.id,
        )
    ).one()
    attendance.approve_leave(seeder.session, committee[0], record, before)
    for member in [*committee, *rest]:
        if seeder.rng.random() < 0.85 and member.branch_id in event.branch_ids:
            moment = starts - timedelta(minutes=seeder.rng.randint(0, 25))
            code = code_for(event, moment)
            attendance.check_in(seeder.session, member, event, code, moment)
    attendance.mark_present(seeder.session, committee[1], event, late, starts)
    closing.close_event(seeder.session, committee[0], event, starts + timedelta(hours=2))


def seed_tutoring_requests(seeder, groups) -> None:
    """The demo member has a pairing request and a session waiting for their answer."""
    (_branch, members), (_other, others) = groups[0], groups[1]
    demo_member = next(m for m in members if m.role == Role.MEMBER)
    asker = next(m for m in others if m.role == Role.MEMBER)
    tutoring.request_pairing(seeder.session, asker, demo_member.student_no, seeder.now)
    mentor = next(m for m in members if m.role == Role.MEMBER and m.id != demo_member.id)
    seeder.session.add(
        Pairing(
            mentor_id=mentor.id,
            mentee_id=demo_member.id,
            status=PairingStatus.ACCEPTED,
            accepted_at=seeder.now - timedelta(days=30),
        )
    )
    # One session in each state, whatever the random draw gave elsewhere.
    answers = [
        (MenteeResponse.PENDING, None),
        (MenteeResponse.CONFIRMED, None),
        (MenteeResponse.DISPUTED, DISPUTE_REASONS[1]),
    ]
    for days_ago, (response, reason) in enumerate(answers, 1):
        day = seeder.today - timedelta(days=days_ago)
        submitted = seeder.moment(day, 21)
        activity = Activity(
            user_id=mentor.id,
            branch_id=mentor.branch_id,
            category_id=seeder.categories["tutoring"].id,
            occurred_on=day,
            start_time=time(20, 0),
            quantity=Decimal(60),
            title=SESSION_TITLES[days_ago - 1],
            submitted_at=submitted,
            updated_at=submitted,
            mentees=[
                ActivityMentee(
                    mentee_id=demo_member.id,
                    response=response,
                    reason=reason,
                    responded_at=None if reason is None and days_ago == 1 else submitted,
                )
            ],
        )
        seeder.session.add(activity)
        seeder.session.flush()
        tutoring.ask_for_confirmation(seeder.session, activity)
