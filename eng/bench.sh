#!/usr/bin/env bash
# Benchmark: purchases per second end to end over HTTP (the handler in its own process) against the raw rate of
# Azurite table transactions of the same shape, with latency percentiles and the handler's peak memory.
# Arguments go to the benchmark: --clients 16 --seconds 15 --warmup 3 --members 256
# `bash eng/bench.sh import [--members 2000] [--parallel 16]`: members per second that `loyalty import` brings in (5 lots
# each) beside the raw rate of Azurite batch transactions of the same rows.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_children EXIT
cd "$repo_root"

# BENCH_AZURITE=<folder under artifacts/> runs Azurite on disk there (emptied first) instead of in memory: the queue
# drain needs it, see README "Benchmark". Only under artifacts/, since the folder is deleted.
azurite_data=${BENCH_AZURITE:-memory}
if [ "$azurite_data" != memory ]; then
  case "$(realpath -m "$azurite_data")/" in
    "$repo_root"/artifacts/?*) ;;
    *) echo "BENCH_AZURITE must name a folder under artifacts/ (it is emptied first): $azurite_data" >&2; exit 2 ;;
  esac
  rm -rf "$azurite_data"
  export BENCH_AZURITE_ON_DISK=1
fi

ensure_node_modules
dotnet build tests/Loyalty.Benchmarks -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
# The handler as deployed: the native executable eng/package.sh publishes. BENCH_HANDLER=<path> runs another, e.g. the
# JIT-compiled src/Loyalty.Functions/bin/Release/net10.0/Loyalty.Functions.dll.
handler=${BENCH_HANDLER:-}
if [ "${1:-}" = import ]; then
  handler=src/Loyalty.Functions/bin/Release/net10.0/Loyalty.Functions.dll  # not started: the import runs the CLI
elif [ -z "$handler" ]; then
  bash eng/package.sh >/dev/null
  handler=artifacts/publish/linux-x64/Loyalty.Functions
fi
start_azurite "$azurite_data" "$repo_root/artifacts/bench/azurite.log"
export BENCH_AZURITE_PID=${children[-1]}
# In the background and waited for, so the trap stops it too when this script is stopped.
dotnet tests/Loyalty.Benchmarks/bin/Release/net10.0/Loyalty.Benchmarks.dll \
  "$handler" "$@" &
children+=($!)
wait $!
