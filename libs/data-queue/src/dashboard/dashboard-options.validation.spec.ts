import { describe, expect, it } from '@jest/globals';
import type { CanActivate } from '@nestjs/common';
import { DataQueueOptionsInvalidError } from '../core/data-queue.errors.js';
import { resolveDashboardOptions } from './dashboard-options.validation.js';

const guard: CanActivate = { canActivate: () => true };

describe('dashboard options', () => {
  it('fills in every default', () => {
    expect(resolveDashboardOptions()).toEqual({
      guard: undefined,
      public: false,
      readOnly: false,
      locale: 'en',
      pollSeconds: 5,
      title: 'DataQueue',
      allowedOrigins: [],
    });
  });

  it.each([
    [{ guard: 'AdminGuard' }, 'dashboard.guard'],
    [{ public: 'yes' }, 'dashboard.public'],
    [{ public: true, guard }, 'dashboard.public'],
    [{ readOnly: 1 }, 'dashboard.readOnly'],
    [{ locale: 'xx' }, 'dashboard.locale'],
    [{ locale: 'constructor' }, 'dashboard.locale'],
    [{ locale: '__proto__' }, 'dashboard.locale'],
    [{ locale: 'toString' }, 'dashboard.locale'],
    [{ pollSeconds: 0 }, 'dashboard.pollSeconds'],
    [{ title: '' }, 'dashboard.title'],
    [{ allowedOrigins: 'https://admin.example.com' }, 'dashboard.allowedOrigins'],
    [{ allowedOrigins: ['https://admin.example.com/queue'] }, 'dashboard.allowedOrigins[0]'],
    [{ allowedOrigins: ['https://admin.example.com', 'https://admin.example.com?x=1'] }, 'dashboard.allowedOrigins[1]'],
    [{ allowedOrigins: ['admin.example.com'] }, 'dashboard.allowedOrigins[0]'],
    [{ allowedOrigins: ['ftp://admin.example.com'] }, 'dashboard.allowedOrigins[0]'],
    [{ allowedOrigins: ['https://user@admin.example.com'] }, 'dashboard.allowedOrigins[0]'],
    [{ allowedOrigins: [42] }, 'dashboard.allowedOrigins[0]'],
  ])('rejects %p naming the option', (options, option) => {
    const attempt = () => resolveDashboardOptions(options as never);
    expect(attempt).toThrow(DataQueueOptionsInvalidError);
    expect(attempt).toThrow(`option "${option}"`);
  });

  it('takes a guard without public, or public: false with a guard', () => {
    expect(resolveDashboardOptions({ guard })).toMatchObject({ guard, public: false });
    expect(resolveDashboardOptions({ guard, public: false })).toMatchObject({ guard, public: false });
  });

  it('keeps allowedOrigins as browsers serialise them in Origin', () => {
    const { allowedOrigins } = resolveDashboardOptions({
      allowedOrigins: ['https://Admin.Example.com', 'https://admin.example.com:443/', 'http://10.0.0.5:8080'],
    });
    expect(allowedOrigins).toEqual(['https://admin.example.com', 'https://admin.example.com', 'http://10.0.0.5:8080']);
  });
});
