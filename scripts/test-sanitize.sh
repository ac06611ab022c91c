#!/usr/bin/env bash
# test-sanitize.sh: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer, then runs
# vitest with the sanitizer runtime preloaded into Node and that build loaded instead of the normal
# one (PRIVATE_PROCESS_TEST_ADDON, a test-only override read by lib/native.ts).
#
#   npm run test:sanitize [-- VITEST ARGS...]     (default: the whole suite, project native)
#
# Only the native project runs: it is the one that loads this build. The freebsd-emulated project
# loads another build of the addon, and the portable project none.
#
# The build lives in build/sanitize/, from a binding.gyp made from the real one: the same sources
# and flags, plus -fsanitize=address,undefined. The code that runs on a clone's stack, between the
# clone and the exec and in a hidden spawn's intermediate (native/linux/child.c, clone.c,
# intermediate.c and lock.c), goes into a static library built without instrumentation: ASan's
# stack bookkeeping and interceptors must not run there, where the parent's thread is suspended
# and its TLS borrowed. Any finding fails the run:
# ASan aborts, and UBSan halts on the first error. Leak detection is off for the suite, since Node
# itself never frees much of what it allocates; scripts/valgrind-spawn.sh looks for the addon's
# leaks instead.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/build/sanitize
cd "$repo"
mkdir -p "$out"

python3 - binding.gyp "$out/binding.gyp" <<'PY'
import ast, json, sys

CHILD_SIDE = {
    'native/linux/child.c',
    'native/linux/clone.c',
    'native/linux/intermediate.c',
    'native/linux/lock.c',
}
SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer', '-g']

with open(sys.argv[1]) as f:
    gyp = ast.literal_eval(f.read())
moved = []

def rewrite(node):
    """Points every source at the real tree and takes the child-side files out."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'sources':
                moved.extend(s for s in value if s in CHILD_SIDE)
                node[key] = ['../../' + s for s in value if s not in CHILD_SIDE]
            else:
                rewrite(value)
    elif isinstance(node, list):
        for item in node:
            rewrite(item)

addon = next(t for t in gyp['targets'] if t['target_name'] == 'private_process')
plain_flags = list(addon.get('cflags_c', []))
plain_defines = list(addon.get('defines', []))
rewrite(gyp)
for target in gyp['targets']:
    target['cflags_c'] = target.get('cflags_c', []) + SANITIZE
    target['ldflags'] = target.get('ldflags', []) + SANITIZE
if moved:
    gyp['targets'].append({
        'target_name': 'private_process_child_side',
        'type': 'static_library',
        'sources': ['../../' + s for s in sorted(set(moved))],
        'cflags_c': plain_flags + ['-fPIC'],
        'defines': plain_defines + ['PP_HAVE_LINUX=1'],
    })
    addon['dependencies'] = addon.get('dependencies', []) + ['private_process_child_side']
with open(sys.argv[2], 'w') as f:
    json.dump(gyp, f, indent=2)
print('sanitized build; uninstrumented:', ', '.join(sorted(set(moved))) or 'nothing', file=sys.stderr)
PY

# Headers installed beside node are used as npm install uses them, without a download.
prefix=$(cd "$(dirname "$(command -v node)")/.." && pwd)
nodedir=${npm_config_nodedir:-}
[ -z "$nodedir" ] && [ -f "$prefix/include/node/node_api.h" ] && nodedir=$prefix
nice -n 10 node_modules/.bin/node-gyp rebuild --directory "$out" ${nodedir:+--nodedir="$nodedir"} \
  >"$out/node-gyp.log" 2>&1 ||
  { tail -40 "$out/node-gyp.log" >&2; exit 1; }
npm run --silent build:ts

# The runtime goes into every Node process of the run and into nothing else: see
# sanitize-preload.cjs. A Node process started some other way (by spawnPrivate itself, with this
# process's environ) still loads the sanitized addon, without the interception of malloc.
cc=${CC:-cc}
PP_SANITIZE_RUNTIME=$(realpath "$($cc -print-file-name=libasan.so)")
export PP_SANITIZE_RUNTIME
# Every Node process reads the preload and the suppressions, those the tests run as another user
# too: they go to a directory every user can read, since the checkout may be mode 0700 (root's home,
# mktemp -d).
shared=$(mktemp -d)
trap 'rm -rf "$shared"' EXIT
cp scripts/sanitize-preload.cjs scripts/asan.supp "$shared/"
chmod 755 "$shared" && chmod 644 "$shared"/*
export LD_PRELOAD="$PP_SANITIZE_RUNTIME${LD_PRELOAD:+ $LD_PRELOAD}"
export NODE_OPTIONS="--require $shared/sanitize-preload.cjs${NODE_OPTIONS:+ $NODE_OPTIONS}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:verify_asan_link_order=0:suppressions=$shared/asan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PRIVATE_PROCESS_TEST_ADDON=$out/build/Release/private_process.node
node_modules/.bin/vitest run --project native "$@"
