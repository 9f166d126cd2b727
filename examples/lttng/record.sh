#!/usr/bin/env bash
# Records an LTTng userspace trace of one command with a private session daemon, then stops it.
#
#   examples/lttng/record.sh OUT_DIR COMMAND [ARGS...]
#   examples/lttng/record.sh /tmp/normal build/examples/lttng/augur_lttng_demo --dir /tmp/data
#
# The trace (CTF) lands under OUT_DIR (OUT_DIR/ust/uid/<uid>/64-bit/metadata ...). Root's session
# daemon would use the machine-wide /var/run/lttng, so as root the daemon, the lttng commands and
# COMMAND run as the unprivileged user `nobody` with LTTNG_HOME in a fresh temporary folder: the
# daemon is private to this recording and needs no root. COMMAND must be able to write where it
# writes as that user. AUGUR_LTTNG_EVENTS picks the events (default: all userspace events).
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
out=$1
shift
events=${AUGUR_LTTNG_EVENTS:-*}
for tool in lttng lttng-sessiond; do
  command -v "$tool" >/dev/null || { echo "record.sh: $tool not installed" >&2; exit 3; }
done
home=$(mktemp -d "${TMPDIR:-/tmp}/augur-lttng.XXXXXX")
as=()
if [ "$(id -u)" = 0 ]; then
  chmod 755 "$home"
  chown 65534:65534 "$home"
  as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
run() { "${as[@]}" env LTTNG_HOME="$home" HOME="$home" "$@"; }
cleanup() {
  local pid
  pid=$(cat "$home/.lttng/lttng-sessiond.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$home"
}
trap cleanup EXIT
run lttng-sessiond --no-kernel --daemonize
run lttng create augur --output="$home/trace" >/dev/null
# Small sub-buffers keep short recordings small; enough of them that bursts are not discarded.
run lttng enable-channel -u --subbuf-size=16384 --num-subbuf=16 augur >/dev/null
run lttng enable-event -u -c augur "$events" >/dev/null
run lttng add-context -u -c augur -t vpid -t vtid -t procname >/dev/null
run lttng start >/dev/null
status=0
run "$@" || status=$?
run lttng stop >/dev/null
run lttng destroy >/dev/null
mkdir -p "$out"
cp -r "$home/trace/." "$out/"
exit $status
