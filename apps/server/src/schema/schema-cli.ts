import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printServerSchema } from './print-schema';

/** `schema-cli write` regenerates apps/server/schema.gql; `schema-cli check` fails when it is stale. */
async function main(): Promise<void> {
  const mode = process.argv[2];
  const file = resolve(__dirname, '..', '..', '..', '..', '..', 'apps', 'server', 'schema.gql');
  const schema = await printServerSchema();
  if (mode === 'write') {
    writeFileSync(file, schema);
    process.stdout.write(`wrote ${file}\n`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== schema) {
    process.stderr.write(`apps/server/schema.gql is stale: run \`npm run schema:generate\` and commit the result.\n`);
    process.exit(1);
  }
  process.stdout.write('apps/server/schema.gql is up to date.\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
