import { describe, expect, it } from '@jest/globals';
import { deriveKey, keySpecProblem } from './concurrency-key.js';

const job = { jobType: 'sync', tags: ['region:eu', 'tenant:acme', 'tenant:other'] };

describe('concurrency keys', () => {
  it('reads a payload path, a tag prefix or a template', () => {
    const payload = { account: { id: 42 }, report: 'q3' };
    expect(deriveKey({ payload: 'account.id' }, payload, job)).toBe('42');
    expect(deriveKey({ tagPrefix: 'tenant:' }, payload, job)).toBe('tenant:acme');
    expect(deriveKey({ template: '{jobType}:{payload.report}:{payload.account.id}' }, payload, job)).toBe('sync:q3:42');
    expect(deriveKey((p: { report: string }) => `r:${p.report}`, payload, job)).toBe('r:q3');
  });

  it('gives no key (the rule does not apply) when a value is missing or not a scalar', () => {
    expect(deriveKey({ payload: 'account.name' }, { account: { id: 1 } }, job)).toBeNull();
    expect(deriveKey({ payload: 'account' }, { account: { id: 1 } }, job)).toBeNull();
    expect(deriveKey({ payload: 'constructor' }, {}, job)).toBeNull();
    expect(deriveKey({ tagPrefix: 'user:' }, {}, job)).toBeNull();
    expect(deriveKey({ template: 'r:{payload.report}' }, { report: null }, job)).toBeNull();
    expect(deriveKey(() => undefined, {}, job)).toBeNull();
  });

  it('names what is wrong with a key that is neither a function nor one declarative form', () => {
    expect(keySpecProblem(() => 'k')).toBeNull();
    expect(keySpecProblem({ payload: 'user' })).toBeNull();
    expect(keySpecProblem('user')).toMatch(/must be a function of the payload, or one of/);
    expect(keySpecProblem({ payload: 'user', tagPrefix: 't' })).toMatch(/must be/);
    expect(keySpecProblem({ payload: '' })).toMatch(/must be/);
    expect(keySpecProblem({ template: 'static' })).toMatch(/template must contain/);
  });
});
