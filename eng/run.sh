#!/usr/bin/env bash
# Runs Loyalty Functions locally, standalone (no Functions Core Tools needed): installs Azurite, starts it with its
# data under .azurite/, and serves the API on http://127.0.0.1:7071 (override with --urls). Ctrl+C stops both.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_children EXIT
cd "$repo_root"

ensure_node_modules
start_azurite "$repo_root/.azurite" "$repo_root/.azurite/azurite.log" fixed
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
echo "Building the app (dotnet build, Release); the first build restores packages and takes a minute or two..."
dotnet build src/Loyalty.Functions -c Release --nologo -v quiet -clp:ErrorsOnly
echo "Starting the app on ${ASPNETCORE_URLS:-http://127.0.0.1:7071} (API reference at /api/docs); Ctrl+C stops it and Azurite."
dotnet run --project src/Loyalty.Functions -c Release --no-build -- "$@"
