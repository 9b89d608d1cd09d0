// @ts-check
import tseslint from 'typescript-eslint';

/** Package boundaries, enforced: core imports no adapter; an adapter imports core and its own SDK only. */
const ADAPTERS = ['@keel/openai', '@keel/anthropic', '@keel/llamacpp', '@keel/redis'];
const SDKS = ['openai', '@anthropic-ai/sdk'];
const forbid = (names, message) => ({
  'no-restricted-imports': ['error', { paths: names.map((name) => ({ name, message })), patterns: names.map((name) => ({ group: [`${name}/*`], message })) }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/**', '**/*.d.ts'] },
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      // Abort reasons are `unknown` by design; rejecting with them is correct.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // Tests and examples may poke at internals and untyped payloads.
    files: ['**/test/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['packages/core/src/**/*.ts'], rules: forbid([...ADAPTERS, '@keel/testkit', ...SDKS], 'core must not import an adapter, the testkit or a provider SDK') },
  { files: ['packages/openai/src/**/*.ts'], rules: forbid([...ADAPTERS.filter((a) => a !== '@keel/openai'), '@keel/testkit', '@anthropic-ai/sdk'], 'an adapter imports core and its own SDK only') },
  { files: ['packages/anthropic/src/**/*.ts'], rules: forbid([...ADAPTERS.filter((a) => a !== '@keel/anthropic'), '@keel/testkit', 'openai'], 'an adapter imports core and its own SDK only') },
  // @keel/llamacpp speaks the OpenAI wire format through @keel/openai (one HTTP path per wire format).
  { files: ['packages/llamacpp/src/**/*.ts'], rules: forbid([...ADAPTERS.filter((a) => a !== '@keel/llamacpp' && a !== '@keel/openai'), '@keel/testkit', '@anthropic-ai/sdk'], 'the llama.cpp adapter imports core, @keel/openai and openai only') },
  { files: ['packages/redis/src/**/*.ts'], rules: forbid([...ADAPTERS.filter((a) => a !== '@keel/redis'), '@keel/testkit', ...SDKS], 'a store package imports core and ioredis only') },
  { files: ['packages/testkit/src/**/*.ts'], rules: forbid([...ADAPTERS, ...SDKS], 'the testkit speaks wire formats itself; it imports no adapter or SDK') },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
