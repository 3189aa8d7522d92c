/** Sessions: runs under a caller's id with metadata, steered by `/api/v1/sessions/:id/actions/:action`. */
export { SessionsModule } from './sessions.module.js';
export { SessionsService, type SessionState, type StartSessionRequest } from './sessions.service.js';
export { presentSession } from './http/session.presenter.js';
export { SESSION_ACTIONS, SessionErrorCode, type Session, type SessionAction } from './session.types.js';
