// check-prebuilds.cjs: `npm publish` runs it first (prepublishOnly), and `npm pack` after making
// them (scripts/prebuild.sh), and it refuses to go on unless the package carries its prebuilt
// binaries: a package without them would make every user compile the addon, with Python, make and
// a C compiler, or run without the native backend. What it wants, for each target below: an addon
// whose name says which C library it was built against (node.napi.glibc.node; node-gyp-build
// takes macOS and FreeBSD for glibc) and, on Linux and macOS, the preload shim beside it
// (private_process_shim.glibc.so; .dylib on macOS). Usage: node scripts/check-prebuilds.cjs [prebuilds folder]
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

/** The targets a published package must carry, as `<platform>-<arch>/<libc>`: every native backend's. */
const required = [
  'linux-x64/glibc',
  'linux-arm64/glibc',
  'linux-x64/musl',
  'linux-arm64/musl',
  'darwin-x64/glibc',
  'darwin-arm64/glibc',
  'freebsd-x64/glibc',
  'freebsd-arm64/glibc',
];

const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'prebuilds'));
const problems = [];
const files = (sub) => (existsSync(path.join(dir, sub)) ? readdirSync(path.join(dir, sub)) : []);
/** The shim's file name beside a `libc` addon in `sub`: a dylib on macOS, a shared object elsewhere. */
const shim = (sub, libc) => `private_process_shim.${libc}.${sub.startsWith('darwin-') ? 'dylib' : 'so'}`;
/** FreeBSD's backend needs no shim: its children are private to the kernel (pdfork). */
const wantsShim = (sub) => !sub.startsWith('freebsd-');

for (const target of required) {
  const [sub, libc] = target.split('/');
  const names = files(sub);
  if (!names.some((f) => f.endsWith(`.${libc}.node`))) problems.push(`no ${libc} addon in ${sub}/`);
  if (wantsShim(sub) && !names.includes(shim(sub, libc))) problems.push(`no ${libc} preload shim in ${sub}/`);
}
for (const sub of existsSync(dir) ? readdirSync(dir) : []) {
  for (const f of files(sub).filter((name) => name.endsWith('.node'))) {
    const libc = /\.(glibc|musl)\.node$/.exec(f)?.[1];
    if (libc === undefined) problems.push(`${sub}/${f} does not say its C library (build it with --tag-libc)`);
    else if (wantsShim(sub) && !files(sub).includes(shim(sub, libc))) problems.push(`no shim beside ${sub}/${f}`);
  }
}
if (problems.length > 0) {
  console.error(`Refusing to publish without the prebuilt binaries (${path.relative(process.cwd(), dir) || '.'}):`);
  for (const p of problems) console.error(`  - ${p}`);
  console.error('Run `bash scripts/prebuild.sh` (npm pack runs it), then publish.');
  process.exit(1);
}
console.log(`check-prebuilds: ${required.length} targets present: ${required.join(', ')}`);
