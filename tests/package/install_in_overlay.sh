#!/bin/sh
# Installs .deb packages with dpkg as an admin would, but into an overlay over / inside a private
# mount namespace, so the machine itself is untouched; then runs the daemons as the user the
# packages made (after an upgrade from an earlier version of the same packages with sales waiting
# unsent in the till's outbox, which must all reach the ledger), reinstalls (a config edit kept)
# and purges. Prints one "name=value"
# line per fact for tests/package/package_test.cpp to check.
# Usage, as root: unshare -m --propagation private tests/package/install_in_overlay.sh WORK BROKER_URL DEB...
set -eu
work=$1
broker=$2
shift 2
mkdir -p "$work/upper" "$work/work" "$work/root"
if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root" 2>"$work/mount.log"; then
  echo "overlay=unavailable"
  exit 0
fi
root=$work/root
mount --bind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
mkdir -p "$root/tmp/debs"
cp "$@" "$root/tmp/debs/"
debs=$(cd "$root/tmp/debs" && for f in *.deb; do printf '/tmp/debs/%s ' "$f"; done)

in_root() { chroot "$root" "$@"; }

# Waits (up to 30 s) for a daemon's "listening" line on stdout.
wait_listening() {
  i=0
  while [ $i -lt 300 ]; do
    grep -q '^listening ' "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}

# First an earlier version, then the upgrade to these with sales waiting unsent. The same packages
# are rebuilt as an earlier version ("~prev" sorts before the version itself), so dpkg runs a real
# upgrade from it: prerm upgrade, the new files, postinst configure with the old version. The binaries are this build's either way; the
# schema upgrades themselves are tested beside each store (tests/README.md).
mkdir -p "$root/tmp/prev"
prev_debs=
for f in "$root"/tmp/debs/*.deb; do
  name=$(basename "$f" .deb)
  dpkg-deb -R "$f" "$work/prev-$name"
  sed -i 's/^Version: \(.*\)$/Version: \1~prev/' "$work/prev-$name/DEBIAN/control"
  dpkg-deb -b "$work/prev-$name" "$root/tmp/prev/$name.deb" >/dev/null
  prev_debs="$prev_debs /tmp/prev/$name.deb"
done
new_version=$(dpkg-deb -f "$1" Version)
if in_root dpkg -i $prev_debs >"$work/prev-install.log" 2>&1; then echo "prev_install=ok"; else echo "prev_install=failed"; fi
echo "prev_version=$(in_root dpkg-query -W -f='${Version}' stockwire-agent)"
chroot --userspec=stockwire:stockwire "$root" /usr/bin/stockwire-coordinator device add --db /var/lib/stockwire/ledger.db \
  --device till-1 --location store-1 --role pos >"$work/device-add.log" 2>&1 || echo "device_add=failed"
# The till sells while it cannot reach the broker (port 9 is discard, closed here): the sales wait in
# its outbox.
chroot --userspec=stockwire:stockwire "$root" /usr/bin/stockwire-agent run --config /etc/stockwire/agent.json \
  --broker tcp://127.0.0.1:9 --http 127.0.0.1:0 >"$work/agent-prev.out" 2>"$work/agent-prev.err" &
pid=$!
sold=0
if wait_listening "$work/agent-prev.out" $pid; then
  url=$(sed -n 's/^listening //p' "$work/agent-prev.out" | head -n 1)
  for i in 1 2 3 4 5; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "Idempotency-Key: upgrade-$i" \
      -d '{"lines":[{"sku":"UPG-1","qty":1,"unit_price":"2.50"}]}' "$url/v1/sales" || true)
    [ "$code" = 201 ] && sold=$((sold + 1))
  done
fi
echo "sold_before_upgrade=$sold"
kill -TERM $pid 2>/dev/null || true
wait $pid || true
if in_root dpkg -i $debs >"$work/install.log" 2>&1; then echo "install=ok"; else echo "install=failed"; exit 0; fi
echo "upgraded_to=$([ "$(in_root dpkg-query -W -f='${Version}' stockwire-agent)" = "$new_version" ] && echo new || echo old)"
# After the upgrade: the coordinator and the till on the broker; every sale reaches the ledger once.
chroot --userspec=stockwire:stockwire "$root" /usr/bin/stockwire-coordinator serve --config /etc/stockwire/coordinator.json \
  --broker "$broker" --http 127.0.0.1:0 >"$work/coordinator-up.out" 2>"$work/coordinator-up.err" &
cpid=$!
chroot --userspec=stockwire:stockwire "$root" /usr/bin/stockwire-agent run --config /etc/stockwire/agent.json \
  --broker "$broker" --http 127.0.0.1:0 >"$work/agent-up.out" 2>"$work/agent-up.err" &
apid=$!
synced=0
i=0
while [ $i -lt 300 ]; do
  synced=$(sqlite3 "file:$root/var/lib/stockwire/ledger.db?mode=ro" \
    "SELECT count(*) FROM v_movements WHERE device_id = 'till-1' AND sku = 'UPG-1' AND kind = 'sale'" 2>/dev/null || echo 0)
  [ "$synced" -ge "$sold" ] && [ "$sold" -gt 0 ] && break
  kill -0 $cpid 2>/dev/null && kill -0 $apid 2>/dev/null || break
  sleep 0.1
  i=$((i + 1))
done
echo "synced_after_upgrade=$synced"
kill -TERM $apid $cpid 2>/dev/null || true
wait $apid || true
wait $cpid || true
echo "user=$(in_root getent passwd stockwire | cut -d: -f1,6,7)"
echo "group=$(in_root getent group stockwire | cut -d: -f1)"
echo "datadir=$(in_root stat -c '%a %U %G' /var/lib/stockwire)"
echo "conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' stockwire-agent stockwire-coordinator | awk 'NF { printf "%s ", $1 }')"

# daemon NAME COMMAND: run as stockwire on its packaged config (the broker is this test's).
daemon() {
  chroot --userspec=stockwire:stockwire "$root" /usr/bin/stockwire-$1 $2 --config /etc/stockwire/$1.json \
    --broker "$broker" --http 127.0.0.1:0 >"$work/$1.out" 2>"$work/$1.err" &
  pid=$!
  if wait_listening "$work/$1.out" $pid; then echo "$1=listening"; else echo "$1=failed"; fi
  kill -TERM $pid 2>/dev/null || true
  status=0
  wait $pid || status=$?
  echo "$1_exit=$status"
}
daemon coordinator serve
daemon agent run
echo "ledger=$(in_root stat -c '%a %U' /var/lib/stockwire/ledger.db)"
echo "store=$(in_root stat -c '%a %U' /var/lib/stockwire/agent.db)"

# The upgrade path (postinst configure with the version before) keeps an edited conffile.
sed -i 's/"log_level": "info"/"log_level": "warn"/' "$root/etc/stockwire/coordinator.json"
if in_root dpkg -i $debs >"$work/reinstall.log" 2>&1; then echo "reinstall=ok"; else echo "reinstall=failed"; fi
echo "edited_config=$(grep -c '"log_level": "warn"' "$root/etc/stockwire/coordinator.json" || true)"
echo "datadir_after_reinstall=$(in_root stat -c '%a %U' /var/lib/stockwire)"

if in_root dpkg --purge stockwire-agent stockwire-coordinator stockwire-provision stockwire-tools >"$work/purge.log" 2>&1; then
  echo "purge=ok"
else
  echo "purge=failed"
fi
echo "binary_after_purge=$([ -e "$root/usr/bin/stockwire-agent" ] && echo present || echo gone)"
echo "config_after_purge=$([ -e "$root/etc/stockwire/coordinator.json" ] && echo present || echo gone)"
echo "ledger_after_purge=$([ -e "$root/var/lib/stockwire/ledger.db" ] && echo kept || echo gone)"
