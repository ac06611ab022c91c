// prebuild-shim.cjs: after prebuildify, puts the preload shim beside the
// prebuilt addon, so that a package installed from prebuilds has it too
// (prebuildify itself copies only the addon).
const { copyFileSync, existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const shim = path.join(root, 'build', 'Release', 'private_process_shim.so');
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
if (!existsSync(shim)) {
  console.log('prebuild-shim: no shim built for this platform');
} else if (!existsSync(target) || !readdirSync(target).some((f) => f.endsWith('.node'))) {
  console.error(`prebuild-shim: no prebuilt addon in ${path.relative(root, target)}`);
  process.exit(1);
} else {
  copyFileSync(shim, path.join(target, 'private_process_shim.so'));
  console.log(`prebuild-shim: ${path.relative(root, path.join(target, 'private_process_shim.so'))}`);
}
