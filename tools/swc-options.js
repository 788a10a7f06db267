// One SWC configuration for every place that runs TypeScript sources directly:
// Jest (@swc/jest) and the Node loader used by `npm start` and the test child processes.
// Legacy decorators + decorator metadata are what NestJS dependency injection reads.
export const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};
