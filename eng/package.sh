#!/usr/bin/env bash
# Builds the deployable package: artifacts/package/loyalty-functions.zip, ready for
#   az functionapp deployment source config-zip -g <group> -n <app> --src artifacts/package/loyalty-functions.zip
# It is `dotnet publish` of the handler for linux-x64, self-contained (the Flex Consumption "custom" image does not
# carry the .NET 10 runtime), with host.json, program.json and one folder per function beside the handler, and
# nothing else: no local.settings*.json, no appsettings.*.json, no XML docs, no static-web-assets manifest.
# The zip is written by System.IO.Compression (MSBuild's ZipDirectory) on Linux, which stores each file's Unix mode,
# so the handler keeps its executable bit.
#
#   bash eng/package.sh                        self-contained (what we deploy)
#   bash eng/package.sh --framework-dependent  needs a .NET 10 runtime on the host (for comparison only)
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

self_contained=true
case "${1:-}" in
  "") ;;
  --framework-dependent) self_contained=false ;;
  *) echo "usage: bash eng/package.sh [--framework-dependent]" >&2; exit 2 ;;
esac

publish="$repo_root/artifacts/publish/linux-x64"
package_dir="$repo_root/artifacts/package"
zip="$package_dir/loyalty-functions.zip"
rm -rf "$publish" "$package_dir"
mkdir -p "$package_dir"

# A separate artifacts path keeps this RID-specific restore and build out of the solution's obj/ and bin/.
dotnet publish src/Loyalty.Functions -c Release -r linux-x64 --self-contained "$self_contained" \
  --artifacts-path "$repo_root/artifacts/publish-build" \
  -o "$publish" --nologo -v quiet -clp:ErrorsOnly

# What the runtime does not need, and what must never ship.
find "$publish" -maxdepth 1 -type f \( -name 'Loyalty.*.xml' -o -name '*.staticwebassets.endpoints.json' \
  -o -name 'appsettings*.json' -o -name 'local.settings*.json' \) -delete

handler=$(sed -n 's/.*"defaultExecutablePath": *"\([^"]*\)".*/\1/p' "$publish/host.json")
if [ ! -x "$publish/$handler" ]; then
  echo "host.json names $handler as the handler, but $publish/$handler is missing or not executable." >&2
  exit 1
fi

dotnet msbuild eng/tools/zip.proj -t:Zip -nologo -v:quiet \
  -p:SourceDirectory="$publish" -p:DestinationFile="$zip"

size=$(du -k "$zip" | cut -f1)
echo "Package: ${zip#"$repo_root"/} (${size} KiB, $([ "$self_contained" = true ] && echo self-contained || echo framework-dependent), linux-x64)"
