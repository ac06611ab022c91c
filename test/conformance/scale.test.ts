import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capabilities } from '../../esm/index.mjs';
import { emulated, kernelAtLeast } from '../helpers/backends.js';
import { kernelProfiles, runUnderSeccomp } from '../helpers/seccomp.js';
import { scaled } from '../helpers/time.mjs';

const fixture = path.join(__dirname, '..', 'fixtures', 'mappings.cjs');
const CHILDREN = 200;
const noHidden = !capabilities().isolations.hidden.available
  ? ` (skipped: ${capabilities().isolations.hidden.reason})`
  : emulated(capabilities().backend ?? '')
    ? ' (skipped: the FreeBSD emulation has no Linux regions to count)'
    : '';

/** Whether a profile lets the process put guard pages inside a mapping (MADV_GUARD_INSTALL, 6.13). */
const guardInstall = (rules: readonly string[]): boolean =>
  kernelAtLeast(6, 13) && !rules.some((r) => r.startsWith('madvise:GUARD_INSTALL'));

describe.skipIf(noHidden !== '')(
  `what a live hidden child costs this process (mappings, descriptors)${noHidden}`,
  () => {
    describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
      const perChild = guardInstall(rules) ? 0.5 : 2.5;
      it(`${CHILDREN} live children add fewer than ${perChild} mappings each, and leave next to none behind`, async () => {
        const env = { ...process.env };
        delete env.PRIVATE_PROCESS_BACKEND;
        const r = await runUnderSeccomp(rules, fixture, ['hidden', String(CHILDREN)], {
          env,
          timeout: scaled(120_000),
        });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const { before, during, after, signals, caps } = JSON.parse(r.stdout);
        expect(signals).toEqual(['SIGKILL']);
        expect(caps.guardInstall).toBe(guardInstall(rules));
        // Where guard pages split mappings (before 6.13), each live child's own stack has one.
        expect(during - before).toBeLessThan(CHILDREN * perChild);
        expect(after - before).toBeLessThan(CHILDREN * 0.5);
      });

      const closeRange = !rules.some((r) => r.startsWith('close_range='));
      it(`an intermediate holds ${closeRange ? 'no descriptor' : 'this process’s descriptors (no close_range: it shares them)'} while this process holds one per live child`, async () => {
        const env = { ...process.env };
        delete env.PRIVATE_PROCESS_BACKEND;
        const r = await runUnderSeccomp(rules, fixture, ['hidden', String(CHILDREN)], {
          env,
          timeout: scaled(120_000),
        });
        expect(r.code).toBe(0);
        const { fds, caps } = JSON.parse(r.stdout);
        // The ceiling capabilities() states: descriptors per live child.
        expect(caps.childDescriptors).toBe(1);
        expect(fds.self - fds.before).toBe(CHILDREN * caps.childDescriptors);
        // A task that shares this process's descriptor table makes its release cost grow with it.
        expect(fds.intermediate).toBe(closeRange ? 0 : fds.self);
      });
    });
  },
);
