#!/usr/bin/env bash
# A real Apache Kafka broker for local dev and tests, without Docker.
#
#   infra/kafka/kafka-local.sh start    fetch (once, cached) + start a single-node KRaft broker on 127.0.0.1;
#                                       prints KAFKA_BROKERS=127.0.0.1:PORT (reuses a running one: idempotent),
#                                       and KAFKA_TLS_BROKERS (SSL, client certificate required), KAFKA_SASL_BROKERS
#                                       (SASL_SSL: PLAIN, SCRAM-SHA-256/512) and KAFKA_TLS_DIR (their CA, client
#                                       certificate and key, SASL user and password, made by openssl at start)
#   infra/kafka/kafka-local.sh stop     stop it and delete its data dir
#   infra/kafka/kafka-local.sh status   exit 0 and print KAFKA_BROKERS=... if running, exit 3 if not
#   infra/kafka/kafka-local.sh fetch    only fetch the jars into the cache (e.g. a CI warm-up step)
#   infra/kafka/kafka-local.sh logs     tail the broker log
#
# Apache Kafka's own jars come from Maven Central through `mvn` (infra/kafka/pom.xml); see infra/kafka/README.md.
#
# Environment (all optional):
#   AGENTWATCH_KAFKA_VERSION        Kafka version (default 3.9.2; any 3.9.x)
#   AGENTWATCH_KAFKA_CACHE          jar cache dir (default ~/.cache/agentwatch/kafka-$VERSION)
#   AGENTWATCH_KAFKA_PORT           broker port (default: a free port)
#   AGENTWATCH_KAFKA_CONTROLLER_PORT  KRaft controller port (default: a free port)
#   AGENTWATCH_KAFKA_STATE_DIR      pid/port files and broker logs (default infra/kafka/.run). One broker per state
#                                   dir: test runs use their own (test/support/kafka.ts) so they never share one.
#   AGENTWATCH_KAFKA_START_TIMEOUT  seconds to wait for the broker (default 90)
#   AGENTWATCH_KAFKA_HEAP_OPTS      default "-Xmx512m -Xms128m"
#   AGENTWATCH_KAFKA_JAVA_OPTS      extra JVM options for the broker
#   AGENTWATCH_KAFKA_OWNER_PID      stop the broker as soon as this process is gone (test runners pass their pid)
#   AGENTWATCH_KAFKA_MAX_LIFETIME   stop the broker after this many seconds whatever happens (default: no limit)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
KAFKA_VERSION=${AGENTWATCH_KAFKA_VERSION:-3.9.2}
CACHE=${AGENTWATCH_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentwatch/kafka-$KAFKA_VERSION}
LIBS=$CACHE/libs
STATE=${AGENTWATCH_KAFKA_STATE_DIR:-$HERE/.run}
HOST=127.0.0.1
START_TIMEOUT=${AGENTWATCH_KAFKA_START_TIMEOUT:-90}
HEAP_OPTS=${AGENTWATCH_KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}
# Short-lived JVMs (storage format) start faster with C1 only.
TOOL_JAVA_OPTS="-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true"

log() { printf '[kafka-local] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

lock() {
  mkdir -p "$STATE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE/lock"
    flock -w 900 9 || die "could not lock $STATE/lock within 900 s"
  fi
}

# --- fetch -------------------------------------------------------------------------------------------------------
have_libs() { [[ -f $LIBS/.complete && $(cat "$LIBS/.complete") == "$KAFKA_VERSION" ]]; }

fetch() {
  have_libs && return 0
  mkdir -p "$CACHE"
  # The cache is shared by every state dir (each test run has its own): one fetch at a time, on fd 8.
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$CACHE/fetch.lock"
    flock -w 900 8 || die "could not lock $CACHE/fetch.lock within 900 s"
  fi
  if have_libs; then
    exec 8>&-
    return 0
  fi
  fetch_locked
  exec 8>&-
}

fetch_locked() {
  command -v java >/dev/null 2>&1 || die "java not found (Kafka needs a JRE 11+; OpenJDK 17 is what we test with)"
  command -v mvn >/dev/null 2>&1 || die "mvn not found: it is how the Kafka jars are fetched from Maven Central"
  local tmp="$CACHE/libs.partial.$$" t0=$SECONDS
  rm -rf "$CACHE"/libs.partial.* # left by a fetch that was killed
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS (once; cached afterwards) ..."
  if ! mvn -B -q -ntp -Dstyle.color=never -f "$HERE/pom.xml" \
      -Dmaven.repo.local="$CACHE/m2" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
      >"$CACHE/fetch.log" 2>&1 </dev/null; then
    tail -n 40 "$CACHE/fetch.log" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
    rm -rf "$tmp"
    die "mvn could not fetch Kafka $KAFKA_VERSION (full log: $CACHE/fetch.log)"
  fi
  [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar && -f $tmp/kafka-clients-$KAFKA_VERSION.jar ]] ||
    die "mvn finished but the Kafka jars are missing from $tmp"
  echo "$KAFKA_VERSION" >"$tmp/.complete"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - t0)) s"
}

