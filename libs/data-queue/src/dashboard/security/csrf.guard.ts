import { ForbiddenException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CSRF_HEADER, DASHBOARD_OPTIONS } from '../dashboard.constants.js';
import type { ResolvedDashboardOptions } from '../dashboard-options.validation.js';
import { csrfTokenFrom, csrfTokenMatches } from './csrf.js';
import { crossOriginRefusal } from './origin-check.js';
import { headerOf, type RequestHead } from './request-head.js';

/**
 * Actions must come from the dashboard's own pages: same origin by the browser's headers (see
 * origin-check.ts), and echoing the page's CSRF token in a header (see csrf.ts).
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RequestHead>();
    const refusal = crossOriginRefusal(request, this.options.allowedOrigins);
    if (refusal) throw new ForbiddenException(refusal);
    if (!csrfTokenMatches(csrfTokenFrom(headerOf(request, 'cookie')), headerOf(request, CSRF_HEADER))) {
      throw new ForbiddenException('missing or invalid CSRF token: reload the dashboard page and try again');
    }
    return true;
  }
}
