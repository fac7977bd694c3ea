"""A realistic, deterministic demo campus for trying the tracker out.

Everything is booked through the same domain functions as real use, so the
ledger, the stored totals and the audit trail agree exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.devtools import demo_activities, demo_groups, demo_xuexi
from tracker.ledger import points, terms
from tracker.models import (
    AccountStatus,
    AdvisorScope,
    Branch,
    Category,
    College,
    Membership,
    Role,
    Stage,
    User,
)
from tracker.people import accounts
from tracker.people.passwords import hash_password
from tracker.storage import Storage

# The first members of a branch are its committee (see ``organisation``).
COMMITTEE_POSTS = ("书记", "组织委员")
DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed for people trying the demo
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


def demo_terms(today: date) -> list[tuple[str, date, date]]:
    """The previous term and the current one, oldest first.

    The two halves of the year cover every day (breaks included), so whatever
    day the demo is seeded there is a current term to rank by.
    """
    year = today.year
    # Campuses name terms by academic year (September to July) and half.
    if 2 <= today.month <= 7:
        return [
            (f"{year - 1}-{year}学年第一学期", date(year - 1, 8, 1), date(year, 1, 31)),
            (f"{year - 1}-{year}学年第二学期", date(year, 2, 1), date(year, 7, 31)),
        ]
    autumn = year if today.month >= 8 else year - 1
    return [
        (f"{autumn - 1}-{autumn}学年第二学期", date(autumn, 2, 1), date(autumn, 7, 31)),
        (f"{autumn}-{autumn + 1}学年第一学期", date(autumn, 8, 1), date(autumn + 1, 1, 31)),
    ]


class _Seeder:
    def __init__(self, session: Session, now: datetime, storage: Storage):
        self.session = session
        self.now = now
        self.today = now.date()
        self.storage = storage
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
                self._roster_facts(members)
                result.append((branch, members))
        advisor = self.user("advisor", "刘老师", Role.ADVISOR)
        first_college = self.session.scalars(select(College).order_by(College.id)).first()
        self.session.add(AdvisorScope(user_id=advisor.id, college_id=first_college.id))
        counsellor = self.user("advisor2", "陈辅导员", Role.ADVISOR)
        self.session.add(AdvisorScope(user_id=counsellor.id, branch_id=result[3][0].id))
        self.session.flush()
        return result

    def _roster_facts(self, members: list[User]) -> None:
        """What a 花名册 lists beyond the stage: the day each entered it, the committee's posts.

        Derived from the member's place in the list, not drawn: the demo's
        random sequence (and so everything else it makes) stays as it was.
        """
        for i, member in enumerate(members):
            member.stage_since = self.today - timedelta(days=60 + 37 * i)
        self.session.flush()
        posts = dict(zip((m.id for m in members), COMMITTEE_POSTS, strict=False))
        for membership in self.session.scalars(
            select(Membership).where(Membership.user_id.in_(posts))
        ):
            membership.committee_post = posts[membership.user_id]

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


def seed_demo(session: Session, now: datetime, storage: Storage) -> tuple[DemoLogins, int]:
    """Create the demo campus in an empty database; returns its logins and activity count.

    ``now`` is campus-local; every date and time in the demo lies before it.
    """
    seeder = _Seeder(session, now, storage)
    groups = seeder.organisation()
    seeder.move_one_member(groups)
    count = demo_activities.seed_entries(seeder, groups)
    demo_groups.seed_events(seeder, groups)
    demo_groups.seed_term_record(seeder, groups, demo_terms(seeder.today)[-1][1])
    demo_groups.seed_tutoring_requests(seeder, groups)
    seeder.extras(groups)
    demo_xuexi.import_last_weeks_report(session, seeder.today)
    # After the points are booked: two rebuilds of the term totals cost less
    # than updating them at every booking. A database with terms keeps its own.
    if not terms.list_terms(session):
        for name, first_day, last_day in demo_terms(seeder.today):
            terms.create_term(session, name, first_day, last_day)
    session.commit()
    return demo_logins(session), count