# --- helpers -----------------------------------------------------------------------------------------------------
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# N free loopback ports (default 2), space-separated. The kernel picks them (bind to port 0) when node or python is there.
free_ports() {
  local n=${1:-2}
  if command -v node >/dev/null 2>&1; then
    node -e '
      const net = require("node:net");
      const take = () => new Promise((ok, ko) => { const s = net.createServer(); s.unref(); s.on("error", ko);
        s.listen(0, "127.0.0.1", () => ok(s)); });
      Promise.all(Array.from({ length: Number(process.argv[1]) }, take)).then((ss) => {
        console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });' "$n"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$n"
  else
    local out=() p
    while ((${#out[@]} < n)); do
      p=$((20000 + RANDOM % 30000))
      [[ " ${out[*]} " != *" $p "* ]] && ! port_open "$p" && out+=("$p")
    done
    echo "${out[*]}"
  fi
}

# Certificates for the SSL and SASL_SSL listeners, made fresh for each broker in DIR (P-256 keys: milliseconds):
# ca.pem/ca.key (the test CA), broker.keystore.pem (key + certificate for 127.0.0.1 and localhost, the PEM keystore
# Kafka reads), client.pem/client.key (a client certificate the CA signed), sasl-user/sasl-password (the SCRAM and
# PLAIN user). Valid two days.
make_tls() {
  local dir=$1
  command -v openssl >/dev/null 2>&1 || die "openssl not found: it makes the certificates of the TLS listeners"
  mkdir -p "$dir"
  (
    cd "$dir"
    umask 077
    local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${key[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=agentwatch-test-ca 2>/dev/null
    openssl req "${key[@]}" -keyout broker.key -out broker.csr -subj /CN=localhost 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.pem -days 2 -extfile broker.ext 2>/dev/null
    cat broker.key broker.pem >broker.keystore.pem
    openssl req "${key[@]}" -keyout client.key -out client.csr -subj /CN=agentwatch-test-client 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null
    rm -f ./*.csr broker.ext
    echo agentwatch >sasl-user
    head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >sasl-password
  ) || true
  [[ -s $dir/broker.keystore.pem && -s $dir/client.pem && -s $dir/sasl-password ]] ||
    die "openssl could not make the test certificates in $dir"
}

read_state() { cat "$STATE/$1" 2>/dev/null || true; }

# Is PID our broker (a live kafka.Kafka JVM whose command line names our data dir)? Guards against pid reuse.
is_broker() {
  local pid=$1 data=$2
  [[ -n $pid && -n $data ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *kafka.Kafka* && $cmd == *"$data"* ]]
}

running() { is_broker "$(read_state pid)" "$(read_state data-dir)" && port_open "$(read_state port)"; }

# KAFKA_BROKERS is the PLAINTEXT listener; the others are for the security tests (KAFKA_TLS_DIR: ca.pem, client.pem,
# client.key, sasl-user, sasl-password).
print_brokers() {
  echo "KAFKA_BROKERS=$HOST:$(read_state port)"
  if [[ -n $(read_state tls-port) ]]; then
    echo "KAFKA_TLS_BROKERS=$HOST:$(read_state tls-port)"
    echo "KAFKA_SASL_BROKERS=$HOST:$(read_state sasl-port)"
    echo "KAFKA_TLS_DIR=$(read_state data-dir)/tls"
  fi
}

remove_data_dir() {
  local d=$1
  # Only ever delete what this script created.
  [[ -n $d && $(basename "$d") == agentwatch-kafka.* && -d $d ]] && rm -rf "$d"
  return 0
}

# --- start -------------------------------------------------------------------------------------------------------
start() {
  lock
  if running; then
    log "reusing the running broker (pid $(read_state pid))"
    print_brokers
    echo "KAFKA_STARTED=reused"
    return 0
  fi
  # Leftovers of a broker that died or was killed.
  stop_locked quiet

  fetch
  local attempt rc
  for attempt in 1 2 3; do
    rc=0
    launch || rc=$?
    # 75: a free port was taken by someone else between picking it and the broker binding it; pick again.
    [[ $rc == 75 && $attempt -lt 3 ]] || break
    log "port taken meanwhile, retrying with other ports"
  done
  ((rc == 0)) || die "the broker did not start (logs: $STATE/logs)"
}

# One start attempt with the jars in place and the lock held. Returns 75 if a picked port was taken meanwhile.
launch() {
  local t0=$SECONDS
  local ports bport cport tport sport
  read -r bport cport tport sport <<<"$(free_ports 4)"
  # A fixed port from the environment that the kernel also picked for another listener: take that one's place.
  [[ ${AGENTWATCH_KAFKA_PORT:-} == "$cport" ]] && cport=$bport
  [[ ${AGENTWATCH_KAFKA_PORT:-} == "$tport" ]] && tport=$bport
  [[ ${AGENTWATCH_KAFKA_PORT:-} == "$sport" ]] && sport=$bport
  bport=${AGENTWATCH_KAFKA_PORT:-$bport}
  [[ ${AGENTWATCH_KAFKA_CONTROLLER_PORT:-} == "$tport" ]] && tport=$cport
  [[ ${AGENTWATCH_KAFKA_CONTROLLER_PORT:-} == "$sport" ]] && sport=$cport
  cport=${AGENTWATCH_KAFKA_CONTROLLER_PORT:-$cport}
  [[ $bport != "$cport" ]] || die "AGENTWATCH_KAFKA_PORT and AGENTWATCH_KAFKA_CONTROLLER_PORT are the same port"
  if port_open "$bport"; then
    [[ -n ${AGENTWATCH_KAFKA_PORT:-} ]] && die "port $bport is already in use (AGENTWATCH_KAFKA_PORT)"
    return 75
  fi

  local data
  data=$(mktemp -d "${TMPDIR:-/tmp}/agentwatch-kafka.XXXXXXXX")
  make_tls "$data/tls"
  local user password
  user=$(cat "$data/tls/sasl-user")
  password=$(cat "$data/tls/sasl-password")
  sed -e "s|@BROKER_PORT@|$bport|g" -e "s|@CONTROLLER_PORT@|$cport|g" -e "s|@DATA_DIR@|$data|g" \
    -e "s|@TLS_PORT@|$tport|g" -e "s|@SASL_PORT@|$sport|g" -e "s|@SASL_USER@|$user|g" -e "s|@SASL_PASSWORD@|$password|g" \
    "$HERE/server.properties.template" >"$data/server.properties"
  mkdir -p "$STATE/logs"
  : >"$STATE/logs/server.log"
  echo "$data" >"$STATE/data-dir"
  echo "$bport" >"$STATE/port"
  echo "$cport" >"$STATE/controller-port"
  echo "$tport" >"$STATE/tls-port"
  echo "$sport" >"$STATE/sasl-port"

  # Random cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints).
  local cid
  while :; do
    cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $cid != -* ]] && break
  done
  # shellcheck disable=SC2086
  if ! java $TOOL_JAVA_OPTS -Dlog4j.configuration="file:$HERE/log4j.properties" -Dkafka.logs.dir="$STATE/logs" \
      -cp "$LIBS/*" kafka.tools.StorageTool format -t "$cid" -c "$data/server.properties" \
      --add-scram "SCRAM-SHA-256=[name=$user,password=$password]" --add-scram "SCRAM-SHA-512=[name=$user,password=$password]" \
      >"$STATE/logs/format.log" 2>&1 </dev/null 8>&- 9>&-; then
    cat "$STATE/logs/format.log" >&2
    stop_locked quiet
    log "kafka-storage format failed"
    return 1
  fi

  # The broker. stdin/stdout/stderr are detached so a caller that pipes this script (node's spawn) is not held open;
  # fd 9 (the lock) is closed so the broker does not keep the lock.
  # shellcheck disable=SC2086
  nohup java -server $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$HERE/log4j.properties" -Dkafka.logs.dir="$STATE/logs" \
    ${AGENTWATCH_KAFKA_JAVA_OPTS:-} -cp "$LIBS/*" kafka.Kafka "$data/server.properties" \
    </dev/null >"$STATE/logs/stdout.log" 2>&1 8>&- 9>&- &
  local pid=$!
  echo "$pid" >"$STATE/pid"

  # Ready = the broker logged "Kafka Server started" (it does so once it has caught up with the KRaft metadata log
  # and is unfenced, i.e. it serves metadata) and its port accepts connections.
  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      if [[ -z ${AGENTWATCH_KAFKA_PORT:-} && -z ${AGENTWATCH_KAFKA_CONTROLLER_PORT:-} ]] &&
        grep -q 'Address already in use' "$STATE/logs/server.log" "$STATE/logs/stdout.log" 2>/dev/null; then
        stop_locked quiet
        return 75
      fi
      tail -n 60 "$STATE/logs/server.log" "$STATE/logs/stdout.log" >&2 || true
      stop_locked quiet
      log "the broker exited during startup"
      return 1
    fi
    if grep -q 'Kafka Server started' "$STATE/logs/server.log" 2>/dev/null && port_open "$bport"; then
      break
    fi
    if ((SECONDS >= deadline)); then
      tail -n 60 "$STATE/logs/server.log" "$STATE/logs/stdout.log" >&2 || true
      stop_locked quiet
      log "the broker was not ready within $START_TIMEOUT s (AGENTWATCH_KAFKA_START_TIMEOUT)"
      return 1
    fi
    sleep 0.2
  done
  log "broker pid $pid ready on $HOST:$bport in $((SECONDS - t0)) s (data $data, logs $STATE/logs)"

  start_watchdog "$pid"
  print_brokers
  echo "KAFKA_STARTED=new"
}

# Stops the broker when its owner process is gone or its lifetime is over, so that a killed test run does not leave
# a broker behind. Runs `kafka-local.sh stop` itself (exec, so stop knows not to kill it).
start_watchdog() {
  local pid=$1 owner=${AGENTWATCH_KAFKA_OWNER_PID:-} life=${AGENTWATCH_KAFKA_MAX_LIFETIME:-}
  [[ -n $owner || -n $life ]] || return 0
  (
    trap '' HUP INT
    end=$((SECONDS + ${life:-315360000}))
    while kill -0 "$pid" 2>/dev/null && { [[ -z $owner ]] || kill -0 "$owner" 2>/dev/null; } && ((SECONDS < end)); do
      sleep 2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "[$(date -Is)] owner ${owner:-none} gone or lifetime ${life:-none} s over: stopping broker $pid"
      exec "$SELF" stop
    fi
  ) </dev/null >>"$STATE/logs/watchdog.log" 2>&1 8>&- 9>&- &
  echo $! >"$STATE/watchdog-pid"
}

# --- stop --------------------------------------------------------------------------------------------------------
stop() {
  lock
  stop_locked
}

stop_locked() {
  local quiet=${1:-} pid data wpid
  pid=$(read_state pid)
  data=$(read_state data-dir)
  wpid=$(read_state watchdog-pid)
  if is_broker "$pid" "$data"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "broker $pid did not stop within 15 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    [[ -n $quiet ]] || log "stopped broker $pid"
  else
    [[ -n $quiet ]] || log "no broker running"
  fi
  if [[ -n $wpid && $wpid != "$$" ]] && kill -0 "$wpid" 2>/dev/null; then
    kill "$wpid" 2>/dev/null || true
  fi
  remove_data_dir "$data"
  rm -f "$STATE/pid" "$STATE/port" "$STATE/controller-port" "$STATE/tls-port" "$STATE/sasl-port" "$STATE/data-dir" "$STATE/watchdog-pid"
}

# --- status / logs -----------------------------------------------------------------------------------------------
status() {
  if running; then
    log "running: pid $(read_state pid), data $(read_state data-dir), logs $STATE/logs"
    print_brokers
    return 0
  fi
  log "not running"
  return 3
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
fetch) lock && fetch && log "jars in $LIBS" ;;
logs) tail -n "${2:-100}" "$STATE/logs/server.log" ;;
*)
  echo "usage: $0 start|stop|status|fetch|logs [N]" >&2
  exit 2
  ;;
esac
