#!/usr/bin/env bash
# Builds the deployable package: artifacts/package/loyalty-functions.zip, ready for
#   az functionapp deployment source config-zip -g <group> -n <app> --src artifacts/package/loyalty-functions.zip
# It is `dotnet publish` of the handler for linux-x64 with Native AOT: one native executable that needs no .NET runtime
# (the Flex Consumption "custom" image carries none), starts without a JIT and occupies less memory (README
# "Benchmark"), with host.json, program.json and one folder per function beside it, and nothing else: no symbols (they
# are left beside the zip), no local.settings*.json, no appsettings.*.json, no XML docs, no static-web-assets manifest.
# The zip is written by System.IO.Compression (MSBuild's ZipDirectory) on Linux, which stores each file's Unix mode,
# so the handler keeps its executable bit.
#
#   bash eng/package.sh                        Native AOT (what we deploy)
#   bash eng/package.sh --jit                  self-contained and JIT-compiled, as deployed before (for comparison)
#   bash eng/package.sh --framework-dependent  JIT-compiled, needs a .NET 10 runtime on the host (for comparison)
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

kind=native
case "${1:-}" in
  "") ;;
  --jit) kind=self-contained ;;
  --framework-dependent) kind=framework-dependent ;;
  *) echo "usage: bash eng/package.sh [--jit | --framework-dependent]" >&2; exit 2 ;;
esac
case "$kind" in
  native) publish_options=(-p:PublishAot=true) ;;
  self-contained) publish_options=(--self-contained true) ;;
  framework-dependent) publish_options=(--self-contained false) ;;
esac

publish="$repo_root/artifacts/publish/linux-x64"
package_dir="$repo_root/artifacts/package"
zip="$package_dir/loyalty-functions.zip"
rm -rf "$publish" "$package_dir"
mkdir -p "$package_dir"

# A separate artifacts path keeps this RID-specific restore and build out of the solution's obj/ and bin/.
dotnet publish src/Loyalty.Functions -c Release -r linux-x64 "${publish_options[@]}" \
  --artifacts-path "$repo_root/artifacts/publish-build" \
  -o "$publish" --nologo -v quiet -clp:ErrorsOnly

# The native handler's symbols stay out of the package, beside it, for reading a stack trace's offsets.
if [ -f "$publish/Loyalty.Functions.dbg" ]; then
  mv "$publish/Loyalty.Functions.dbg" "$package_dir/"
fi
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
echo "Package: ${zip#"$repo_root"/} (${size} KiB, $kind, linux-x64)"
