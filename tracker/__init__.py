"""The tracker: learning points for university student branches."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tracker.config import PROJECT_ROOT, configure, instance_path_from_env


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(instance_path_from_env()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, config)
    register_observability(app)
    register_extensions(app)
    register_bounds(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_observability(app: Flask) -> None:
    from tracker import assets, metrics, probes, requestlog

    # First: the probes must sit inside the trusted-proxy layer tracker.security adds.
    probes.init_app(app)
    metrics.init_app(app)
    requestlog.init_app(app)
    assets.init_app(app)


def register_extensions(app: Flask) -> None:
    from tracker import conditional, database, security, storage
    from tracker.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from tracker.i18n import select_locale, select_timezone

    database.check_url(app)
    db.init_app(app)
    database.init_app(app)
    # Batch mode lets later migrations alter tables on SQLite too.
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    storage.init_app(app)  # before security: the image policy may name the store
    security.init_app(app)
    conditional.init_app(app)


def register_bounds(app: Flask) -> None:
    from tracker.limits import init_app, refuse_per_worker_limits

    refuse_per_worker_limits(app)
    # Before the blueprints: an id converter is bound to a route when it is added.
    init_app(app)


def register_blueprints(app: Flask) -> None:
    from tracker.api.views import bp as api
    from tracker.web.account.views import bp as personal
    from tracker.web.activities.views import bp as activities
    from tracker.web.admin.views import bp as admin
    from tracker.web.auditlog.views import bp as auditlog
    from tracker.web.auth.views import bp as auth
    from tracker.web.branch.views import bp as branch
    from tracker.web.certificates.views import bp as certificates
    from tracker.web.compliance.views import bp as compliance
    from tracker.web.dashboards.views import bp as dashboards
    from tracker.web.events.views import bp as events
    from tracker.web.exports.views import bp as exports
    from tracker.web.jobs.views import bp as jobs
    from tracker.web.leaderboards.views import bp as rankings
    from tracker.web.minutes.views import bp as minutes
    from tracker.web.notifications.views import bp as notifications
    from tracker.web.papers.views import bp as papers
    from tracker.web.points.views import bp as points
    from tracker.web.reports.views import bp as reports
    from tracker.web.review.views import bp as review
    from tracker.web.tutoring.views import bp as tutoring

    for blueprint in (
        auth,
        dashboards,
        activities,
        review,
        branch,
        rankings,
        exports,
        jobs,
        events,
        compliance,
        minutes,
        papers,
        certificates,
        reports,
        tutoring,
        notifications,
        points,
        admin,
        auditlog,
        personal,
        api,
    ):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    from tracker.web.errorpages import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from tracker.i18n import init_template_helpers
    from tracker.people import access

    init_template_helpers(app)
    # Templates ask the same questions as the views: which menu, which button.
    app.jinja_env.globals["access"] = access


def register_commands(app: Flask) -> None:
    from tracker.cli import init_app

    init_app(app)
