#!/usr/bin/env bash
# Tools the tests load into the browser but DAB never ships: axe-core (accessibility rules), installed with
# npm into a cache outside the repository. Prints the folder holding axe.min.js.
#   DAB_TEST_TOOLS  where to install (default: ~/.cache/dab-test-tools)
set -euo pipefail
AXE_CORE_VERSION=4.14.1
dir=${DAB_TEST_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/dab-test-tools}
axe="$dir/node_modules/axe-core"
if [ -f "$axe/axe.min.js" ] && grep -q "\"version\": \"$AXE_CORE_VERSION\"" "$axe/package.json"; then
  echo "$axe"
  exit 0
fi
if ! command -v npm >/dev/null; then
  "$(dirname "$0")/os_packages.sh" npm >&2 || true
fi
if ! command -v npm >/dev/null; then
  echo "note: npm is not available; the accessibility tests will skip and say why" >&2
  exit 3
fi
mkdir -p "$dir"
echo "Installing axe-core $AXE_CORE_VERSION into $dir (test tool, not shipped)" >&2
npm install --prefix "$dir" --no-audit --no-fund --no-save --silent "axe-core@$AXE_CORE_VERSION" >&2
echo "$axe"
