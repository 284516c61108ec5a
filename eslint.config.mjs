import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

/**
 * Module boundaries on two axes.
 * type: app > feature > data-access > util, and `test` (helpers for tests) that only test
 * code may use; scope: gateway and service may use shared, never each other.
 */
const typeConstraints = (allowTests) => {
  const test = allowTests ? ['type:test'] : [];
  return [
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', ...test],
    },
    {
      sourceTag: 'type:e2e',
      onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:test'],
    },
    {
      sourceTag: 'type:feature',
      onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', ...test],
    },
    {
      sourceTag: 'type:data-access',
      onlyDependOnLibsWithTags: ['type:data-access', 'type:util', ...test],
    },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', ...test] },
    {
      sourceTag: 'type:test',
      onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:test'],
    },
  ];
};

const scopeConstraints = [
  { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
  { sourceTag: 'scope:service', onlyDependOnLibsWithTags: ['scope:service', 'scope:shared'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
];

const boundaries = (allowTests) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [...typeConstraints(allowTests), ...scopeConstraints],
  },
];

// Benchmarks are test tooling too: they may use the test helpers.
const TEST_FILES = [
  '**/*.spec.ts',
  '**/*.bench.ts',
  '**/*.contract.ts',
  '**/src/testing.ts',
  'apps/gateway-e2e/**',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  prettier,
  {
    ignores: ['**/dist', '**/node_modules', '**/tmp', '**/coverage', '.nx'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      // Production code never imports a test helper, whatever lib it comes from.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@mqgw/testing', '@mqgw/*/testing'],
              message: 'test helpers are for tests only',
            },
          ],
        },
      ],
      // Input validators match control characters on purpose.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': boundaries(true),
      'no-restricted-imports': 'off',
    },
  },
];
