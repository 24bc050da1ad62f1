#!/usr/bin/env bash
# Checks the API contract as an integrator meets it: starts the built handler (Release, standalone, no triggers) on a
# free loopback port against the Azurite of AzureWebJobsStorage, saves the document it serves at /api/openapi.json to
# artifacts/openapi/openapi.json, lints it with Redocly CLI's recommended rules (pinned in package.json; any error
# fails), and generates a C# client from it with Kiota (the local dotnet tool pinned in .config/dotnet-tools.json)
# into artifacts/client, which tests/Loyalty.Tests compiles and drives against the app (GeneratedClientTests).
#   bash eng/openapi.sh      (eng/test.sh runs it after building the handler and starting Azurite)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_children EXIT
cd "$repo_root"

: "${AzureWebJobsStorage:?start Azurite first (eng/test.sh does)}"
out="$repo_root/artifacts/openapi"
client="$repo_root/artifacts/client"
rm -rf "$out" "$client"
mkdir -p "$out"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
echo "Serving the OpenAPI document from the built handler on 127.0.0.1:$port (log: $out/app.log)..."
TriggerRunner__Enabled=false LOYALTY_API_KEY=openapi-check LOYALTY_PHONE_KEY=openapi-check-not-a-secret \
  dotnet src/Loyalty.Functions/bin/Release/net10.0/Loyalty.Functions.dll --urls "http://127.0.0.1:$port" >"$out/app.log" 2>&1 &
children+=($!)
# The document needs no key: a tool must be able to fetch it.
fetch_document() { curl -fsS -o "$out/openapi.json" "http://127.0.0.1:$port/api/openapi.json" 2>/dev/null; }
wait_for_child "$out/app.log" "The handler stopped before serving the document:" fetch_document || exit 1
[ -s "$out/openapi.json" ] || { echo "The handler did not serve /api/openapi.json." >&2; exit 1; }

echo "Linting the document with Redocly CLI (recommended rules)..."
"$repo_root/node_modules/.bin/redocly" lint "$out/openapi.json" --extends recommended --format stylish

echo "Generating the C# client with Kiota..."
dotnet tool restore >/dev/null
dotnet kiota generate --language CSharp --openapi "$out/openapi.json" --output "$client" \
  --namespace-name Loyalty.Client --class-name LoyaltyClient --clean-output --exclude-backward-compatible \
  --log-level Error
echo "The client is in $client."
