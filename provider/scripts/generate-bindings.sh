#!/usr/bin/env bash
# Regenerates the CDKTF bindings of the floe provider (src/.gen/floe) from the Go provider's schema,
# offline: the provider is built from ../terraform, its schema read with `tofu providers schema -json`
# through dev_overrides (terraform/scripts/providers-schema.sh), and fed to cdktf's own generator
# (@cdktf/provider-generator, what `cdktf get` runs). No registry is involved.
#
#   provider/scripts/generate-bindings.sh           regenerate src/.gen/floe (commit the result)
#   provider/scripts/generate-bindings.sh --check   exit 1 if the committed bindings are stale
#
# Needs go and tofu (TOFU_BIN, or rig.env's, or tofu on PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(cd "$here/.." && pwd)"
root="$(cd "$pkg/.." && pwd)"
source "$root/scripts/node-env.sh"
if [ -z "${TOFU_BIN:-}" ] && [ -f "$root/test/rig/rig.env" ]; then
  TOFU_BIN="$(. "$root/test/rig/rig.env" && echo "${TOFU_BIN:-}")"
  export TOFU_BIN
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$root/terraform/scripts/providers-schema.sh" > "$work/schema.json"
TF_CLI_CONFIG_FILE=/dev/null node "$here/generate-bindings.ts" "$work/schema.json" "$work/out"

target="$pkg/src/.gen/floe"
if [ "${1:-}" = "--check" ]; then
  if ! diff -ru "$target" "$work/out"; then
    echo "provider/src/.gen/floe is stale: run provider/scripts/generate-bindings.sh and commit the result" >&2
    exit 1
  fi
  echo "provider/src/.gen/floe is up to date"
  exit 0
fi
rm -rf "$target"
mkdir -p "$(dirname "$target")"
cp -R "$work/out" "$target"
echo "wrote $target"
