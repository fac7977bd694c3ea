"""Setting a campus up from a script: colleges, branches, users, passwords."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.cli.failures import CommandFailed
from tracker.clock import campus_today
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import ROLE_LABELS
from tracker.models import Branch, College, Role
from tracker.people import accounts


def _fail(message) -> None:
    db.session.rollback()
    raise CommandFailed(message)


def _refused(error: DomainError) -> None:
    _fail(f"{error.field}: {error.message}" if error.field else error.message)


def _password_option(func):
    return click.option(
        "--password",
        # Lazy: the prompts are read when asked, in the terminal's language.
        prompt=_l("Password"),
        hide_input=True,
        confirmation_prompt=_l("Repeat the password"),
        help="Prompted for when not given.",
    )(func)


def _college(name: str) -> College:
    college = db.session.scalars(select(College).where(College.name == name)).first()
    if college is None:
        _fail(_("No college named “%(name)s”.", name=name))
    return college


def _branch(name: str) -> Branch:
    found = db.session.scalars(select(Branch).where(Branch.name == name)).all()
    if not found:
        _fail(_("No branch named “%(name)s”.", name=name))
    if len(found) > 1:
        _fail(_("Several branches are named “%(name)s”; rename one first.", name=name))
    return found[0]


def _commit_or_fail() -> None:
    try:
        db.session.commit()
    except DomainError as error:
        _fail(error.message)


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
        _refused(error)
    db.session.commit()
    click.echo(_("Created administrator %(no)s (%(name)s).", no=student_no, name=name))


@click.group()
def colleges() -> None:
    """Manage colleges."""


@colleges.command("create")
@click.argument("name")
@with_appcontext
def create_college(name: str) -> None:
    name = name.strip()
    if not name or len(name) > 100:
        _fail(_("A college name has 1 to 100 characters."))
    if db.session.scalars(select(College).where(College.name == name)).first():
        _fail(_("A college named “%(name)s” already exists.", name=name))
    db.session.add(College(name=name))
    db.session.commit()
    click.echo(_("Created college %(name)s.", name=name))


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
        _fail(_("A branch name has 1 to 100 characters."))
    if db.session.scalars(
        select(Branch).where(Branch.college_id == college.id, Branch.name == name)
    ).first():
        _fail(
            _(
                "%(college)s already has a branch named “%(name)s”.",
                college=college.name,
                name=name,
            )
        )
    branch = Branch(name=name, college_id=college.id)
    db.session.add(branch)
    db.session.commit()
    click.echo(
        _(
            "Created branch %(name)s in %(college)s; invitation code %(code)s.",
            name=name,
            college=college.name,
            code=branch.invite_code,
        )
    )


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
            _fail(_("Members and committee members need exactly one --branch."))
        home = _branch(branch_names[0])
    else:
        home = None
        if role == Role.ADMIN and (branch_names or college_names):
            _fail(_("Administrators have no branch."))
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
        _refused(error)
    db.session.commit()
    label = str(ROLE_LABELS[role])
    if home:
        done = _(
            "Created %(role)s %(no)s (%(name)s) in %(branch)s.",
            role=label,
            no=student_no,
            name=name,
            branch=home.name,
        )
    else:
        done = _("Created %(role)s %(no)s (%(name)s).", role=label, no=student_no, name=name)
    click.echo(done)


@users.command("set-password")
@click.argument("student_no")
@_password_option
@with_appcontext
def set_password(student_no: str, password: str) -> None:
    """Set a user's password; their sessions end."""
    user = accounts.find_user(db.session, student_no)
    if user is None:
        _fail(_("No user with student number “%(no)s”.", no=student_no))
    try:
        accounts.set_password(db.session, user, password, actor=None)
    except DomainError as error:
        _fail(error.message)
    db.session.commit()
    click.echo(_("Password set for %(no)s.", no=student_no))
