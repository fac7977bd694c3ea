"""Every setting a campus may change, with the environment variable that sets
it, its default and how its text is read, so the README and the loader cannot
drift."""

from __future__ import annotations

from tracker.setting_security import SECURITY_SETTINGS
from tracker.setting_values import (
    DEFAULT_MEETING_FREQUENCIES,
    Setting,
    board_mode,
    flag,
    meeting_frequencies,
)

CHARTJS_URL = "https://cdn.jsdelivr.net/npm/chart.js@4.5.1/dist/chart.umd.min.js"
CHARTJS_INTEGRITY = "sha384-jb8JQMbMoBUzgWatfe6COACi2ljcDdZQ2OxczGA3bGNeWe+6DChMTBJemed7ZnvJ"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SQLALCHEMY_DATABASE_URI",
        "DATABASE_URL",
        None,
        str,
        "Database URL; default is SQLite in the instance folder. "
        "PostgreSQL: postgresql+psycopg://user@host/dbname",
    ),
    Setting(
        "SECRET_KEY",
        "SECRET_KEY",
        None,
        str,
        "Signs sessions and CSRF tokens; if unset, generated once into "
        "instance/secret_key and reused",
    ),
    Setting(
        "TRACKER_TIMEZONE",
        "TRACKER_TIMEZONE",
        "Asia/Shanghai",
        str,
        "Time zone in which days, weeks and times are shown",
    ),
    Setting(
        "TRACKER_BACKDATE_DAYS",
        "TRACKER_BACKDATE_DAYS",
        14,
        int,
        "How many days back an activity may be logged, and an event may start",
    ),
    Setting(
        "TRACKER_EVENT_CLOSES_PER_DAY",
        "TRACKER_EVENT_CLOSES_PER_DAY",
        3,
        int,
        "How many events one branch may close on one day",
    ),
    Setting(
        "TRACKER_UPLOAD_LIMIT_MB",
        "TRACKER_UPLOAD_LIMIT_MB",
        5,
        int,
        "Largest evidence file, in megabytes",
    ),
    Setting(
        "TRACKER_UPLOAD_LIMIT_PER_MINUTE",
        "TRACKER_UPLOAD_LIMIT_PER_MINUTE",
        20,
        int,
        "Evidence files one member may upload per minute (web and API together)",
    ),
    Setting(
        "TRACKER_STORAGE_URL",
        "TRACKER_STORAGE_URL",
        "",
        str,
        "Where evidence files are kept: empty for the instance folder's uploads/, or "
        "s3://bucket/prefix for an S3-compatible object store (MinIO, Ceph, a campus OSS)",
    ),
    Setting(
        "TRACKER_S3_ENDPOINT_URL",
        "TRACKER_S3_ENDPOINT_URL",
        "",
        str,
        "The object store's address, such as https://oss.example.edu.cn; empty: AWS",
    ),
    Setting("TRACKER_S3_REGION", "TRACKER_S3_REGION", "us-east-1", str, "Its region"),
    Setting(
        "TRACKER_S3_ACCESS_KEY_ID",
        "TRACKER_S3_ACCESS_KEY_ID",
        "",
        str,
        "The access key; empty: boto3's own (AWS_ACCESS_KEY_ID, ~/.aws)",
    ),
    Setting("TRACKER_S3_SECRET_ACCESS_KEY", "TRACKER_S3_SECRET_ACCESS_KEY", "", str, "Its secret"),
    Setting(
        "TRACKER_S3_ADDRESSING_STYLE",
        "TRACKER_S3_ADDRESSING_STYLE",
        "auto",
        str,
        "path (bucket in the path: MinIO, Ceph) or virtual (bucket in the host name: "
        "Aliyun OSS and most campus clouds); auto lets boto3 choose",
    ),
    Setting(
        "TRACKER_STORAGE_SIGNED_URL_SECONDS",
        "TRACKER_STORAGE_SIGNED_URL_SECONDS",
        0,
        int,
        "0: evidence is served through the app; more: after the access check the browser "
        "is sent to a signed address of the object store valid this many seconds",
    ),
    Setting(
        "TRACKER_BACKUP_KEY_FILE",
        "TRACKER_BACKUP_KEY_FILE",
        None,
        str,
        "File holding the key that signs backups; default instance/backup_key, created "
        "once. Keep a copy away from the backups: a restore checks the signature with it",
    ),
    Setting(
        "TRACKER_CHARTJS_URL",
        "TRACKER_CHARTJS_URL",
        CHARTJS_URL,
        str,
        "Where pages load Chart.js from (a CDN or a campus mirror)",
    ),
    Setting(
        "TRACKER_CHARTJS_INTEGRITY",
        "TRACKER_CHARTJS_INTEGRITY",
        CHARTJS_INTEGRITY,
        str,
        "Subresource-integrity hash of that file; empty to omit",
    ),
    Setting(
        "TRACKER_SHOW_FULL_NAMES",
        "TRACKER_SHOW_FULL_NAMES",
        False,
        flag,
        "Whether members see each other's full names on leaderboards",
    ),
    *(
        Setting(
            f"TRACKER_BOARD_{scope.upper()}",
            f"TRACKER_BOARD_{scope.upper()}",
            "full",
            board_mode,
            f"What members see of a {scope} member leaderboard: full, upper_half, "
            "neighbours or own",
        )
        for scope in ("branch", "college", "school")
    ),
    Setting(
        "TRACKER_BOARD_NEIGHBOURS",
        "TRACKER_BOARD_NEIGHBOURS",
        5,
        int,
        "In the neighbours mode, how many members above and below their own a member sees",
    ),
    Setting(
        "TRACKER_BRANCH_PRIOR_MEMBERS",
        "TRACKER_BRANCH_PRIOR_MEMBERS",
        5,
        int,
        "The branch board's adjusted points per member counts each branch as if it had this "
        "many more members earning the college's mean (see the README)",
    ),
    Setting(
        "TRACKER_INACTIVE_DAYS",
        "TRACKER_INACTIVE_DAYS",
        30,
        int,
        "Days without an approved activity after which the committee dashboard lists a "
        "member as inactive",
    ),
    Setting(
        "TRACKER_ACTIVATION_DAYS",
        "TRACKER_ACTIVATION_DAYS",
        14,
        int,
        "How long an account activation link stays valid, in days",
    ),
    Setting(
        "TRACKER_IMPORT_MAX_ROWS",
        "TRACKER_IMPORT_MAX_ROWS",
        10_000,
        int,
        "The most rows one member import file may have (the web page and import-members)",
    ),
    Setting(
        "TRACKER_BASE_URL",
        "TRACKER_BASE_URL",
        "",
        str,
        "The address members open the site at (http://192.168.1.20:5000 to try it on a phone); "
        "QR codes, mailed links and activation links are built with it. Empty: the address of "
        "the request (the command line: http://127.0.0.1:5000)",
    ),
    Setting(
        "TRACKER_MAIL_SERVER",
        "TRACKER_MAIL_SERVER",
        "",
        str,
        "The campus SMTP server that sends password-reset links; empty: no mail, and the login "
        "page tells members to ask for a reset instead",
    ),
    Setting("TRACKER_MAIL_PORT", "TRACKER_MAIL_PORT", 25, int, "Port of the SMTP server"),
    Setting(
        "TRACKER_MAIL_USERNAME",
        "TRACKER_MAIL_USERNAME",
        "",
        str,
        "User name on the SMTP server; empty: no login",
    ),
    Setting("TRACKER_MAIL_PASSWORD", "TRACKER_MAIL_PASSWORD", "", str, "Its password"),
    Setting(
        "TRACKER_MAIL_USE_TLS",
        "TRACKER_MAIL_USE_TLS",
        False,
        flag,
        "TLS from the start (SMTPS, usually port 465)",
    ),
    Setting(
        "TRACKER_MAIL_STARTTLS",
        "TRACKER_MAIL_STARTTLS",
        False,
        flag,
        "STARTTLS after connecting (usually port 587)",
    ),
    Setting(
        "TRACKER_MAIL_SENDER",
        "TRACKER_MAIL_SENDER",
        "",
        str,
        "The From address of the mails, such as 学习积分 <tracker@example.edu.cn>; default: the "
        "user name",
    ),
    Setting(
        "TRACKER_PASSWORD_RESET_MINUTES",
        "TRACKER_PASSWORD_RESET_MINUTES",
        60,
        int,
        "How many minutes a mailed password-reset link works",
    ),
    Setting(
        "TRACKER_REDIS_URL",
        "TRACKER_REDIS_URL",
        "",
        str,
        "Redis for everything several app servers share: the job queue (exports, "
        "rebuilds, imports and reminders run on `flask jobs worker`), and the rate limits "
        "unless TRACKER_RATELIMIT_STORAGE_URI says otherwise; e.g. redis://127.0.0.1:6379/0. "
        "Empty: jobs run inside the request or command that asks for them",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "TRACKER_RATELIMIT_STORAGE_URI",
        "memory://",
        str,
        "Where login attempts and uploads are counted; default TRACKER_REDIS_URL when that "
        "is set, else memory:// (one worker only)",
    ),
    Setting(
        "TRACKER_JOB_QUEUE",
        "TRACKER_JOB_QUEUE",
        "tracker",
        str,
        "The job queue's name in Redis (and the prefix of its keys): two installations "
        "sharing one Redis give theirs different names",
    ),
    Setting(
        "TRACKER_JOB_HEARTBEAT_SECONDS",
        "TRACKER_JOB_HEARTBEAT_SECONDS",
        30,
        int,
        "A running job whose worker has not been heard from for this many seconds is put "
        "back on the queue by the scheduler (the worker was killed or its machine lost)",
    ),
    Setting(
        "TRACKER_EXPORT_JOB_ROWS",
        "TRACKER_EXPORT_JOB_ROWS",
        2000,
        int,
        "An activities export with more rows than this is written by the job worker while "
        "the page shows its progress (only when TRACKER_REDIS_URL is set)",
    ),
    Setting(
        "TRACKER_MEETING_FREQUENCIES",
        "TRACKER_MEETING_FREQUENCIES",
        DEFAULT_MEETING_FREQUENCIES,
        meeting_frequencies,
        "How often each branch must hold each meeting kind, as kind=count/period "
        "(periods: month, quarter, term, year); kinds left out keep the default",
    ),
    Setting(
        "TRACKER_COMPLIANCE_REMIND_DAYS",
        "TRACKER_COMPLIANCE_REMIND_DAYS",
        7,
        int,
        "Days before a required meeting falls overdue that its branch's committee is reminded",
    ),
    Setting(
        "TRACKER_PDF_FONT",
        "TRACKER_PDF_FONT",
        "",
        str,
        "A font file with Chinese characters (.ttf, .otf or .ttc) that PDFs are printed in; "
        "empty: the first found of Debian's fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei",
    ),
    Setting(
        "TRACKER_VERIFY_LIMIT",
        "TRACKER_VERIFY_LIMIT",
        "60 per 10 minutes",
        str,
        "Certificate verification pages (public, no login) one address may open",
    ),
    *SECURITY_SETTINGS,
)
