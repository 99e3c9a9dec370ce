#!/bin/bash
# Issue 19's check, by hand: two coordinators splitting one fleet on one PostgreSQL (serve
# --partitions 16), the load generator selling (a share of the devices offline for a while), the
# first coordinator SIGKILLed mid-run; the other takes its partitions and the writer lease over,
# and the ledger is checked against what every device had acknowledged (--check-http), then
# `verify --chain`. Run as root from a built tree: B=build/ci DEVICES=500 tools/loadgen/two_coordinators.sh
# (PostgreSQL runs as the user postgres; ports 15432, 18830, 18881, 18882 must be free).
set -euo pipefail
B=$(realpath "${B:-build/ci}")
DEVICES=${DEVICES:-500}
W=$(mktemp -d /tmp/split-run.XXXX); chmod 755 $W
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
mkdir $W/pg $W/pglog && chown postgres $W/pg $W/pglog
runuser -u postgres -- $PGBIN/initdb -D $W/pg -A trust -U stockwire >/dev/null
PGPORT=15432
runuser -u postgres -- $PGBIN/pg_ctl -D $W/pg -o "-p $PGPORT -k $W/pg -c listen_addresses=127.0.0.1" -l $W/pg/../pglog/pg.log start >/dev/null
trap 'kill $(jobs -p) 2>/dev/null || true; runuser -u postgres -- $PGBIN/pg_ctl -D $W/pg stop -m immediate >/dev/null 2>&1 || true' EXIT
sleep 2
runuser -u postgres -- $PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U stockwire ledger
URL="postgresql://stockwire@127.0.0.1:$PGPORT/ledger"
cat > $W/mosquitto.conf <<EOC
listener 18830 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 0
max_inflight_messages 0
EOC
mosquitto -c $W/mosquitto.conf > $W/mosquitto.log 2>&1 &
$B/tools/loadgen/stockwire-loadgen fleet-csv --devices $DEVICES --prefix lg > $W/fleet.csv
for c in a b; do
  $B/coordinator/stockwire-coordinator device import --db $W/local-$c.db --csv $W/fleet.csv > /dev/null
done
$B/coordinator/stockwire-coordinator token create --db $W/local-b.db --name loadgen --role viewer > $W/token
$B/coordinator/stockwire-coordinator token create --db $W/local-a.db --name loadgen --role viewer > $W/token-a
start() {
  $B/coordinator/stockwire-coordinator serve --broker tcp://127.0.0.1:18830 --db $URL --local-db $W/local-$1.db \
    --client-id coord-$1 --partitions 16 --ledger-lease-ms 2000 --http 127.0.0.1:$2 > $W/coord-$1.log 2>&1 &
  echo $!
}
A=$(start a 18881); sleep 2
Bp=$(start b 18882); sleep 3
$B/tools/loadgen/stockwire-loadgen run --broker tcp://127.0.0.1:18830 --devices $DEVICES --prefix lg --seconds 40 --rate 200 \
  --offline-share 0.2 --offline-at-s 5 --offline-s 15 \
  --report $W/report.json --check-http 127.0.0.1:18882 --token-file $W/token > $W/loadgen.log 2>&1 &
LG=$!
sleep 15
curl -s -H "Authorization: Bearer $(cat $W/token-a)" 127.0.0.1:18881/metrics | grep -E "^stockwire_(partitions_held|ingest_events_applied_total)" | sed 's/^/a: /' || true
curl -s -H "Authorization: Bearer $(cat $W/token)" 127.0.0.1:18882/metrics | grep -E "^stockwire_(partitions_held|ingest_events_applied_total)" | sed 's/^/b: /' || true
echo "SIGKILL coordinator a at $(date +%T)"; kill -9 $A
set +e
wait $LG; RC=$?
set -e
tail -15 $W/loadgen.log
curl -s -H "Authorization: Bearer $(cat $W/token)" 127.0.0.1:18882/metrics | grep -E "^stockwire_(partitions_held|ingest_events_applied_total|partitions_taken)" | sed 's/^/b: /' || true
grep -c "took the writer lease over" $W/coord-b.log || true
$B/coordinator/stockwire-coordinator verify --db $URL --chain && echo "verify: ok"
echo "loadgen rc $RC; dir $W"
