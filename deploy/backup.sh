#!/usr/bin/env bash
# Nightly backups (cron: 30 2 * * * iap /opt/iap-registry/deploy/backup.sh):
# the database's own dump, and a GeoPackage registry that QGIS opens and
# `iap-registry copy` restores into any store.
set -euo pipefail
source /etc/iap-registry.env
day=$(date +%F)
dest=/var/backups/iap-registry
mkdir -p "$dest"
pg_dump --format=custom --file="$dest/iap_registry-$day.dump" "$IAP_REGISTRY_DB"
/opt/iap-registry/.venv/bin/iap-registry --db "$IAP_REGISTRY_DB" backup "$dest/iap_registry-$day.gpkg"
find "$dest" -name 'iap_registry-*' -mtime +30 -delete
