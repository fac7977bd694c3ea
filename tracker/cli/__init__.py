"""The command line: ``flask --app tracker <command>``."""

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.cli.accounts import branches, colleges, create_admin, users
    from tracker.cli.backup import backup, restore
    from tracker.cli.bench import bench_seed
    from tracker.cli.compliance import compliance_command
    from tracker.cli.demo import seed_demo
    from tracker.cli.doctor import doctor
    from tracker.cli.events import notify_upcoming
    from tracker.cli.evidence import evidence
    from tracker.cli.failures import guard_all
    from tracker.cli.jobs import jobs
    from tracker.cli.ledger import check_audit, check_ledger, rebuild_totals
    from tracker.cli.members import import_members
    from tracker.cli.points import import_points
    from tracker.cli.reports import report
    from tracker.cli.terms import terms
    from tracker.cli.tokens import tokens
    from tracker.cli.vendor import vendor_chartjs

    for command in (
        create_admin,
        colleges,
        branches,
        users,
        seed_demo,
        check_audit,
        check_ledger,
        rebuild_totals,
        notify_upcoming,
        import_members,
        import_points,
        backup,
        restore,
        tokens,
        terms,
        bench_seed,
        evidence,
        vendor_chartjs,
        doctor,
        compliance_command,
        report,
        jobs,
    ):
        app.cli.add_command(command)
    # Every command, flask-migrate's too: a clear message and an exit code, no traceback.
    guard_all(app.cli.commands.values())
