import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { SystemModeService } from './system-mode.service.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Writes a read-only hub still takes at the door, because they are reads, approvals or the
 * finishing of running work:
 * - the system routes (to leave degraded mode, beat the heartbeat, drain, run the doctor);
 * - decisions on checkpoints of running work;
 * - a Cedar evaluation (a read sent as POST);
 * - the worker-node protocol a running step finishes through (heartbeat, claim of its job,
 *   complete, fail, and re-registering);
 * - A2A and MCP, whose one JSON-RPC route carries reads, approvals and writes alike: there
 *   the services refuse the writes (the run factory's admission gate, `WriteGate` in run
 *   control and A2A push configs) and let reads and decisions through.
 * Run creation is refused by the admission gate in the run factory, whatever the door.
 */
const ALLOWED = [
  /^\/api\/v1\/system(\/|$)/,
  /^\/api\/v1\/doctor(\/|$)/,
  /^\/api\/v1\/approvals\/[^/]+\/decision$/,
  /^\/api\/v1\/policies\/evaluate$/,
  /^\/api\/v1\/nodes\/(register|[^/]+\/(heartbeat|claim|config|jobs\/[^/]+\/(complete|fail)))$/,
  /^\/a2a(\/|$)/,
  /^\/mcp$/,
];

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
    this.mode.assertWritable();
    return next.handle();
  }
}
