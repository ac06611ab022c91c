// windows-check.cjs: what the portable backend must do on Windows, run by a Windows node.exe.
//   node windows-check.cjs <package dir>
// Every child is found through the environment's `Path` (Windows' spelling) and PATHEXT, and given
// files or 'ignore' as stdio. Prints one line per check ('ok' or 'FAIL' with what was seen) and exits
// 1 if any failed. Children are stopped by their handles, never by name.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const pkg = process.argv[2];
if (!pkg) {
  console.error('usage: node windows-check.cjs <package dir>');
  process.exit(2);
}
const { capabilities, spawnPrivate } = require(path.resolve(pkg, 'dist', 'cjs', 'index.js'));

let failed = 0;
function report(name, ok, seen) {
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `: ${JSON.stringify(seen)}`}`);
}

/** The error spawnPrivate throws, as a plain object, or null when it did not throw. */
function thrown(fn) {
  try {
    const h = fn();
    h.kill('SIGKILL');
    return null;
  } catch (e) {
    return { code: e.code, errno: e.errno, step: e.step, path: e.path, message: e.message };
  }
}

async function check(name, fn) {
  try {
    const r = await fn();
    report(name, r.ok, r.seen);
  } catch (e) {
    report(name, false, String(e && e.stack ? e.stack : e));
  }
}

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-windows-check-'));
  fs.writeFileSync(path.join(scratch, 'hello.cmd'), '@echo hello\r\n');
  // An environment spelled as Windows spells it: `Path`, and no `PATH` key at all.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (k.toUpperCase() !== 'PATH') env[k] = v;
  env.Path = [scratch, path.dirname(process.execPath), process.env.PATH].join(';');
  const caps = capabilities();
  console.log(`backend ${caps.backend}, node ${process.version} ${process.platform}`);

  await check("'cmd' found through Path and PATHEXT", async () => {
    const s = await spawnPrivate('cmd', ['/d', '/c', 'exit 3'], { env, stdio: 'ignore' }).wait();
    return { ok: s.exitCode === 3, seen: String(s) };
  });
  await check("'node' found through Path and PATHEXT", async () => {
    const s = await spawnPrivate('node', ['-e', 'process.exit(4)'], { env, stdio: 'ignore' }).wait();
    return { ok: s.exitCode === 4, seen: String(s) };
  });
  await check('a missing command: ENOENT at execve, with errno and path', async () => {
    const e = thrown(() => spawnPrivate('no-such-command-here', [], { env, stdio: 'ignore' }));
    const ok = e?.code === 'ENOENT' && e.errno === -os.constants.errno.ENOENT && e.step === 'execve';
    return { ok: ok && e.path === 'no-such-command-here', seen: e };
  });
  await check('a missing cwd: ENOENT at chdir', async () => {
    const cwd = path.join(scratch, 'missing');
    const e = thrown(() => spawnPrivate('cmd', ['/d', '/c', 'exit 0'], { env, cwd, stdio: 'ignore' }));
    return { ok: e?.code === 'ENOENT' && e.errno === -os.constants.errno.ENOENT && e.step === 'chdir', seen: e };
  });
  await check("a batch file is refused, naming 'shell'", async () => {
    const e = thrown(() => spawnPrivate('hello', [], { env, stdio: 'ignore' }));
    return { ok: e?.code === 'ERR_NOT_SUPPORTED' && /shell/.test(e.message), seen: e };
  });
  /** What a child given a file as stdout wrote there, in lines without their ends. */
  async function linesOf(file, args, options) {
    const out = path.join(scratch, 'out.txt');
    const fd = fs.openSync(out, 'w');
    try {
      const s = await spawnPrivate(file, args, { env, ...options, stdio: ['ignore', fd, 'ignore'] }).wait();
      return { status: String(s), lines: fs.readFileSync(out, 'utf8').split(/\r?\n/).filter(Boolean) };
    } finally {
      fs.closeSync(fd);
    }
  }
  await check("shell: true runs cmd.exe /d /s /c: 'echo hi & echo there' gives both lines", async () => {
    const r = await linesOf('echo hi & echo there', [], { shell: true });
    return { ok: r.lines.map((l) => l.trim()).join(',') === 'hi,there', seen: r };
  });
  await check('shell: true runs a batch file, found through Path and PATHEXT', async () => {
    const r = await linesOf('hello', [], { shell: true });
    return { ok: r.lines.join(',') === 'hello', seen: r };
  });
  await check('a detached child is stopped by kill(signal, { group: true })', async () => {
    const h = spawnPrivate('node', ['-e', 'setTimeout(() => {}, 60000)'], { env, detached: true, stdio: 'ignore' });
    const sent = h.kill('SIGTERM', { group: true });
    const s = await h.wait();
    return { ok: sent === true && s.exitCode !== 0, seen: { sent, status: String(s) } };
  });
  await check('a timeout stops a detached child', async () => {
    const h = spawnPrivate('node', ['-e', 'setTimeout(() => {}, 60000)'], {
      env,
      detached: true,
      timeout: 500,
      stdio: 'ignore',
    });
    const s = await h.wait();
    return { ok: s.exitCode !== 0, seen: String(s) };
  });
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(failed === 0 ? 'all checks passed' : `${failed} check(s) failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
