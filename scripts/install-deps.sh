#!/usr/bin/env bash
# Installs the system packages tudi needs on Debian when they are missing:
# PostgreSQL 15 with PostGIS 3 (the embedded database). With --test it also
# installs what the test suite uses: GDAL (ogrinfo/ogr2ogr as real clients),
# Chromium and CJK fonts (the browser test). Run as root it installs; as
# another user it says what to install.
set -euo pipefail

want=()
pgbin=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$pgbin" ] || [ ! -x "$pgbin/postgres" ]; then
  want+=(postgresql-15)
fi
if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
  want+=(postgresql-15-postgis-3)
fi
if [ "${1:-}" = "--test" ]; then
  command -v ogrinfo >/dev/null 2>&1 || want+=(gdal-bin)
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
  [ -d /usr/share/fonts/opentype/noto ] || want+=(fonts-noto-cjk)
fi
if [ ${#want[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "tudi needs these Debian packages: ${want[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${want[*]}" >&2
  exit 1
fi
echo "installing: ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
