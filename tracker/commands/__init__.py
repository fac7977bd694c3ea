"""The command line: ``flask --app tracker <command>``."""

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.commands.accounts import branches, colleges, create_admin, users
    from tracker.commands.backup import backup, restore
    from tracker.commands.bench import bench_seed
    from tracker.commands.demo import seed_demo
    from tracker.commands.events import notify_upcoming
    from tracker.commands.ledger import check_ledger, rebuild_totals
    from tracker.commands.members import import_members
    from tracker.commands.terms import terms
    from tracker.commands.tokens import tokens

    for command in (
        create_admin,
        colleges,
        branches,
        users,
        seed_demo,
        check_ledger,
        rebuild_totals,
        notify_upcoming,
        import_members,
        backup,
        restore,
        tokens,
        terms,
        bench_seed,
    ):
        app.cli.add_command(command)
