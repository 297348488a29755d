#!/usr/bin/env node
// `npm test`: the whole suite, unit and integration, in one Jest run.
// Integration specs use the PostgreSQL and Redis on loopback (override with
// MODELPORT_TEST_DATABASE_URL / MODELPORT_TEST_REDIS_URL) and start their own
// S3 server; the smoke test builds the server first.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const build = spawnSync(process.execPath, [path.join(__dirname, 'build.cjs')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);

const jest = require.resolve('jest/bin/jest');
const args = [jest, '--ci', ...process.argv.slice(2)];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=4096`.trim() } });
process.exit(run.status ?? 1);
