/**
 * The one error type features throw. `kind` says what went wrong in terms a caller can act
 * on; the exception filter maps it to an HTTP status (and the A2A gateway to a JSON-RPC
 * code), so features never pick status codes themselves.
 */
export type ErrorKind =
  | 'validation' // the input is malformed; `details` names each bad field
  | 'not_found'
  | 'conflict' // the request contradicts what is stored (a different body for a version)
  | 'invalid_state' // the target exists but cannot make this transition now
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable';

/** One problem with one field of the input, `path` in the caller's terms: `steps[3].depends_on[0]`. */
export interface FieldError {
  path: string;
  message: string;
}

export class BatonError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BatonError';
  }

  static validation(errors: FieldError[], message?: string): BatonError {
    const summary = message ?? errors.map((e) => `${e.path}: ${e.message}`).slice(0, 5).join('; ');
    return new BatonError('validation', summary, errors);
  }

  static notFound(what: string, id: string): BatonError {
    return new BatonError('not_found', `${what} ${id} was not found`);
  }
}
