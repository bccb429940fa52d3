#!/usr/bin/env bash
# Nightly backups (cron: 30 2 * * * iap /opt/iap-registry/deploy/backup.sh):
# the database's own dump, and a GeoPackage registry that QGIS opens and
# `iap-registry copy` restores into any store.
#
# Both hold password hashes, contact data and the history: they are written readable by
# their owner only (umask 077). The database password never appears in a command's
# arguments (any user of the machine reads those in the process list): IAP_REGISTRY_DB
# names the database without it, and PostgreSQL's client library (pg_dump's and the
# registry's alike) reads it from the PGPASSFILE that /etc/iap-registry.env names.
# IAP_REGISTRY_ENV_FILE, IAP_REGISTRY_BACKUP_DIR and IAP_REGISTRY_HOME move the settings
# file, the backups and the installation (tests/e2e/test_deployment.py runs it so).
set -euo pipefail
umask 077
set -a  # the settings reach pg_dump and iap-registry through the environment
source "${IAP_REGISTRY_ENV_FILE:-/etc/iap-registry.env}"
set +a
: "${PGPASSFILE:?set PGPASSFILE in /etc/iap-registry.env (see the README)}"
day=$(date +%F)
dest="${IAP_REGISTRY_BACKUP_DIR:-/var/backups/iap-registry}"
home="${IAP_REGISTRY_HOME:-/opt/iap-registry}"
mkdir -p "$dest"
pg_dump --format=custom --file="$dest/iap_registry-$day.dump" --dbname="$IAP_REGISTRY_DB"
"$home/.venv/bin/iap-registry" backup "$dest/iap_registry-$day.gpkg"
find "$dest" -name 'iap_registry-*' -mtime +30 -delete
