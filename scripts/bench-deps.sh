#!/usr/bin/env bash
# Installs what `make bench` compares against, only what is missing.
set -euo pipefail
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v stunnel4 >/dev/null || need+=(stunnel4)
command -v wrk >/dev/null || need+=(wrk)
command -v oathtool >/dev/null || need+=(oathtool)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
# The scale-out part: instances on PostgreSQL behind HAProxy.
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
