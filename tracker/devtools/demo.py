"""A realistic, deterministic demo campus for trying the tracker out.

Everything is booked through the same domain functions as real use, so the
ledger, the stored totals and the audit trail agree exactly.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.activities import evidence
from tracker.devtools import demo_groups
from tracker.devtools.demo_groups import DISPUTE_REASONS
from tracker.ledger import points, terms
from tracker.models import (
    AccountStatus,
    Activity,
    ActivityMentee,
    ActivityStatus,
    AdvisorScope,
    Branch,
    Category,
    College,
    Evidence,
    Membership,
    MenteeResponse,
    Pairing,
    PairingStatus,
    Role,
    Stage,
    User,
)
from tracker.people import accounts
from tracker.people.passwords import hash_password

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed for people trying the demo
WEEKS = 10
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓"
    "曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 子涵 雨萱 "
    "浩然 欣怡 梓轩 思远 佳怡 宇航 嘉怡 俊杰 一诺 博文 欣然 晨曦 书瑶 天宇 雅琪 "
    "志强 海燕 文博 晓东 婷婷 鑫 悦 琳 哲 昊"
).split()
COLLEGES = {
    "计算机科学与技术学院": ["本科生第一党支部", "本科生第二党支部", "研究生党支部"],
    "经济管理学院": ["本科生党支部", "研究生第一党支部", "研究生第二党支部"],
}
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


@dataclass
class DemoLogins:
    admin: str
    advisor: str
    committee: str
    member: str


def already_seeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(User)))


def demo_logins(session: Session) -> DemoLogins | None:
    """The demo accounts, if this database holds the demo."""
    admin = accounts.find_user(session, "admin")
    if admin is None or admin.name != "系统管理员":
        return None
    committee = session.scalars(
        select(User).where(User.role == Role.COMMITTEE).order_by(User.student_no)
    ).first()
    member = session.scalars(
        select(User)
        .where(
            User.role == Role.MEMBER,
            User.status == AccountStatus.ACTIVE,
            User.branch_id == committee.branch_id,
        )
        .order_by(User.student_no)
    ).first()
    return DemoLogins(
        admin="admin", advisor="advisor", committee=committee.student_no, member=member.student_no
    )


def _photo(rng: random.Random, label: str) -> evidence.PreparedFile:
    image = Image.new("RGB", (480, 320), (rng.randint(120, 200), 40, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 200, 460, 300), fill=(240, 220, 180))
    draw.text((30, 230), label, fill=(80, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return evidence.PreparedFile(out.getvalue(), "image/jpeg", "jpg", f"{label}.jpg")


def demo_terms(today: date) -> list[tuple[str, date, date]]:
    """The previous term and the current one, oldest first.

    The two halves of the year cover every day (breaks included), so whatever
    day the demo is seeded there is a current term to rank by.
    """
    year = today.year
    if 2 <= today.month <= 7:
        return [
            (f"{year - 1}秋季学期", date(year - 1, 8, 1), date(year, 1, 31)),
            (f"{year}春季学期", date(year, 2, 1), date(year, 7, 31)),
        ]
    autumn = year if today.month >= 8 else year - 1
    return [
        (f"{autumn}春季学期", date(autumn, 2, 1), date(autumn, 7, 31)),
        (f"{autumn}秋季学期", date(autumn, 8, 1), date(autumn + 1, 1, 31)),
    ]


class _Seeder:
    def __init__(self, session: Session, now: datetime, upload_folder: str):
        self.session = session
        self.now = now
        self.today = now.date()
        self.upload_folder = upload_folder
        self.rng = random.Random(20261130)
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.categories = {c.key: c for c in session.scalars(select(Category))}
        self.pairings: dict[int, list[User]] = {}
        self.used_names: set[str] = set()

    def name(self) -> str:
        while True:
            candidate = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if candidate not in self.used_names:
                self.used_names.add(candidate)
                return candidate

    def user(
        self,
        student_no: str,
        name: str,
        role: Role,
        branch: Branch | None = None,
        stage: Stage | None = None,
        joined: date | None = None,
        status: AccountStatus = AccountStatus.ACTIVE,
    ) -> User:
        user = accounts.create_user(
            self.session,
            student_no=student_no,
            name=name,
            role=role,
            branch=branch,
            stage=stage,
            status=status,
            joined_on=joined or self.today - timedelta(days=400),
        )
        user.password_hash = self.password_hash
        return user

    def moment(self, day: date, hour: int) -> datetime:
        """A time on ``day``, never later than now."""
        wanted = datetime.combine(day, time(hour, self.rng.randint(0, 59)), self.now.tzinfo)
        return min(wanted, self.now - timedelta(minutes=self.rng.randint(5, 90)))

    def organisation(self) -> list[tuple[Branch, list[User]]]:
        self.user("admin", "系统管理员", Role.ADMIN)
        result = []
        for college_index, (college_name, branch_names) in enumerate(COLLEGES.items(), 1):
            college = College(name=college_name)
            self.session.add(college)
            self.session.flush()
            for branch_index, branch_name in enumerate(branch_names, 1):
                branch = Branch(
                    name=branch_name,
                    college_id=college.id,
                    invite_code=f"DEMO{college_index}{branch_index}XYZ",
                )
                self.session.add(branch)
                self.session.flush()
                members = []
                size = self.rng.randint(17, 23)
                for i in range(1, size + 1):
                    role = Role.COMMITTEE if i <= 2 else Role.MEMBER
                    stage = (
                        self.rng.choice(list(Stage)) if role == Role.MEMBER else Stage.FULL_MEMBER
                    )
                    number = f"2023{college_index}{branch_index}{i:03d}"
                    members.append(self.user(number, self.name(), role, branch, stage))
                result.append((branch, members))
        advisor = self.user("advisor", "刘老师", Role.ADVISOR)
        first_college = self.session.scalars(select(College).order_by(College.id)).first()
        self.session.add(AdvisorScope(user_id=advisor.id, college_id=first_college.id))
        counsellor = self.user("advisor2", "陈辅导员", Role.ADVISOR)
        self.session.add(AdvisorScope(user_id=counsellor.id, branch_id=result[3][0].id))
        self.session.flush()
        return result

    def move_one_member(self, groups) -> None:
        """A member who changed branch five weeks ago: history stays with the old one."""
        (_, old_members), (new_branch, new_members) = groups[0], groups[1]
        mover = old_members[-1]
        moved_on = self.today - timedelta(weeks=5)
        membership = self.session.scalars(
            select(Membership).where(Membership.user_id == mover.id)
        ).one()
        membership.end_on = moved_on
        self.session.add(Membership(user_id=mover.id, branch_id=new_branch.id, start_on=moved_on))
        mover.branch_id = new_branch.id
        old_members.remove(mover)
        new_members.append(mover)
        self.session.flush()

    def entry(self, member: User, key: str, day: date, branch_members: list[User]) -> Activity:
        rng = self.rng
        category = self.categories[key]
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
            mentees = self.mentees_of(member, branch_members)
        else:
            quantity, title = Decimal(1), rng.choice(MEETING_TITLES)
        submitted = self.moment(day, rng.randint(12, 22))
        activity = Activity(
            user_id=member.id,
            branch_id=accounts.branch_on(self.session, member.id, day),
            category_id=category.id,
            occurred_on=day,
            start_time=start,
            quantity=quantity,
            title=title,
            description=description,
            location=location,
            submitted_at=submitted,
            updated_at=submitted,
            mentees=[self.answer(m, day, submitted) for m in mentees],
        )
        self.session.add(activity)
        self.session.flush()
        if key == "red_site":
            stored = evidence.store(self.upload_folder, _photo(rng, "red site"))
            self.session.add(
                Evidence(
                    activity_id=activity.id,
                    stored_name=stored,
                    original_name="现场照片.jpg",
                    content_type="image/jpeg",
                    size=1,
                )
            )
            self.session.flush()
        return activity

    def mentees_of(self, mentor: User, branch_members: list[User]) -> list[User]:
        """Two accepted mentees of the mentor, paired on first need."""
        if mentor.id not in self.pairings:
            others = [m for m in branch_members if m.id != mentor.id]
            chosen = self.rng.sample(others, 2)
            self.session.add_all(
                Pairing(
                    mentor_id=mentor.id,
                    mentee_id=m.id,
                    status=PairingStatus.ACCEPTED,
                    created_at=self.now - timedelta(weeks=WEEKS + 1),
                    accepted_at=self.now - timedelta(weeks=WEEKS + 1),
                )
                for m in chosen
            )
            self.pairings[mentor.id] = chosen
        return self.pairings[mentor.id]

    def answer(self, mentee: User, day: date, submitted: datetime) -> ActivityMentee:
        """Older sessions are confirmed; recent ones are pending, confirmed or disputed."""
        roll = self.rng.random()
        if (self.today - day).days > 3 or roll < 0.4:
            response, reason = MenteeResponse.CONFIRMED, None
        elif roll < 0.8:
            return ActivityMentee(mentee_id=mentee.id)
        else:
            response, reason = MenteeResponse.DISPUTED, self.rng.choice(DISPUTE_REASONS)
        return ActivityMentee(
            mentee_id=mentee.id, response=response, reason=reason, responded_at=submitted
        )

    def review(self, activity: Activity, reviewers: dict[int, list[User]]) -> None:
        rng = self.rng
        reviewer = next(r for r in reviewers[activity.branch_id] if r.id != activity.user_id)
        age = (self.today - activity.occurred_on).days
        when = self.moment(min(self.today, activity.occurred_on + timedelta(days=1)), 21)
        roll = rng.random()
        if age <= 3 and roll < 0.6:
            return  # recent entries still wait for review
        if activity.disputed or any(m.response == MenteeResponse.PENDING for m in activity.mentees):
            return  # the committee waits for the mentees, or for a word with them
        if roll < 0.06:
            points.reject_entry(self.session, activity, reviewer, rng.choice(REJECT_REASONS), when)
        elif roll < 0.09:
            activity.status = ActivityStatus.WITHDRAWN
        else:
            points.approve_entry(self.session, activity, reviewer, when)
            if roll > 0.98:
                points.revoke_approval(
                    self.session, activity, reviewer, "复核发现与签到记录不一致，撤销积分。", when
                )

    def activities(self, groups) -> int:
        rng = self.rng
        keys = ["study"] * 8 + ["volunteer"] * 2 + ["tutoring", "meeting", "red_site"]
        count = 0
        # The member whose login the demo prints should have plenty to show.
        demo_member = next(m for m in groups[0][1] if m.role == Role.MEMBER)
        reviewers = {
            branch.id: [m for m in members if m.role == Role.COMMITTEE]
            for branch, members in groups
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
                    day = self.today - timedelta(days=days_ago)
                    if rng.random() > 0.35 * keen[member.id]:
                        continue
                    if accounts.branch_on(self.session, member.id, day) is None:
                        continue
                    activity = self.entry(member, rng.choice(keys), day, members)
                    self.review(activity, reviewers)
                    count += 1
        return count

    def extras(self, groups) -> None:
        branch, members = groups[0]
        committee = next(m for m in members if m.role == Role.COMMITTEE)
        points.adjust_points(
            self.session,
            members[5],
            committee,
            Decimal("3"),
            "组织支部读书会，额外加分。",
            self.today - timedelta(days=9),
        )
        points.adjust_points(
            self.session,
            members[6],
            committee,
            Decimal("-1.5"),
            "重复提交学习记录，扣回积分。",
            self.today - timedelta(days=4),
        )
        self.user(
            "2026119901",
            "新同学",
            Role.MEMBER,
            branch,
            Stage.ACTIVIST,
            joined=self.today,
            status=AccountStatus.PENDING,
        )


def seed_demo(session: Session, now: datetime, upload_folder: str) -> tuple[DemoLogins, int]:
    """Create the demo campus in an empty database; returns its logins and entry count.

    ``now`` is campus-local; every date and time in the demo lies before it.
    """
    seeder = _Seeder(session, now, upload_folder)
    groups = seeder.organisation()
    seeder.move_one_member(groups)
    count = seeder.activities(groups)
    demo_groups.seed_events(seeder, groups)
    demo_groups.seed_tutoring_requests(seeder, groups)
    seeder.extras(groups)
    # After the points are booked: two rebuilds of the term totals cost less
    # than updating them at every booking. A database with terms keeps its own.
    if not terms.list_terms(session):
        for name, first_day, last_day in demo_terms(seeder.today):
            terms.create_term(session, name, first_day, last_day)
    session.commit()
    return demo_logins(session), count
