import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaled } from '../helpers/time.mjs';

const fixture = path.join(__dirname, '..', 'fixtures', 'fork-under-eval.cjs');
const code = `require(${JSON.stringify(fixture)})`;

/** Runs `node <flags>` and returns the last line it printed, parsed. */
function parent(flags: string[]): Promise<any> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, flags, { timeout: scaled(60_000) }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    }),
  );
}

describe('forkPrivate in a parent that runs an eval script (node -e, node -p)', () => {
  // SCRIPT stands for the eval script, which requires the fixture.
  it.each([
    [['-e', 'SCRIPT'], []],
    [['--eval', 'SCRIPT'], []],
    [['--eval=SCRIPT'], []],
    [['-p', 'SCRIPT'], []],
    [['--print', 'SCRIPT'], []],
    [['-pe', 'SCRIPT'], []],
    [['-p', '-e', 'SCRIPT'], []],
    [['--no-warnings', '-e', 'SCRIPT', '-p'], ['--no-warnings']],
  ])('runs the module once, not the script again: node %j', async (flags, kept) => {
    const r = await parent(flags.map((f) => f.replace('SCRIPT', code)));
    expect(r).toEqual({ child: { execArgv: kept, args: ['x'] }, exitCode: 0 });
  });
});
