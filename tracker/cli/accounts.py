"""Setting a campus up from a script: colleges, branches, users, passwords."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.clock import campus_today
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.models import Branch, College, Role
from tracker.people import accounts


def _fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


def _password_option(func):
    return click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Prompted for when not given.",
    )(func)


def _college(name: str) -> College:
    college = db.session.scalars(select(College).where(College.name == name)).first()
    if college is None:
        _fail(f"No college named {name!r}.")
    return college


def _branch(name: str) -> Branch:
    found = db.session.scalars(select(Branch).where(Branch.name == name)).all()
    if not found:
        _fail(f"No branch named {name!r}.")
    if len(found) > 1:
        _fail(f"Several branches are named {name!r}; rename one first.")
    return found[0]


def _commit_or_fail() -> None:
    try:
        db.session.commit()
    except DomainError as error:
        _fail(str(error.message))


@click.command("create-admin")
@click.argument("student_no")
@click.option("--name", required=True)
@_password_option
@with_appcontext
def create_admin(student_no: str, name: str, password: str) -> None:
    """Create an administrator account."""
    try:
        accounts.create_user(
            db.session,
            student_no=student_no,
            name=name,
            role=Role.ADMIN,
            password=password,
            joined_on=campus_today(),
        )
    except DomainError as error:
        _fail(f"{error.field or 'input'}: {error.message}")
    db.session.commit()
    click.echo(f"Created administrator {student_no} ({name}).")


@click.group()
def colleges() -> None:
    """Manage colleges."""


@colleges.command("create")
@click.argument("name")
@with_appcontext
def create_college(name: str) -> None:
    name = name.strip()
    if not name or len(name) > 100:
        _fail("A college name has 1 to 100 characters.")
    if db.session.scalars(select(College).where(College.name == name)).first():
        _fail(f"A college named {name!r} already exists.")
    db.session.add(College(name=name))
    db.session.commit()
    click.echo(f"Created college {name}.")


@click.group()
def branches() -> None:
    """Manage branches."""


@branches.command("create")
@click.argument("name")
@click.option("--college", "college_name", required=True)
@with_appcontext
def create_branch(name: str, college_name: str) -> None:
    name = name.strip()
    college = _college(college_name)
    if not name or len(name) > 100:
        _fail("A branch name has 1 to 100 characters.")
    if db.session.scalars(
        select(Branch).where(Branch.college_id == college.id, Branch.name == name)
    ).first():
        _fail(f"{college.name} already has a branch named {name!r}.")
    branch = Branch(name=name, college_id=college.id)
    db.session.add(branch)
    db.session.commit()
    click.echo(f"Created branch {name} in {college.name}; invitation code {branch.invite_code}.")


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("student_no")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--branch",
    "branch_names",
    multiple=True,
    help="The member's branch; for an advisor, may repeat.",
)
@click.option(
    "--college", "college_names", multiple=True, help="For an advisor: a whole college; may repeat."
)
@click.option("--email")
@_password_option
@with_appcontext
def create_user(student_no, name, role, branch_names, college_names, email, password):
    """Create an account of any role."""
    role = Role(role)
    if role in (Role.MEMBER, Role.COMMITTEE):
        if len(branch_names) != 1 or college_names:
            _fail("Members and committee members need exactly one --branch.")
        home = _branch(branch_names[0])
    else:
        home = None
        if role == Role.ADMIN and (branch_names or college_names):
            _fail("Administrators have no branch.")
    try:
        user = accounts.create_user(
            db.session,
            student_no=student_no,
            name=name,
            role=role,
            branch=home,
            password=password,
            email=email,
            joined_on=campus_today(),
        )
        if role == Role.ADVISOR:
            for branch_name in branch_names:
                accounts.add_advisor_scope(db.session, user, branch=_branch(branch_name))
            for college_name in college_names:
                accounts.add_advisor_scope(db.session, user, college=_college(college_name))
    except DomainError as error:
        _fail(f"{error.field or 'input'}: {error.message}")
    db.session.commit()
    where = f" in {home.name}" if home else ""
    click.echo(f"Created {role.value} {student_no} ({name}){where}.")


@users.command("set-password")
@click.argument("student_no")
@_password_option
@with_appcontext
def set_password(student_no: str, password: str) -> None:
    """Set a user's password; their sessions end."""
    user = accounts.find_user(db.session, student_no)
    if user is None:
        _fail(f"No user with student number {student_no!r}.")
    try:
        accounts.set_password(db.session, user, password, actor=None)
    except DomainError as error:
        _fail(str(error.message))
    db.session.commit()
    click.echo(f"Password set for {student_no}.")
