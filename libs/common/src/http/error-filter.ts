import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { BatonError, type ErrorKind } from '../baton-error.js';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  invalid_state: HttpStatus.CONFLICT,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/** Turns anything thrown into `{ statusCode, error, message, details? }`. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof BatonError) {
    const statusCode = STATUS_BY_KIND[exception.kind];
    return body(statusCode, exception.message, exception.details);
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'string') return body(statusCode, response);
    const { message, details } = response as { message?: unknown; details?: unknown };
    const text = Array.isArray(message) ? message.join('; ') : String(message ?? exception.message);
    return body(statusCode, text, details);
  }
  // A statement that failed for want of a database (tagged by @baton/db's PgDatabase, read
  // here by its registered symbol so common need not import db): retry later, not a bug.
  if ((exception as Record<symbol, unknown> | null)?.[Symbol.for('baton.db.unavailable')] === true) {
    return body(HttpStatus.SERVICE_UNAVAILABLE, 'the database is unavailable; Baton is degraded (read-only) until it is back');
  }
  // An append the event log refused (tagged by @baton/events): Baton turns degraded until it
  // takes writes again (issue 16), so the caller should retry later, as for the database.
  if ((exception as Record<symbol, unknown> | null)?.[Symbol.for('baton.events.failing')] === true) {
    return body(HttpStatus.SERVICE_UNAVAILABLE, 'the event log refuses writes; Baton is degraded (read-only) until it takes them again');
  }
  // Body-parser errors carry a status (malformed JSON, too large) but are not HttpExceptions.
  const status = (exception as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return body(status, (exception as Error).message);
  }
  return body(HttpStatus.INTERNAL_SERVER_ERROR, 'internal error');
}

function body(statusCode: number, message: string, details?: unknown): ErrorBody {
  const result: ErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (details !== undefined) result.details = details;
  return result;
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    const result = toErrorBody(exception);
    if (result.statusCode >= 500) {
      this.logger.error((exception as Error)?.stack ?? String(exception));
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(result.statusCode).json(result);
  }
}
