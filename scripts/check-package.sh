#!/usr/bin/env bash
# check-package.sh: the package as a user gets it. Packs it (npm pack runs scripts/prebuild.sh, which
# cross-builds every prebuilt binary and checks them), checks that the tarball lists them, installs
# the tarball into a fresh project with no C compiler, make or Python on PATH, and checks there that
# the addon loaded is the prebuilt one and that the backend is this platform's native one, with no
# PRIVATE_PROCESS_DEGRADED warning.
#
# Usage: scripts/check-package.sh [tarball]   (a tarball already packed is checked as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ $# -gt 0 ]; then
  tarball=$(realpath "$1")
else
  npm pack --pack-destination "$work"
  tarball=$(echo "$work"/*.tgz)
fi

# The tarball carries the 8 targets' addons and shims (check-prebuilds.cjs, run on its listing).
mkdir "$work/listed"
tar -tzf "$tarball" | sed -n 's|^package/prebuilds/||p' | while read -r file; do
  [ -n "$file" ] && [ "${file%/}" = "$file" ] && mkdir -p "$work/listed/$(dirname "$file")" && : >"$work/listed/$file"
done
node scripts/check-prebuilds.cjs "$work/listed"
echo "check-package: $(tar -tzf "$tarball" | grep -c '^package/prebuilds/.*[^/]$') prebuilt files in $(basename "$tarball")"

# A PATH with node, npm and a shell, and nothing that could compile the addon.
bin=$work/bin
mkdir "$bin"
ln -s "$(command -v node)" "$bin/node"
ln -s "$(realpath "$(command -v npm)")" "$bin/npm"
ln -s "$(command -v sh)" "$bin/sh"
for tool in cc gcc c++ g++ clang make python python3; do
  if PATH=$bin command -v "$tool" >/dev/null; then
    echo "check-package: $tool is on the consumer's PATH" >&2
    exit 1
  fi
done

cat >"$work/check.cjs" <<'JS'
const path = require('node:path');
const warnings = [];
process.on('warning', (w) => warnings.push(w.code));
const pp = require('private-process');
const dir = path.dirname(require.resolve('private-process/package.json'));
const loaded = path.relative(dir, require('node-gyp-build').path(dir));
const preloadPath = pp.preloadPath && path.relative(dir, pp.preloadPath);
pp.spawnPrivate('node', ['-e', 'process.exit(7)'], { stdio: 'ignore' })
  .wait()
  .then(({ exitCode }) =>
    setImmediate(() => console.log(JSON.stringify({ backend: pp.capabilities().backend, loaded, preloadPath, exitCode, warnings }))),
  );
JS
expected=$(node -p '({ linux: "linux", freebsd: "freebsd", darwin: "fallback" })[process.platform] ?? "portable"')

# install NAME NPM_FLAGS...: installs the tarball into a fresh project and checks it there.
install() {
  local name=$1 consumer=$work/$1
  shift
  mkdir "$consumer"
  (
    cd "$consumer"
    PATH=$bin npm init -y >/dev/null
    PATH=$bin npm install --no-audit --no-fund --prefer-offline "$@" "$tarball"
    [ ! -e node_modules/private-process/build ] || { echo "check-package: $name: the install compiled the addon" >&2; exit 1; }
    cp "$work/check.cjs" .
    result=$(PATH=$bin node check.cjs)
    echo "check-package: $name: $result"
    node -e '
      const [result, expected, name] = process.argv.slice(1);
      const r = JSON.parse(result), problems = [];
      if (r.backend !== expected) problems.push(`backend ${r.backend}, not ${expected}`);
      if (!r.loaded.startsWith("prebuilds/")) problems.push(`the addon loaded is ${r.loaded}, not a prebuilt one`);
      if (r.exitCode !== 7) problems.push(`the child exited ${r.exitCode}, not 7`);
      if (r.warnings.length > 0) problems.push(`warnings: ${r.warnings}`);
      if (problems.length > 0) { console.error(`check-package: ${name}: ${problems.join("; ")}`); process.exit(1); }
      console.log(`check-package: ${name}: ok, the ${r.backend} backend from ${r.loaded}, with no compiler`);' \
      "$result" "$expected" "$name"
  )
}

install consumer
# The same where install scripts do not run (npm install --ignore-scripts, or scripts not allowed):
# the prebuilt addon is found at run time all the same.
install consumer-without-scripts --ignore-scripts
