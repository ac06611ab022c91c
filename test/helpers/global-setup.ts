/**
 * Vitest global setup: compiles the native test helpers once per run, before any test file starts,
 * and hands their paths to tests, which read them with `inject('helpers')`.
 */
import type { TestProject } from 'vitest/node';
import { buildHelpers } from './build.js';

/** setup builds the helpers and provides their paths under the key `helpers`. */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('helpers', await buildHelpers());
}
