// One lint config for all code. Stage folders are only reachable through their index.ts
// (STYLE.md rule 1): deep imports into another stage are an error.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const stages = [
  'uns',
  'kafka',
  'broker',
  'sparkplug',
  'namespace',
  'registry',
  'bridge',
  'history',
  'api',
  'config',
  'security',
  'pipeline',
]

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.cache/', 'node_modules/', 'web/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The explorer's ES modules run in the browser.
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.{1,2}/(\\.\\./)*(${stages.join('|')})/(?!index\\.js$)`,
              message: 'import another stage only through its index.js (STYLE.md rule 1)',
            },
          ],
        },
      ],
    },
  },
)
