export { BatonError, type ErrorKind, type FieldError } from './baton-error.js';
export { canonicalCopy, canonicalJson, contentHash, sha256Hex } from './canonical-json.js';
export { LruCache } from './lru-cache.js';
export { stateMachine, type StateMachine } from './state-machine.js';
export { avoidWasmCallInliningCrash } from './runtime/v8-wasm-calls.js';
export { BatonConfig } from './config.js';
export { readOidcConfig, OIDC_ALGORITHMS, type OidcConfig } from './oidc-config.js';
export { ConfigModule } from './config.module.js';
export { ErrorFilter, toErrorBody, type ErrorBody } from './http/error-filter.js';
export { createValidationPipe, flattenValidationErrors } from './http/validation.js';
export { encodeKeysetCursor, decodeKeysetCursor, type KeysetPosition } from './keyset-cursor.js';
export { PageQueryDto } from './http/page-query.dto.js';
export {
  EgressPolicy,
  EgressDeniedError,
  egressDenialOf,
  assertUrlAllowed,
  urlDeniedMessage,
  isLoopbackListenHost,
  type EgressPolicyOptions,
  type EgressVerdict,
} from './net/egress-policy.js';
export { parseEgressRules, type EgressRules } from './net/egress-rules.js';
export { OutboundHttp, guardedLookup, guardedConnector, type Resolver } from './net/outbound-http.js';
export { requestGuards, YAML_CONTENT_TYPES } from './http/request-guards.js';
export { BrowserRequestPolicy, bareHost, type BrowserGuardOptions, type RequestHeaders } from './http/browser-guard.js';
export { SocketPaths, socketPathsOf } from './http/socket-paths.js';
export { findHostileInput, rememberClean, stringProblem, wasFoundClean, type InputLimits } from './http/hostile-input.js';
export { AdmissionGate, DispatchGate, WriteGate } from './gates.js';
export { sendMail, type Mail } from './net/smtp-client.js';
export { boundOwnerOf, ownerReaches, assertOwnerReaches, ownerForCreate } from './http/tenancy.js';
export { SecretBox, SecretUnavailableError, isSealed, SECRET_PREFIX } from './crypto/secret-box.js';
