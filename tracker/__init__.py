"""The tracker: learning points for university student branches."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .config import PROJECT_ROOT, configure, instance_path_from_env


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(instance_path_from_env()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import security
    from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale, select_timezone

    db.init_app(app)
    # Batch mode lets later migrations alter tables on SQLite too.
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .activities.views import bp as activities
    from .admin.views import bp as admin
    from .api.views import bp as api
    from .auditlog.views import bp as auditlog
    from .auth.views import bp as auth
    from .branch.views import bp as branch
    from .dashboards.views import bp as dashboards
    from .events.views import bp as events
    from .exports.views import bp as exports
    from .notifications.views import bp as notifications
    from .personal.views import bp as personal
    from .rankings.views import bp as rankings
    from .review.views import bp as review
    from .tutoring.views import bp as tutoring

    for blueprint in (
        auth,
        dashboards,
        activities,
        review,
        branch,
        rankings,
        exports,
        events,
        tutoring,
        notifications,
        admin,
        auditlog,
        personal,
        api,
    ):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    from .errorpages import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from .i18n import init_template_helpers

    init_template_helpers(app)


def register_commands(app: Flask) -> None:
    from .commands import init_app

    init_app(app)
