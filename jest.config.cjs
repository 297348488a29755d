// Unit specs (*.spec.ts) need nothing running; integration specs (*.int-spec.ts)
// talk to the real PostgreSQL, Redis and an S3 server on loopback.
// NestJS 12 and parts of Fastify are ESM-only, so swc compiles all of
// node_modules to CommonJS as well (see shared STACK notes); Jest caches it.
const { swcOptions, tsconfigPaths } = require('./tools/scripts/swc-options.cjs');

const swc = { ...swcOptions(), swcrc: false };
const moduleNameMapper = Object.fromEntries(
  Object.entries(tsconfigPaths()).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: [],
  moduleNameMapper,
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/'],
};

module.exports = {
  // Integration specs start servers and databases; a slow 2-core CI machine needs the headroom.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,plugins,tools}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,plugins,tools}/**/*.int-spec.ts'],
    },
  ],
};
