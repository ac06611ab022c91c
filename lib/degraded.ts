/**
 * degraded - never lose the guarantee silently.
 *
 * On a platform with a native backend (portableHost.nativeBackend), a child
 * started by the portable backend is child_process's ordinary child: a
 * foreign waitpid(-1) can take its status, and a kill after that can reach
 * another process that got its pid. That happens when no native build could
 * be loaded (none shipped for this platform, a failed compile, a bundle that
 * left the addon behind) or when the portable backend is asked for. The
 * first such spawn of the process emits one warning, code
 * PRIVATE_PROCESS_DEGRADED; with `strict` (or PRIVATE_PROCESS_STRICT=1) the
 * spawn throws ERR_PRIVATE_PROCESS_DEGRADED instead and starts nothing.
 *
 * This is not the Linux backend's own fallback on kernels and sandboxes that
 * refuse pidfds or clone3: those children stay private (the waitpid table,
 * legacy clone), and capabilities() reports every feature found.
 */
import { checkBoolean, envSetting } from './check';
import { degradedError } from './errors';
import { addonError } from './native';
import type { BackendKey } from './backend';
import { portableHost } from './portable';

/** The warning's code (the error's under `strict` is ERR_PRIVATE_PROCESS_DEGRADED). */
const WARNING_CODE = 'PRIVATE_PROCESS_DEGRADED';
let warned = false;

/**
 * @internal checkStrict reads the `strict` option: undefined is
 * PRIVATE_PROCESS_STRICT=1, else false.
 */
export function checkStrict(strict: unknown): boolean {
  return checkBoolean('options.strict', strict ?? envSetting('PRIVATE_PROCESS_STRICT') === '1');
}

/**
 * @internal degradedReason says what is lost, and how to get it back, when
 * `backend` is less than this platform's best; null when it is not.
 */
export function degradedReason(backend: BackendKey): string | null {
  if (backend !== 'portable' || !portableHost.nativeBackend) return null;
  const why =
    addonError === null
      ? 'the portable backend was asked for (the backend option or PRIVATE_PROCESS_BACKEND)'
      : `no native build could be loaded (${addonError})`;
  const fix =
    addonError === null
      ? 'leave the backend option and PRIVATE_PROCESS_BACKEND unset'
      : 'install the published package (it carries prebuilt binaries), or rebuild it with a C compiler, ' +
        'Python and make (npm rebuild private-process); a bundler must leave the package external ' +
        '(docs/install.md)';
  return (
    `private-process runs its children with child_process on ${process.platform}: ${why}. ` +
    `They are this process's ordinary children: a foreign waitpid(-1) can take their status, and a kill after ` +
    `that can reach another process that got the pid. To fix it, ${fix}. ` +
    `strict: true or PRIVATE_PROCESS_STRICT=1 makes this an error.`
  );
}

/**
 * @internal refuseDegraded is called before every spawn with the backend
 * chosen for it: when that backend is less than this platform's best, it
 * throws ERR_PRIVATE_PROCESS_DEGRADED under `strict`, else emits the
 * PRIVATE_PROCESS_DEGRADED warning if this process has not yet.
 */
export function refuseDegraded(backend: BackendKey, strict: boolean): void {
  const reason = degradedReason(backend);
  if (reason === null) return;
  if (strict) throw degradedError(reason);
  if (warned) return;
  warned = true;
  process.emitWarning(reason, { code: WARNING_CODE });
}
