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
# A real TCP balancer that sends the PROXY protocol v2 (e2e/haproxy.test.ts).
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
# A real OpenSSH server and client for `burrow tcp --stdio` as a ProxyCommand.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
# systemd-analyze checks the service units; systemd-notify tells a Type=notify unit the server is ready.
command -v systemd-analyze >/dev/null && command -v systemd-notify >/dev/null || need+=(systemd)
# promtool (Prometheus) validates what /metrics exposes.
command -v promtool >/dev/null || need+=(prometheus)
# PostgreSQL, the second store engine: tests start throwaway clusters with its initdb and pg_ctl.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
