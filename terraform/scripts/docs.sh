#!/usr/bin/env bash
# Generates docs/ with tfplugindocs from the provider's schema and examples/ (docs/ is never
# edited by hand). With --check, generates into a temporary directory and fails if docs/ differs.
#
#   scripts/docs.sh            regenerate docs/
#   scripts/docs.sh --check    exit 1 if docs/ is out of date (run by the Go tests under TF_ACC)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check=0
[ "${1:-}" = "--check" ] && check=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# tfplugindocs looks the provider up as "floe" (or registry.terraform.io/hashicorp/floe) in the
# schema file; ours is keyed by its real address.
"$root/scripts/providers-schema.sh" | sed 's#"floe.dev/floe/floe":#"floe":#' > "$work/schema.json"

site="$root"
if [ "$check" = 1 ]; then
  site="$work/site"
  mkdir -p "$site"
  cp -R "$root/examples" "$site/examples"
  [ -d "$root/templates" ] && cp -R "$root/templates" "$site/templates"
fi
(cd "$root/tools" && go tool tfplugindocs generate \
  --provider-dir "$site" --provider-name floe --rendered-provider-name Floe \
  --providers-schema "$work/schema.json" >"$work/tfplugindocs.log" 2>&1) || { cat "$work/tfplugindocs.log" >&2; exit 1; }

if [ "$check" = 1 ]; then
  if ! diff -ru "$root/docs" "$site/docs"; then
    echo "docs/ is out of date: run terraform/scripts/docs.sh and commit the result" >&2
    exit 1
  fi
  echo "docs/ is up to date"
fi
