"""The command line: ``flask --app tracker <command>``."""

from flask import Flask


def init_app(app: Flask) -> None:
    from .accounts import branches, colleges, create_admin, users
    from .bench import bench_seed
    from .demo import seed_demo
    from .ledger import check_ledger, rebuild_totals
    from .terms import terms

    for command in (
        create_admin,
        colleges,
        branches,
        users,
        seed_demo,
        check_ledger,
        rebuild_totals,
        terms,
        bench_seed,
    ):
        app.cli.add_command(command)
