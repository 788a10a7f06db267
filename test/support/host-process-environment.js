import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest's node environment, plus `globalThis.hostProcess`: the real `process`. A test sees a copy
 * of it whose listeners never fire, and Node reports unhandled rejections on the real one only.
 */
export default class HostProcessEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.hostProcess = process;
  }
}
