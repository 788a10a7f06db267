import { swcOptions } from './tools/swc-options.js';

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Resolve `@dataqueue/nestjs` to its TypeScript sources, as the app loader does.
  testEnvironmentOptions: { customExportConditions: ['@dataqueue/source', 'node', 'node-addons'] },
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcOptions, sourceMaps: 'inline' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  roots: ['<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  // After each test file: no DataQueue connection or `processing` job left in its schemas.
  setupFilesAfterEnv: ['<rootDir>/test/support/leak-check.ts'],
  testTimeout: 60_000,
};
