"""The demo's own entries: what each member logs week by week, and how the committee reviews it.

Booked through the same domain functions as real use (``points``), so the
ledger, the stored totals and the audit trail agree with the rest.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from tracker.activities import evidence
from tracker.devtools.demo_groups import DISPUTE_REASONS
from tracker.ledger import points
from tracker.models import (
    Activity,
    ActivityMentee,
    ActivityStatus,
    Evidence,
    MenteeResponse,
    Pairing,
    PairingStatus,
    Role,
    User,
)
from tracker.people import accounts

WEEKS = 10
STUDY_TITLES = [
    "学习《习近平新时代中国特色社会主义思想学习纲要》",
    "“学习强国”每日答题",
    "研读党的二十大报告",
    "学习《中国共产党章程》",
    "观看党史微课堂",
    "学习《习近平谈治国理政》第四卷",
    "阅读《红星照耀中国》",
    "学习新党章修改要点",
]
RED_SITES = [
    ("参观中共一大会址纪念馆", "上海市黄浦区兴业路76号"),
    ("参观南湖革命纪念馆", "浙江省嘉兴市南湖区"),
    ("参观雨花台烈士陵园", "江苏省南京市雨花台区"),
    ("参观龙华烈士纪念馆", "上海市徐汇区龙华路"),
    ("参观陈云纪念馆", "上海市青浦区练塘镇"),
]
VOLUNTEER_TITLES = [
    "社区垃圾分类宣传志愿服务",
    "图书馆整理书架志愿服务",
    "敬老院陪伴老人",
    "校园迎新志愿服务",
    "马拉松赛事志愿者",
    "社区核酸检测协助",
]
TUTORING_TITLES = [
    "高等数学期末辅导",
    "C语言程序设计答疑",
    "英语四级备考帮扶",
    "线性代数习题讲解",
    "数据结构作业辅导",
]
MEETING_TITLES = [
    "支部党员大会",
    "支委会",
    "党小组会",
    "党课：学习贯彻党的二十大精神",
    "主题党日：重温入党誓词",
]
REFLECTION = (
    "通过这次参观，我更加深刻地认识到革命先辈的初心和使命，"
    "也更加坚定了自己努力学习、服务同学、报效祖国的信念。"
)
REJECT_REASONS = [
    "时长与签到记录不符，请核实后重新提交。",
    "缺少学习内容的说明，请补充。",
    "日期有误，请修改后重新提交。",
]


def _photo(rng: random.Random, label: str) -> evidence.PreparedFile:
    image = Image.new("RGB", (480, 320), (rng.randint(120, 200), 40, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 200, 460, 300), fill=(240, 220, 180))
    draw.text((30, 230), label, fill=(80, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return evidence.PreparedFile(out.getvalue(), "image/jpeg", "jpg", f"{label}.jpg")


def _entry(seeder, member: User, key: str, day: date, branch_members: list[User]) -> Activity:
    rng = seeder.rng
    category = seeder.categories[key]
    start, location, description, mentees = None, None, "", []
    if key == "study":
        quantity = Decimal(rng.choice([30, 45, 60, 60, 90, 120]))
        title = rng.choice(STUDY_TITLES)
        start = time(rng.choice([7, 8, 12, 19, 20, 21]), rng.choice([0, 30]))
    elif key == "red_site":
        quantity, (title, location) = Decimal(1), rng.choice(RED_SITES)
        description = REFLECTION
    elif key == "volunteer":
        quantity = Decimal(rng.choice(["1.5", "2", "3", "4"]))
        title = rng.choice(VOLUNTEER_TITLES)
    elif key == "tutoring":
        quantity = Decimal(rng.choice([30, 60, 90]))
        title = rng.choice(TUTORING_TITLES)
        start = time(rng.choice([14, 16, 19]), 0)
        mentees = _mentees_of(seeder, member, branch_members)
    else:
        quantity, title = Decimal(1), rng.choice(MEETING_TITLES)
    submitted = seeder.moment(day, rng.randint(12, 22))
    activity = Activity(
        user_id=member.id,
        branch_id=accounts.branch_on(seeder.session, member.id, day),
        category_id=category.id,
        occurred_on=day,
        start_time=start,
        quantity=quantity,
        title=title,
        description=description,
        location=location,
        submitted_at=submitted,
        updated_at=submitted,
        mentees=[_answer(seeder, m, day, submitted) for m in mentees],
    )
    seeder.session.add(activity)
    seeder.session.flush()
    if key == "red_site":
        stored = evidence.store(seeder.session, seeder.storage, _photo(rng, "red site"))
        seeder.session.add(
            Evidence(
                activity_id=activity.id,
                stored_name=stored,
                original_name="现场照片.jpg",
                content_type="image/jpeg",
                size=1,
            )
        )
        seeder.session.flush()
    return activity


def _mentees_of(seeder, mentor: User, branch_members: list[User]) -> list[User]:
    """Two accepted mentees of the mentor, paired on first need."""
    if mentor.id not in seeder.pairings:
        others = [m for m in branch_members if m.id != mentor.id]
        chosen = seeder.rng.sample(others, 2)
        seeder.session.add_all(
            Pairing(
                mentor_id=mentor.id,
                mentee_id=m.id,
                status=PairingStatus.ACCEPTED,
                created_at=seeder.now - timedelta(weeks=WEEKS + 1),
                accepted_at=seeder.now - timedelta(weeks=WEEKS + 1),
            )
            for m in chosen
        )
        seeder.pairings[mentor.id] = chosen
    return seeder.pairings[mentor.id]


def _answer(seeder, mentee: User, day: date, submitted: datetime) -> ActivityMentee:
    """Older sessions are confirmed; recent ones are pending, confirmed or disputed."""
    roll = seeder.rng.random()
    if (seeder.today - day).days > 3 or roll < 0.4:
        response, reason = MenteeResponse.CONFIRMED, None
    elif roll < 0.8:
        return ActivityMentee(mentee_id=mentee.id)
    else:
        response, reason = MenteeResponse.DISPUTED, seeder.rng.choice(DISPUTE_REASONS)
    return ActivityMentee(
        mentee_id=mentee.id, response=response, reason=reason, responded_at=submitted
    )


def _review(seeder, activity: Activity, reviewers: dict[int, list[User]]) -> None:
    rng = seeder.rng
    reviewer = next(r for r in reviewers[activity.branch_id] if r.id != activity.user_id)
    age = (seeder.today - activity.occurred_on).days
    when = seeder.moment(min(seeder.today, activity.occurred_on + timedelta(days=1)), 21)
    roll = rng.random()
    if age <= 3 and roll < 0.6:
        return  # recent activities still wait for review
    if activity.disputed or any(m.response == MenteeResponse.PENDING for m in activity.mentees):
        return  # the committee waits for the mentees, or for a word with them
    if roll < 0.06:
        points.reject_activity(seeder.session, activity, reviewer, rng.choice(REJECT_REASONS), when)
    elif roll < 0.09:
        activity.status = ActivityStatus.WITHDRAWN
    else:
        points.approve_activity(seeder.session, activity, reviewer, when)
        if roll > 0.98:
            points.revoke_approval(
                seeder.session, activity, reviewer, "复核发现与签到记录不一致，撤销积分。", when
            )


def seed_entries(seeder, groups) -> int:
    """Each member's activities of the last WEEKS weeks, reviewed as a committee would; how many."""
    rng = seeder.rng
    keys = ["study"] * 8 + ["volunteer"] * 2 + ["tutoring", "meeting", "red_site"]
    count = 0
    # The member whose login the demo prints should have plenty to show.
    demo_member = next(m for m in groups[0][1] if m.role == Role.MEMBER)
    reviewers = {
        branch.id: [m for m in members if m.role == Role.COMMITTEE] for branch, members in groups
    }
    for _branch, members in groups:
        keen = {m.id: rng.uniform(0.2, 1.0) for m in members}
        keen[demo_member.id] = 1.0
        for member in members:
            if rng.random() < 0.1 and member is not demo_member:
                continue  # some members have gone quiet
            # Up to yesterday: a session logged for today could not have
            # happened yet if the demo is seeded early in the morning.
            for days_ago in range(WEEKS * 7, 0, -1):
                day = seeder.today - timedelta(days=days_ago)
                if rng.random() > 0.35 * keen[member.id]:
                    continue
                if accounts.branch_on(seeder.session, member.id, day) is None:
                    continue
                activity = _entry(seeder, member, rng.choice(keys), day, members)
                _review(seeder, activity, reviewers)
                count += 1
    return count
