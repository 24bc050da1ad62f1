#!/usr/bin/env bash
# Measures the handler's cold start as the Functions host sees it: from starting the process to the first 200 on
# GET / (the host's readiness probe). Runs the handler from a publish folder (default: the one eng/package.sh
# leaves in artifacts/publish/linux-x64) N times on a free loopback port and prints each time and the median.
# Storage points at a closed loopback port: start-up does not wait for storage, and neither does GET /.
#   bash eng/coldstart.sh [publish-folder] [runs]
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$repo_root/artifacts/publish/linux-x64}
runs=${2:-7}
handler="$dir/Loyalty.Functions"
[ -x "$handler" ] || { echo "No executable handler at $handler: run bash eng/package.sh first." >&2; exit 1; }

pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap stop EXIT

port=$((20000 + RANDOM % 20000))
log=$(mktemp)
export FUNCTIONS_CUSTOMHANDLER_PORT=$port
# Required at start (the phone index key); any value of 16 characters or more.
export LOYALTY_PHONE_KEY=coldstart-not-a-secret-0123456789
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;"

ok() {
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  read -r status <&3 || true
  exec 3>&-
  [[ $status == *" 200 "* ]]
}

times=()
for _ in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  (cd "$dir" && exec ./Loyalty.Functions) >"$log" 2>&1 &
  pid=$!
  deadline=$((start + 30000000000))
  until ok 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s%N)" -gt "$deadline" ]; then
      cat "$log" >&2
      echo "The handler did not answer GET / within 30 s." >&2
      exit 1
    fi
    sleep 0.005
  done
  ms=$((($(date +%s%N) - start) / 1000000))
  times+=("$ms")
  echo "${ms} ms"
  stop
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
echo "median ${median} ms over ${runs} runs ($dir)"
rm -f "$log"
