#!/usr/bin/env bash
# Validates infra/: restores the pinned Bicep CLI from NuGet (eng/tools/bicep.proj, no global install), compiles
# infra/main.bicep to artifacts/infra/main.json and infra/main.bicepparam to artifacts/infra/main.parameters.json,
# and lints both with the rules in infra/bicepconfig.json. Fails on any error and on any warning.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "eng/bicep.sh uses the linux-x64 Bicep CLI package; on $(uname -s)-$(uname -m) install Bicep yourself and run: bicep build infra/main.bicep" >&2
  exit 2
fi

out="$repo_root/artifacts/infra"
rm -rf "$out"
mkdir -p "$out"
log="$out/bicep.log"

if ! dotnet restore eng/tools/bicep.proj --nologo -v quiet >"$log" 2>&1; then
  cat "$log" >&2
  echo "Restoring the Bicep CLI (Azure.Bicep.CommandLine.linux-x64) failed." >&2
  exit 1
fi
bicep=$(dotnet msbuild eng/tools/bicep.proj -nologo -getProperty:BicepPath)
if [ ! -f "$bicep" ]; then
  echo "The Bicep CLI is not where the package should have put it: $bicep" >&2
  exit 1
fi
# NuGet does not always keep the executable bit of files in a package.
[ -x "$bicep" ] || chmod u+x "$bicep"
echo "$("$bicep" --version)"

: >"$log"
status=0
# main.bicepparam reads the phone index key and the alert address from the environment of whoever deploys; compiling
# needs some value.
export LOYALTY_PHONE_KEY="${LOYALTY_PHONE_KEY:-compile-only-placeholder-not-a-key}"
export ALERT_EMAIL="${ALERT_EMAIL:-compile-only@example.invalid}"
run() {
  echo "bicep $*"
  "$bicep" "$@" 2>&1 | tee -a "$log" || status=1
}
run build infra/main.bicep --outdir "$out"
run build-params infra/main.bicepparam --outfile "$out/main.parameters.json"
run lint infra/main.bicep
run lint infra/main.bicepparam

# bicep exits 0 on warnings; a warning here is a finding (unused parameter, missing @secure(), unknown API
# version, ...), so it fails the check like an error does.
findings=$(grep -cE '\) : (Warning|Error) ' "$log" || true)
if [ "$status" -ne 0 ] || [ "$findings" -gt 0 ]; then
  echo "infra/: Bicep reported $findings finding(s) (errors or warnings, listed above)." >&2
  exit 1
fi
echo "infra/: Bicep build and lint clean; ARM template in ${out#"$repo_root"/}/main.json"
