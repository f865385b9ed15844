// typescript-eslint's recommended rules over src/, test/ and bench/ (docs/architecture.md says why
// a few are set as they are).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'native/', 'runs/', 'bin/', '*.cjs', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused names are errors, except those marked unused on purpose with a leading underscore.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The native binding and JSON checkpoints are untyped at the edges; `any` there must be justified in a comment.
      '@typescript-eslint/no-explicit-any': 'error',
      // Bench and test scripts load the compiled addon and optional modules with require().
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The scripts' helpers (scripts/*.mjs) are plain Node programs.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    // Tests read untyped JSON fixtures and pass wrongly typed values on purpose (`'float16' as any`).
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
