// ESLint: the recommended JavaScript and typescript-eslint type-checked rules, tuned where the code
// differs on purpose (each exception says why). Formatting is Prettier's (`.prettierrc.json`), so
// eslint-config-prettier comes last and turns off every rule it would fight with.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Git-ignored output (ESLint does not read .gitignore) and the fixture app, a package of its own.
  { ignores: ['**/dist/', 'coverage/', 'test/artifacts/', 'bench/results/', 'bench/tmp/', 'libs/data-queue/docs/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // House rule: types come in through `import type` (or an inline `type` next to values).
      // Files with decorators are skipped: decorator metadata needs their parameter types as values.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // `_name` marks a parameter a signature needs, or a field taken out of an object and left unused.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
        },
      ],
      // An options interface that extends another one is kept as a name of its own in the public API.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // An abort reason (`signal.reason`) is `any`, and is what a job's promise rejects with.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Handlers, callbacks and test doubles implement async contracts; `async` keeps a synchronous
      // throw a rejection, so dropping it where nothing is awaited would change behaviour.
      '@typescript-eslint/require-await': 'off',
      // Values from pg rows, JSON.parse, Nest's discovery and `getHttpServer()` are `any` at the library
      // boundary; the code narrows them where it reads them, and tsc runs in strict mode.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `Function` is what Nest and Reflect hand out for a class; it is only compared and named.
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  {
    // Tests and benchmarks read loosely typed HTTP bodies and third-party queues' APIs.
    files: ['test/**', 'bench/**', '**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain JavaScript (tools, configs, the bin script, Jest's global setup) and the fixture app
    // (its own package, built against the published types) are linted without type information.
    files: ['**/*.js', '**/*.cjs', 'test/fixtures/consumer-app/**'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Without type information consistent-type-imports learns the decorator settings from here.
    files: ['test/fixtures/consumer-app/**'],
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  prettier,
);
