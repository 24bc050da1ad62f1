#!/usr/bin/env bash
# Soak of the model-based test (tests/Loyalty.Tests/Model): runs random sequences against two app instances and the
# reference model until the time is up, then prints the sequences run, steps and invariants checked (and the seed and
# steps of a sequence that disagreed). Starts its own in-memory Azurite; logs go to artifacts/soak/.
#   bash eng/soak.sh --minutes 10              every ledger rule main follows (ModelSpec.Default)
#   bash eng/soak.sh --minutes 10 --spec full  every rule, also those with a known open bug
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_children EXIT
cd "$repo_root"

minutes=10 spec=${LOYALTY_MODEL_SPEC:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --spec) spec=$2; shift 2 ;;
    *) echo "usage: bash eng/soak.sh [--minutes N] [--spec full|today|part,part]" >&2; exit 2 ;;
  esac
done

logs="$repo_root/artifacts/soak"
rm -rf "$logs"
mkdir -p "$logs"
ensure_node_modules
dotnet build tests/Loyalty.Tests -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
start_azurite memory "$logs/azurite.log"

echo "Soaking for $minutes minutes (${spec:-default} rules); log: $logs/soak.log"
status=0
LOYALTY_MODEL_SOAK_MINUTES=$minutes LOYALTY_MODEL_SPEC=$spec LOYALTY_MODEL_SUMMARY="$logs/summary.txt" \
  dotnet test tests/Loyalty.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~Model.ModelSoak" \
  --logger "console;verbosity=normal" >"$logs/soak.log" 2>&1 || status=$?

if [ -s "$logs/summary.txt" ]; then
  cat "$logs/summary.txt"
else
  echo "The soak wrote no summary; see $logs/soak.log" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
