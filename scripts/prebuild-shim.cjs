// prebuild-shim.cjs: after prebuildify, gives the preload shim beside the
// prebuilt addon the name of the C library it was built against. The addon
// says it (private-process.glibc.node, --tag-libc); prebuildify copies the shim
// as it was built, untagged, so prebuilds for glibc and musl in one folder
// would overwrite each other's shim. Renamed private_process_shim.glibc.so
// (.dylib on macOS, where prebuildify tags the addon glibc too), it sits
// beside its addon, and lib/native.ts picks the one that matches.
const { copyFileSync, existsSync, readdirSync, renameSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
// A shared object on Linux and FreeBSD, a dylib on macOS (binding.gyp).
const ext = process.platform === 'darwin' ? 'dylib' : 'so';
const built = path.join(root, 'build', 'Release', `private_process_shim.${ext}`);
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const copied = path.join(target, `private_process_shim.${ext}`);
// The same rule prebuildify uses to name the C library.
const libc = process.env.PREBUILD_LIBC || (existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
if (!existsSync(built)) {
  console.log('prebuild-shim: no shim built for this platform');
} else if (!existsSync(target) || !readdirSync(target).some((f) => f.endsWith(`.${libc}.node`))) {
  console.error(`prebuild-shim: no prebuilt ${libc} addon in ${path.relative(root, target)}`);
  process.exit(1);
} else {
  const out = path.join(target, `private_process_shim.${libc}.${ext}`);
  if (existsSync(copied)) renameSync(copied, out);
  else copyFileSync(built, out);
  console.log(`prebuild-shim: ${path.relative(root, out)}`);
}
