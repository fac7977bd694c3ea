"""The settings of accounts, sessions and the login limits (OWASP ASVS chapters 2 and
3) and of the server around them (HTTPS, workers, logs, metrics, proxies): part of the
table of every setting (``setting_table.SETTINGS``)."""

from __future__ import annotations

from tracker.setting_values import Setting, flag, trusted_proxies

SECURITY_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TRACKER_LOGIN_LIMIT_PAIR",
        "TRACKER_LOGIN_LIMIT_PAIR",
        "5 per 5 minutes",
        str,
        "Failed logins (login form and API together) allowed for one student number from one "
        "address; then that address is refused for that account until the window passes",
    ),
    Setting(
        "TRACKER_LOGIN_LIMIT_ADDRESS",
        "TRACKER_LOGIN_LIMIT_ADDRESS",
        "20 per 10 minutes",
        str,
        "Failed logins (login form and API together) allowed from one address, any accounts",
    ),
    Setting(
        "TRACKER_LOGIN_DELAY_AFTER",
        "TRACKER_LOGIN_DELAY_AFTER",
        10,
        int,
        "Failed logins for one student number, from every address within a day, after which "
        "each further failure makes the next attempt wait 2, 4, 8 ... seconds",
    ),
    Setting(
        "TRACKER_LOGIN_DELAY_MAX_SECONDS",
        "TRACKER_LOGIN_DELAY_MAX_SECONDS",
        900,
        int,
        "The longest such wait, in seconds",
    ),
    Setting(
        "TRACKER_API_TOKEN_DAYS",
        "TRACKER_API_TOKEN_DAYS",
        90,
        int,
        "How many days a personal access token for the API stays valid",
    ),
    Setting(
        "TRACKER_SESSION_IDLE_HOURS",
        "TRACKER_SESSION_IDLE_HOURS",
        72,
        int,
        "Hours without a request after which a member's session ends",
    ),
    Setting(
        "TRACKER_SESSION_IDLE_HOURS_PRIVILEGED",
        "TRACKER_SESSION_IDLE_HOURS_PRIVILEGED",
        4,
        int,
        "Hours without a request after which the session of a committee member, an advisor or "
        "an administrator ends",
    ),
    Setting(
        "TRACKER_SESSION_DAYS",
        "TRACKER_SESSION_DAYS",
        7,
        int,
        "Days after logging in at which every session ends, however busy",
    ),
    Setting(
        "TRACKER_SUDO_MINUTES",
        "TRACKER_SUDO_MINUTES",
        10,
        int,
        "Minutes for which an administrator's password, once entered, allows changing roles, "
        "importing members, resetting passwords and changing settings",
    ),
    Setting(
        "TRACKER_TEMP_PASSWORD_HOURS",
        "TRACKER_TEMP_PASSWORD_HOURS",
        24,
        int,
        "How many hours the temporary password of an administrator's reset works",
    ),
    Setting("TRACKER_PASSWORD_TIME_COST", "TRACKER_PASSWORD_TIME_COST", 3, int, "Argon2id passes"),
    Setting(
        "TRACKER_PASSWORD_MEMORY_KIB",
        "TRACKER_PASSWORD_MEMORY_KIB",
        65536,
        int,
        "Argon2id memory per hash, in KiB (64 MiB meets OWASP ASVS 5.0)",
    ),
    Setting(
        "TRACKER_HTTPS",
        "TRACKER_HTTPS",
        False,
        flag,
        "Served over HTTPS: HSTS, and cookies only over HTTPS",
    ),
    Setting(
        "TRACKER_WORKERS",
        "TRACKER_WORKERS",
        None,
        int,
        "How many worker processes serve the app; default: WEB_CONCURRENCY or gunicorn's -w",
    ),
    Setting(
        "TRACKER_LOG_FORMAT",
        "TRACKER_LOG_FORMAT",
        "text",
        lambda value: value.strip().lower(),
        "text, or json for one JSON object a line (time, level, message, request id)",
    ),
    Setting(
        "TRACKER_METRICS_ALLOW",
        "TRACKER_METRICS_ALLOW",
        "127.0.0.1, ::1",
        str,
        "Addresses or networks, separated by commas, that may read /metrics; loopback by default",
    ),
    Setting(
        "TRACKER_TRUSTED_PROXIES",
        "TRACKER_TRUSTED_PROXIES",
        0,
        trusted_proxies,
        "Reverse proxies whose X-Forwarded-For and -Proto are believed: a number of hops, "
        "or their addresses separated by commas; none by default",
    ),
)
