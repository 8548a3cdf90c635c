#!/usr/bin/env bash
# Installs the Debian packages that tests use as real peers, only those missing.
set -euo pipefail
need=()
command -v oathtool >/dev/null || need+=(oathtool)
command -v openssl >/dev/null || need+=(openssl)
command -v sqlite3 >/dev/null || need+=(sqlite3)
# The console's browser tests drive Debian's Chromium through playwright-core (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# A real HTTP proxy (Basic and Digest auth) for the agent's CONNECT path.
[ -x /usr/sbin/squid ] || need+=(squid)
# PostgreSQL, the second store engine: tests start throwaway clusters with its initdb and pg_ctl.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
