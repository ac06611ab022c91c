/**
 * The backends the conformance suite runs against: every one available on
 * this machine. A backend that cannot run here is reported, not silently
 * dropped, through `backendsMissing()`.
 */
import { capabilities } from '../../esm/index.mjs';

type Key = 'linux' | 'freebsd' | 'fallback';

/** backendsHere lists the backends that can run on this machine, best first. */
export function backendsHere(): Key[] {
  const caps = capabilities();
  return (['linux', 'freebsd', 'fallback'] as const).filter((k) => caps.backends[k].available);
}

/** pidfdBackendsHere lists the available backends that give a pidfd (pid-reuse-safe kill through the kernel). */
export function pidfdBackendsHere(): Key[] {
  return backendsHere().filter((k) => k === 'linux');
}
