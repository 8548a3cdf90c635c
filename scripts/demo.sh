#!/usr/bin/env bash
# `make demo`: a whole burrow on this machine, on loopback, under ./.demo (wiped first):
# a server, a logged-in admin CLI, a stand-in WebUI, a node "demo-node" whose agent
# tunnels to the server, and an open WebUI session. Stays in the foreground; Ctrl-C
# stops every process it started and ends with status 0.
set -euo pipefail
cd "$(dirname "$0")/.."

# Ctrl-C signals the terminal's whole foreground process group, make included, and make
# answers a signal by dying of it ("make: *** [demo] Interrupt" or "Error 1") whatever the
# recipe does. So on a terminal the demo runs as a job of its own (job control puts it in
# its own process group and hands it the terminal): Ctrl-C reaches only the demo, which
# cleans up and exits 0, and make sees a recipe that succeeded.
if [ -t 0 ] && [ -z "${BURROW_DEMO_JOB:-}" ]; then
  set -m
  status=0
  BURROW_DEMO_JOB=1 bash "$0" "$@" || status=$?
  exit "$status"
fi

# BURROW_DEMO_DIR: where the demo keeps its state (./.demo unless told; wiped first).
DEMO=${BURROW_DEMO_DIR:-.demo}
BURROW=./bin/burrow
EMAIL=admin@demo.local
pids=()

log() { printf '[demo] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -eq 0 ] && return
  log "stopping ${#pids[@]} processes..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  log "stopped. State and logs stay in $DEMO/ until the next 'make demo'."
}
trap cleanup EXIT
# Ctrl-C is how the demo is meant to end: clean up and report success.
trap 'exit 0' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

[ -f dist/src/bundle/main.js ] || die "not built; run 'make demo' (it builds first)"

# A port free on 127.0.0.1: $1 if free, else one the kernel picks.
free_port() {
  node -e '
    const net = require("node:net");
    const tryListen = (p) => new Promise((ok) => { const s = net.createServer(); s.once("error", () => ok(0)); s.listen(p, "127.0.0.1", () => { const a = s.address().port; s.close(() => ok(a)); }); });
    (async () => { let p = Number(process.argv[1]) ? await tryListen(Number(process.argv[1])) : 0; if (!p) p = await tryListen(0); console.log(p); })();
  ' "${1:-0}"
}

# Reads one field of a JSON document on stdin.
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }

