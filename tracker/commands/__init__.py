"""The command line: ``flask --app tracker <command>``."""

from flask import Flask


def init_app(app: Flask) -> None:
    from .accounts import branches, colleges, create_admin, users
    from .backup import backup, restore
    from .bench import bench_seed
    from .demo import seed_demo
    from .events import notify_upcoming
    from .ledger import check_ledger, rebuild_totals
    from .members import import_members
    from .terms import terms
    from .tokens import tokens

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
