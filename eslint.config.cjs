const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');
const requireResolverGuard = require('./tools/eslint/require-resolver-guard.cjs');

module.exports = [
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', '.modelport/**', 'coverage/**', 'libs/proto/src/generated/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    plugins: { modelport: { rules: { 'require-resolver-guard': requireResolverGuard } } },
    rules: {
      'modelport/require-resolver-guard': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:platform', 'type:domain', 'type:sdk'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:platform', 'type:domain', 'type:sdk'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['type:sdk'] },
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:sdk'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // A plugin's own tests may use the sample models (test fixtures), never core code.
    files: ['plugins/**/*.spec.ts', 'plugins/**/*.int-spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [{ sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['type:sdk', 'scope:testing'] }],
        },
      ],
    },
  },
  {
    // Tests and benchmarks read loosely typed GraphQL responses.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'tools/bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
