// private-process/child_process is typed like node:child_process for what a switching library uses.
import { promisify } from 'node:util';
import { ChildProcess, exec, execFile, execFileSync, fork, spawn, spawnSync } from '../../esm/child_process.mjs';

const child: ChildProcess = spawn('ls', ['-l'], { cwd: '/', stdio: 'pipe' });
child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => void [code, signal]);
const pid: number | undefined = child.pid;
const killed: boolean = child.kill('SIGTERM');
execFile('ls', ['-l'], { encoding: 'utf8' }, (err, stdout, stderr) => void [err?.code, stdout, stderr]);
exec('ls', (err) => void err);
const forked = fork('./helper.js', [], { serialization: 'advanced' });
forked.send({ a: 1 });
const r = spawnSync('ls', { encoding: 'utf8' });
const status: number | null = r.status;
const out = execFileSync('ls');
// Options this package adds pass through.
spawn('ls', [], { isolation: 'hidden', backend: 'auto' });
void [pid, killed, status, out, promisify(execFile), forked.connected];
