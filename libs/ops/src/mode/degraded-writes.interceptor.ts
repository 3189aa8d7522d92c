import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { BatonError } from '@baton/common';
import { SystemModeService } from './system-mode.service.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Writes a read-only hub still takes: the system routes (to leave degraded mode, beat the
 * heartbeat, drain) and decisions on checkpoints of running work. Run creation is refused
 * by the admission gate in the run factory, whatever door it comes through.
 */
const ALLOWED = [/^\/api\/v1\/system(\/|$)/, /^\/api\/v1\/approvals\/[^/]+\/decision$/];

/**
 * Degraded means read-only: every other HTTP write answers 503 with the reason. Runs after
 * the access guard, so an unauthenticated caller still gets 401, not the mode.
 */
@Injectable()
export class DegradedWritesInterceptor implements NestInterceptor {
  constructor(@Inject(SystemModeService) private readonly mode: SystemModeService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || this.mode.mode !== 'degraded') return next.handle();
    const request = context.switchToHttp().getRequest<{ method: string; path?: string; url: string }>();
    const path = request.path ?? request.url.split('?')[0] ?? '';
    if (READS.has(request.method.toUpperCase()) || ALLOWED.some((pattern) => pattern.test(path))) return next.handle();
    const { reason } = this.mode.view();
    throw new BatonError('unavailable', `Baton is in degraded (read-only) mode: ${reason ?? 'no reason given'}; writes are refused until it is normal again`, {
      mode: 'degraded',
      reason,
    });
  }
}
