import { describe, expect, it } from 'vitest';
import { spawnPrivate } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { openFds, zombieChildren } from '../helpers/leaks.js';

const SPAWNS = 2000;

describe.each(modesHere())('resources ($name)', ({ backend, isolation }) => {
  const sync = unlessPortable(backend, 'waitSync() is not supported');
  const later = unlessPortable(backend, 'it closes the pipes of a start that failed on the next turn of the loop');
  checkNoLeaks();

  it.skipIf(sync !== '')(
    `leaves no fd and no zombie after ${SPAWNS} spawns with pipes, waited every way${sync}`,
    async () => {
      const before = openFds();
      for (let i = 0; i < SPAWNS; i++) {
        const h = spawnPrivate('/bin/true', [], { backend, isolation });
        if (i % 3 === 0) await h.wait();
        else if (i % 3 === 1) h.waitSync();
        else while (h.waitNonblock() === null) await new Promise((r) => setImmediate(r));
        for (const s of h.stdio) s?.destroy();
      }
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(zombieChildren()).toEqual([]);
      expect(openFds().filter((fd) => !before.includes(fd))).toEqual([]);
    },
  );

  it.skipIf(later !== '')(`leaves nothing behind when spawns fail${later}`, () => {
    const before = openFds();
    for (let i = 0; i < 200; i++) {
      expect(() => spawnPrivate('/nonexistent/tool', [], { backend, isolation })).toThrow();
    }
    expect(zombieChildren()).toEqual([]);
    expect(openFds().filter((fd) => !before.includes(fd))).toEqual([]);
  });

  it('closes the pidfd of a closed handle once the child exits, and reaps it', async () => {
    const before = openFds();
    const h = spawnPrivate('/bin/sh', ['-c', 'sleep 0.1'], { backend, isolation });
    const pid = h.pid;
    h.close();
    expect(h.stdout!.destroyed).toBe(true);
    const s = await h.wait();
    expect(s.pid).toBe(pid);
    // The loop closes its watch, then the pidfd, in its next turn.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(zombieChildren()).toEqual([]);
    expect(openFds().filter((fd) => !before.includes(fd))).toEqual([]);
  });
});
