import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printServerSchema } from './print-schema';

describe('committed GraphQL schema', () => {
  it('matches the schema the resolvers generate (run `npm run schema:generate` when this fails)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'schema.gql'), 'utf8');
    expect(await printServerSchema()).toBe(committed);
  }, 60_000);
});
