#!/usr/bin/env bash
# Install the Debian packages the project needs when they are missing: with apt-get when
# running as root, otherwise print the exact command to run and fail.
# --test adds what the test suite needs beyond the service (a browser, fonts, GDAL).
# --bench adds what the benchmarks need (wrk, an HTTP load generator; a browser).
set -euo pipefail

packages=()
if [ -z "${DATABASE_URL:-}" ]; then
  # the private cluster needs a local PostgreSQL 15 server with PostGIS and pgRouting
  packages+=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting)
fi
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
if [ "${1:-}" = "--test" ]; then
  # the test suite drives pages in a real headless browser, with Chinese fonts, and reads
  # /ogc with GDAL's OGC API Features driver (ogrinfo)
  packages+=(chromium fonts-wqy-microhei gdal-bin)
fi
if [ "${1:-}" = "--bench" ]; then
  # bench nearest loads the running service with wrk; bench map_page opens /map in Chromium
  packages+=(wrk chromium fonts-wqy-microhei)
fi
packages+=(${EXTRA_SYSTEM_PACKAGES:-})

missing=()
for p in "${packages[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Run as root:  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
sh -c "$cmd"