# Polls a command until it succeeds (at most $1 seconds).
wait_until() {
  local secs=$1; shift
  for _ in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

totp() {
  if command -v oathtool >/dev/null; then oathtool --totp -b "$1"
  else node -e 'import("speakeasy").then(({default: s}) => console.log(s.totp({ secret: process.argv[1], encoding: "base32" })))' "$1"; fi
}

rm -rf "$DEMO"
mkdir -p "$DEMO"
chmod 700 "$DEMO"

# --- server -------------------------------------------------------------------------
PORT=$(free_port 8443)
[ "$PORT" = 8443 ] || log "port 8443 is taken; using $PORT"
node -e 'process.stdout.write(require("node:crypto").randomBytes(12).toString("base64url"))' > "$DEMO/admin-password"
chmod 600 "$DEMO/admin-password"
PASSWORD=$(cat "$DEMO/admin-password")
log "initializing the server in $DEMO/server"
# Each WebUI session gets a host of its own under sessions.localhost: browsers resolve every
# name under localhost to this machine themselves, so the demo needs no DNS record.
SESSION_DOMAIN=sessions.localhost
INIT=$($BURROW server init --home "$DEMO/server" --listen "127.0.0.1:$PORT" --admin-email "$EMAIL" \
  --admin-password-file "$DEMO/admin-password" --session-domain "$SESSION_DOMAIN" --json)
URL=$(json_field url <<<"$INIT")
SECRET=$(json_field totpSecret <<<"$INIT")
PIN=$(json_field fingerprint <<<"$INIT")
# Keep session ports on loopback too (the default binds every interface).
node -e 'const f=process.argv[1], fs=require("node:fs"); const c=JSON.parse(fs.readFileSync(f,"utf8")); c.sessionHost="127.0.0.1"; fs.writeFileSync(f, JSON.stringify(c,null,2)+"\n")' "$DEMO/server/server.json"

log "starting the server on $URL (log: $DEMO/server.log)"
# Each daemon runs in a session of its own: Ctrl-C reaches the script alone, which stops
# them (a daemon stopped by the terminal instead would look like one that crashed).
setsid $BURROW server start --home "$DEMO/server" >"$DEMO/server.log" 2>&1 &
pids+=($!)
SERVER_PID=$!
healthz() { node -e '
  require("node:https").get(process.argv[1] + "/healthz", { rejectUnauthorized: false }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1));
' "$URL"; }
wait_until 20 healthz || { tail -20 "$DEMO/server.log" >&2; die "the server did not come up"; }

# --- admin login --------------------------------------------------------------------
log "logging in as $EMAIL (password + TOTP)"
$BURROW admin login --home "$DEMO/admin" --server "$URL" --email "$EMAIL" --password-file "$DEMO/admin-password" \
  --totp "$(totp "$SECRET")" --fingerprint "$PIN" >/dev/null

# --- the demo node ------------------------------------------------------------------
WEBUI_PORT=$(free_port)
setsid node scripts/demoWebUi.mjs "$WEBUI_PORT" >"$DEMO/webui.log" 2>&1 &
pids+=($!)
WEBUI_PID=$!
TOKEN=$($BURROW admin enroll-token create --home "$DEMO/admin" --auto-approve --json | json_field token)
log "enrolling demo-node (its WebUI: http://127.0.0.1:$WEBUI_PORT/)"
$BURROW node enroll "$URL" --token "$TOKEN" --name demo-node --service "webui=127.0.0.1:$WEBUI_PORT" --home "$DEMO/node" >/dev/null
log "starting the node agent (log: $DEMO/node.log)"
setsid $BURROW node run --home "$DEMO/node" >"$DEMO/node.log" 2>&1 &
pids+=($!)
NODE_PID=$!
connected() { $BURROW node status --home "$DEMO/node" --json | json_field connected | grep -qx true; }
wait_until 20 connected || { tail -20 "$DEMO/node.log" >&2; die "the node agent did not connect"; }

SESSION=$($BURROW admin session open demo-node --home "$DEMO/admin" --json)
SESSION_URL=$(json_field url <<<"$SESSION")
SESSION_ID=$(json_field id <<<"$SESSION")
SESSION_HOST=$(node -e 'console.log(new URL(process.argv[1]).host)' "$SESSION_URL")
printf '%s\n' "$SESSION_URL" > "$DEMO/session-url"

cat <<INFO

================================ burrow demo is running ================================

Console / API:   $URL   (open it in a browser and sign in as below)
                 (self-signed certificate; its pin is $PIN)
Admin login:     email     $EMAIL
                 password  $PASSWORD      (also in $DEMO/admin-password)
                 TOTP      secret $SECRET
                           get a code with:  oathtool --totp -b $SECRET
                           (or add the secret to any authenticator app)

Node:            demo-node, online; its local WebUI (http://127.0.0.1:$WEBUI_PORT/) is exposed as "webui"

Open this WebUI session in a browser on this machine (expect a certificate warning,
the certificate is self-signed). It has a host of its own under $SESSION_DOMAIN, which
browsers resolve to this machine by themselves; the link works once, in one browser:

    $SESSION_URL

(curl and other tools do not resolve names under localhost: for curl add
 --resolve ${SESSION_HOST}:127.0.0.1 -k)

Try these (the admin CLI is already logged in; its state is in $DEMO/admin):

    $BURROW admin nodes --home $DEMO/admin
    $BURROW admin session list --home $DEMO/admin
    $BURROW admin session open demo-node --home $DEMO/admin
    $BURROW admin session close $SESSION_ID --home $DEMO/admin
    $BURROW node status --home $DEMO/node

Logs: $DEMO/server.log, $DEMO/node.log. Press Ctrl-C to stop everything.
=========================================================================================
INFO

# Stay in the foreground; leave (and clean up) if a daemon dies on its own.
while true; do
  for pid in "$SERVER_PID" "$NODE_PID" "$WEBUI_PID"; do
    kill -0 "$pid" 2>/dev/null || die "process $pid exited on its own; see the logs in $DEMO/"
  done
  sleep 1 &
  wait $! || true
done
