#!/bin/sh
# One backup named by the time (UTC) in BACKUP_DIR, then the backups there older than
# BACKUP_KEEP_DAYS days are removed: only after a backup succeeded, so a run of failures
# never eats the last good ones. Used by systemd/tracker-backup.service.
set -eu
dir=${BACKUP_DIR:?BACKUP_DIR names the folder of the backups}
keep=${BACKUP_KEEP_DAYS:-14}
flask=${FLASK:-flask}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
"$flask" --app tracker backup "$dir/tracker-$stamp.tar.gz"
find "$dir" -maxdepth 1 -type f -name 'tracker-*.tar.gz' -mtime +"$keep" -print -delete
