/**
 * The modes the conformance suite runs against: every backend available on
 * this machine, in every isolation it gives (linux-hidden, linux-direct,
 * fallback). A backend that cannot run here is reported, not silently
 * dropped, through capabilities().
 */
import { capabilities } from '../../esm/index.mjs';
import { native } from '../../dist/cjs/native.js';

type Key = 'linux' | 'freebsd' | 'fallback';
type Isolation = 'hidden' | 'direct';

/** Mode is one way to spawn: a backend and an isolation, named for test titles. */
export interface Mode {
  /** name is 'linux-hidden', 'linux-direct', 'fallback' (the fallback is direct only). */
  name: string;
  backend: Key;
  isolation: Isolation;
}

/** modesHere lists every backend and isolation that can run on this machine, best first. */
export function modesHere(): Mode[] {
  const modes: Mode[] = [];
  for (const r of native.capabilities().backends) {
    if (!r.available) continue;
    const backend = r.key as Key;
    const both = r.features.hidden === true && r.features.direct === true;
    for (const isolation of ['hidden', 'direct'] as const) {
      if (r.features[isolation] !== true) continue;
      modes.push({ name: both ? `${backend}-${isolation}` : backend, backend, isolation });
    }
  }
  return modes;
}

/** backendsHere lists the backends that can run on this machine, best first. */
export function backendsHere(): Key[] {
  const caps = capabilities();
  return (['linux', 'freebsd', 'fallback'] as const).filter((k) => caps.backends[k].available);
}

/** pidfdModesHere lists the modes whose children are this process's own and have a pidfd. */
export function pidfdModesHere(): Mode[] {
  return modesHere().filter((m) => m.backend === 'linux' && m.isolation === 'direct');
}
