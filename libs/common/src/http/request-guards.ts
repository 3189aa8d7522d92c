import bodyParser from 'body-parser';
import type { Request, RequestHandler, Response } from 'express';
import { BatonError } from '../baton-error.js';
import type { BatonConfig } from '../config.js';
import { BrowserRequestPolicy } from './browser-guard.js';
import { toErrorBody } from './error-filter.js';
import { findHostileInput, rememberClean, stringProblem, type InputLimits } from './hostile-input.js';

export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** Routes whose bodies carry definitions or plans, and so get the larger limit. */
const DEFINITION_ROUTES = new Set(['POST /api/v1/definitions', 'POST /api/v1/workflows', 'POST /api/v1/runs', 'POST /a2a']);
/** Routes whose body may be YAML (a definition, a workflow document). */
const YAML_ROUTES = new Set(['POST /api/v1/definitions', 'POST /api/v1/workflows']);
/** `/a2a` reads other content types itself, to answer them in JSON-RPC terms. */
const OWN_CONTENT_TYPES = new Set(['POST /a2a']);

/**
 * Everything a request passes before a controller sees it, in order: the browser guard
 * (before any body is read), the content type, the body parsers with per-route limits, and
 * the hostile-input check over path, query and body. Each refusal is a 4xx with the common
 * error body, so nothing hostile reaches code that would answer it with a 500.
 */
export function requestGuards(config: BatonConfig): RequestHandler[] {
  const policy = new BrowserRequestPolicy({ listenHost: config.host, allowedOrigins: config.allowedOrigins, allowedHosts: config.allowedHosts });
  const limits: InputLimits = { maxDepth: config.maxJsonDepth };
  const parsers = {
    small: bodyParser.json({ limit: config.bodyLimit }),
    large: bodyParser.json({ limit: config.definitionBodyLimit }),
    yaml: bodyParser.text({ type: YAML_CONTENT_TYPES, limit: config.definitionBodyLimit }),
  };
  return [
    (request, response, next) => {
      const refusal = policy.refusal(request.headers);
      if (refusal) return refuse(response, new BatonError('forbidden', refusal));
      next();
    },
    (request, response, next) => {
      const route = routeOf(request);
      const problem = contentTypeProblem(request, route);
      if (problem) return refuse(response, Object.assign(new Error(problem), { status: 415 }));
      const large = DEFINITION_ROUTES.has(route);
      const parse = (parser: RequestHandler, done: () => void): void => {
        void parser(request, response, (error?: unknown) => {
          if (!error) return done();
          // The A2A doors answer malformed JSON in protocol terms (-32700), from their own error handler.
          if (isA2aPath(request.path) && (error as { type?: string }).type === 'entity.parse.failed') return next(error);
          refuse(response, parseError(error, large, config));
        });
      };
      parse(large ? parsers.large : parsers.small, () => {
        if (YAML_ROUTES.has(route)) parse(parsers.yaml, next);
        else next();
      });
    },
    (request, response, next) => {
      const problem = hostileInRequest(request, limits);
      if (problem) return refuse(response, BatonError.validation([problem]));
      next();
    },
  ];
}

function isA2aPath(path: string): boolean {
  return path === '/a2a' || path.startsWith('/a2a/');
}

function routeOf(request: Request): string {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  return `${request.method} ${path}`;
}

function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = request.headers['content-length'];
  return length !== undefined && length !== '0';
}

/** A body must be JSON (or YAML for definitions): a form or text/plain is a browser's "simple request". */
function contentTypeProblem(request: Request, route: string): string | undefined {
  if (!hasBody(request) || OWN_CONTENT_TYPES.has(route)) return undefined;
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const yaml = YAML_ROUTES.has(route);
  if (type === 'application/json' || (yaml && YAML_CONTENT_TYPES.includes(type))) return undefined;
  const accepted = yaml ? `application/json or ${YAML_CONTENT_TYPES[0]}` : 'application/json';
  return `Content-Type ${type ? `"${type.slice(0, 100)}"` : '(none)'} is not accepted here: send ${accepted}`;
}

function parseError(error: unknown, large: boolean, config: BatonConfig): unknown {
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large') {
    const [limit, name] = large ? [config.definitionBodyLimit, 'BATON_DEFINITION_BODY_LIMIT'] : [config.bodyLimit, 'BATON_BODY_LIMIT'];
    return Object.assign(new Error(`request body is larger than ${limit}, the limit for this route (${name})`), { status: 413 });
  }
  if (type === 'entity.parse.failed') {
    return BatonError.validation([{ path: 'body', message: `is not valid JSON: ${(error as Error).message.slice(0, 200)}` }]);
  }
  return error;
}

/** The first NUL, lone surrogate, bad escape, over-deep value or `__proto__` in path, query or body. */
function hostileInRequest(request: Request, limits: InputLimits): { path: string; message: string } | undefined {
  for (const segment of request.path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { path: 'path', message: `segment "${segment.slice(0, 100)}" is not valid percent-encoded UTF-8` };
    }
    const problem = stringProblem(decoded);
    if (problem) return { path: 'path', message: `segment "${segment.slice(0, 100)}" ${problem}` };
  }
  for (const [key, value] of Object.entries(request.query ?? {})) {
    // Controllers read query values as strings; `?a=1&a=2` would hand them an array.
    if (typeof value !== 'string') return { path: `query.${key}`, message: 'must be given once, as text' };
  }
  const query = findHostileInput(request.query, limits, 'query');
  if (query) return query;
  if (typeof request.body === 'string') {
    const problem = stringProblem(request.body);
    return problem ? { path: 'body', message: problem } : undefined;
  }
  if (request.body === undefined) return undefined;
  const problem = findHostileInput(request.body, limits);
  if (!problem) rememberClean(request.body, limits);
  return problem;
}

function refuse(response: Response, error: unknown): void {
  const body = toErrorBody(error);
  response.status(body.statusCode).json(body);
}
