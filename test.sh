#!/usr/bin/env bash
# Runs every test of Switchboard. Installs what the tests need when it is missing (Debian's chromium and
# PostgreSQL 15), starts a throwaway PostgreSQL cluster in a temporary folder, builds, checks formatting, runs the
# suites, and stops the cluster again. Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# A throwaway PostgreSQL: its own folder, port and socket; trust auth on loopback only. fsync stays on: the
# tests check durability, not speed.
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgdir=$(mktemp -d /tmp/switchboard-pg.XXXXXX)
pgport=${SWITCHBOARD_TEST_PG_PORT:-55432}
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
cleanup() {
  run_pg "$pgbin/pg_ctl -D $pgdir/data -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
echo "==> starting PostgreSQL ($pgbin) on 127.0.0.1:$pgport"
run_pg "$pgbin/initdb -D $pgdir/data -A trust -U postgres -E UTF8 --no-sync" >/dev/null
run_pg "$pgbin/pg_ctl -D $pgdir/data -l $pgdir/log -w -o \"-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=300\" start" >/dev/null
export SWITCHBOARD_TEST_PG="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20"

echo "==> building"
dotnet build Switchboard.sln -c Release -nologo -v q

echo "==> checking formatting (dotnet format --verify-no-changes)"
dotnet format Switchboard.sln --verify-no-changes --no-restore -v q

echo "==> running tests"
results=$(mktemp -d)
status=0
for project in tests/Switchboard.Domain.Tests tests/Switchboard.Tests; do
  dotnet test "$project" -c Release --no-build -nologo --logger "trx;LogFilePrefix=$(basename "$project")" \
    --results-directory "$results" "$@" || status=1
done

# One closing line for the whole run, counted from the result files.
python3 - "$results" <<'PY' || true
import sys, glob, re
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    t = open(f, encoding="utf-8").read()
    m = re.search(r'<Counters [^>]*', t)
    if not m: continue
    c = dict(re.findall(r'(\w+)="(\d+)"', m.group(0)))
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
