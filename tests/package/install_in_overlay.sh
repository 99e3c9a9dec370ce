#!/bin/sh
# Installs .deb packages with dpkg as an admin would, but into an overlay over / inside a private
# mount namespace, so the machine itself is untouched; then runs the daemons as the user the
# packages made, reinstalls (the upgrade path, a config edit kept) and purges. Prints one
# "name=value" line per fact for tests/package/package_test.cpp to check.
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

if in_root dpkg -i $debs >"$work/install.log" 2>&1; then echo "install=ok"; else echo "install=failed"; exit 0; fi
echo "user=$(in_root getent passwd stockwire | cut -d: -f1,6,7)"
echo "group=$(in_root getent group stockwire | cut -d: -f1)"
echo "datadir=$(in_root stat -c '%a %U %G' /var/lib/stockwire)"
echo "conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' stockwire-agent stockwire-coordinator | awk 'NF { printf "%s ", $1 }')"

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
