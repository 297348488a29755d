#!/usr/bin/env node
// The example plugin: the linear-json runtime served with servePlugin.
// Started by the Modelport plugin host (or the conformance kit's launcher);
// run from the build with `node dist/libs/plugin-sdk/src/testing/example-plugin.js`.
// MODELPORT_EXAMPLE_MISBEHAVE (comma list: noisy, single-model) breaks it on
// purpose, for tests of the conformance kit itself.
import { servePlugin } from '../serve-plugin';
import { linearJsonRuntime, type LinearJsonMisbehaviour } from './linear-json-runtime';

const misbehave = (process.env['MODELPORT_EXAMPLE_MISBEHAVE'] ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is LinearJsonMisbehaviour => s === 'noisy' || s === 'single-model');

servePlugin(linearJsonRuntime({ misbehave })).catch((err: Error) => {
  process.stderr.write(`example plugin failed to start: ${err.message}\n`);
  process.exit(1);
});
