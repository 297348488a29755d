import { join } from 'node:path';

export { startFakePlugin, type FakePlugin, type FakePluginOptions } from './fake-plugin';
export { capturingLogger, eventually, sleep, type LogLine } from './capturing-logger';

/**
 * The built fake plugin (run `node tools/scripts/build.cjs` first), given the
 * repository root: `spawn(process.execPath, [fakePluginScript(root)])`.
 */
export function fakePluginScript(repositoryRoot: string): string {
  return join(repositoryRoot, 'dist', 'libs', 'serving', 'src', 'plugins', 'testing', 'fake-plugin.js');
}
