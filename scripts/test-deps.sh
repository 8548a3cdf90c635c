#!/usr/bin/env bash
# Installs the Debian packages that tests use as real peers, only those missing.
set -euo pipefail
need=()
command -v oathtool >/dev/null || need+=(oathtool)
command -v openssl >/dev/null || need+=(openssl)
# A real HTTP proxy (Basic and Digest auth) for the agent's CONNECT path.
[ -x /usr/sbin/squid ] || need+=(squid)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
