"""bench-seed: synthetic data that obeys every invariant check-ledger checks."""

from sqlalchemy import func, select

from tracker.ledger import totals
from tracker.models import Activity, ActivityStatus, LedgerEntry, Membership, Term, User


def test_bench_seed_fills_an_empty_database_through_the_rollup_path(app, db, clock):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["bench-seed", "--members", "40", "--branches", "4", "--entries", "600"]
    )
    assert result.exit_code == 0, result.output
    assert "Seeded 40 members in 4 branches with 600 activities" in result.output
    count = lambda q: db.session.scalar(select(func.count()).select_from(q))  # noqa: E731
    assert count(LedgerEntry) == 600
    assert (
        db.session.scalar(select(func.count()).where(Activity.status == ActivityStatus.PENDING)) > 0
    )
    assert count(Term) == 1 and count(User) == 42
    # Movers have two memberships, and their points follow the branch of the day.
    assert count(Membership) >= 40
    assert totals.differences(db.session) == []
    again = runner.invoke(args=["bench-seed", "--members", "1", "--branches", "1"])
    assert again.exit_code != 0 and "empty database" in again.output
    login = app.test_client().post(
        "/login", data={"student_no": "Badvisor", "password": "bench-pass-2026"}
    )
    assert login.status_code == 302


def test_bench_seed_puts_back_every_index_and_key_it_drops_to_load(app, db):
    """The seed drops the totals', activities' and ledger's indexes (and, on PostgreSQL,
    their unique and foreign keys) while it loads, and makes them again after."""
    from sqlalchemy import inspect

    tables = ["activity", "ledger_entry", "member_total", "school_total", "score_count"]

    def shape():
        found = inspect(db.session.connection())
        return {
            table: (
                sorted(i["name"] for i in found.get_indexes(table)),
                sorted(u["name"] for u in found.get_unique_constraints(table)),
                sorted(f["name"] for f in found.get_foreign_keys(table)),
            )
            for table in tables
        }

    before = shape()
    db.session.rollback()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["bench-seed", "--members", "8", "--branches", "2", "--entries", "50"]
    )
    assert result.exit_code == 0, result.output
    after = shape()
    assert after == before and all(indexes for indexes, _u, _f in after.values())
