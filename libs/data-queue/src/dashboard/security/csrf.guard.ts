import { ForbiddenException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CSRF_HEADER } from '../dashboard.constants.js';
import { csrfTokenFrom, csrfTokenMatches } from './csrf.js';

/** Actions must echo the page's CSRF token in a header (see csrf.ts). */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (!csrfTokenMatches(csrfTokenFrom(request.headers.cookie), request.headers[CSRF_HEADER])) {
      throw new ForbiddenException('missing or invalid CSRF token: reload the dashboard page and try again');
    }
    return true;
  }
}
