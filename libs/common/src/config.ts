import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { BatonError, type FieldError } from './baton-error.js';
import { parseEgressRules } from './net/egress-rules.js';
import { readOidcConfig, type OidcConfig } from './oidc-config.js';

/**
 * Every setting Baton reads, parsed once from the environment. `.env.example` lists the same
 * names with the same defaults; keep the two together.
 */
export class BatonConfig {
  readonly port: number;
  readonly host: string;
  /** Postgres URL; when absent Baton runs on embedded PGlite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly dbPoolSize: number;
  /**
   * BATON_PG_PREPARED (default true): statements run repeatedly are prepared once per pooled
   * connection (issue 17). `false` for a pooler in transaction mode that cannot keep them.
   */
  readonly pgPrepared: boolean;
  readonly instanceId: string;
  /** Per-run parallelism when a definition does not set one; undefined means 1 (the design default). */
  readonly defaultMaxParallel: number | undefined;
  /** Running steps across every instance on this database. */
  readonly maxConcurrency: number;
  /** Steps this process runs at once (its share of the global limit). */
  readonly workerConcurrency: number;
  readonly cacheMaxDefinitions: number;
  readonly cacheMaxStepOutputs: number;
  readonly leaseSeconds: number;
  /** The safety-net poll; wake-ups normally come in-process or by NOTIFY. */
  readonly pollIntervalMs: number;
  /** A step whose lease expired this many times (its process died) fails instead of re-queueing. */
  readonly maxLeaseRecoveries: number;
  /**
   * BATON_HANDOFF (default true): a completion claims its runs' next steps in its own
   * transaction (issue 17). `false` goes back to a wake-up and a claim transaction per step.
   */
  readonly handoff: boolean;
  readonly defaultStepTimeoutSeconds: number;
  readonly seedExamples: boolean;
  readonly progressWebhookUrl: string | undefined;
  /** HMAC key for the progress webhook; generated (and kept in the database) when unset. */
  readonly progressWebhookSecret: string | undefined;
  /** Webhooks: the dispatcher's and delivery workers' safety-net poll. */
  readonly webhookPollMs: number;
  /** Webhooks: the first retry delay; it doubles per attempt (with jitter) up to 5 minutes. */
  readonly webhookBackoffMs: number;
  /** Webhooks: attempts before a delivery is given up and kept as `dead`. */
  readonly webhookMaxAttempts: number;
  /** Largest body on ordinary routes (body-parser size syntax). */
  readonly bodyLimit: string;
  /** Largest body on the routes that carry definitions or plans (definitions, runs, /a2a). */
  readonly definitionBodyLimit: string;
  /** Steps per definition or inline plan. */
  readonly maxSteps: number;
  /** Nesting depth of any JSON or YAML value a request carries. */
  readonly maxJsonDepth: number;
  /** Alias nodes a YAML definition may resolve (bombs multiply them). */
  readonly maxYamlAliases: number;
  /** Nesting of child runs: a run started by a step of a run started by a step ... */
  readonly maxRunDepth: number;
  /** Origins besides Baton's own whose browser requests are served (`*` for any). */
  readonly allowedOrigins: string[];
  /** Host names besides the ones Baton serves by default (`*` turns the Host check off). */
  readonly allowedHosts: string[];
  /** Comment lines on idle SSE streams (and WebSocket pings), so proxies keep them open. */
  readonly sseHeartbeatMs: number;
  /** Age after which the events of finished runs are pruned; 0 keeps them forever. */
  readonly eventRetentionHours: number;
  /** BATON_BOOTSTRAP_TOKEN: an admin API token ensured at start-up (stored by hash). */
  readonly bootstrapToken: string | undefined;
  /** BATON_METRICS_AUTH=true: `/metrics` needs a viewer token. */
  readonly metricsAuth: boolean;
  /** BATON_OIDC_* or SUPABASE_URL: people's bearer JWTs (`oidc-config.ts`); undefined: API tokens only. */
  readonly oidc: OidcConfig | undefined;
  /** SIGTERM to exit at most this long, whatever the backlog (in-flight work is handed back first). */
  readonly shutdownGraceMs: number;
  /** BATON_OUTBOUND_ALLOW / _DENY: CIDRs and host patterns for outbound calls (`net/egress-policy.ts`). */
  readonly outboundAllow: string | undefined;
  readonly outboundDeny: string | undefined;
  /** BATON_A2A_DEFAULT_VERSION: the agent card a request without `A2A-Version` gets (`0.3` or `1.0`). */
  readonly a2aDefaultVersion: '0.3' | '1.0';
  /** BATON_A2A_DEFAULT_DEFINITION: the definition an A2A message naming no skill runs. */
  readonly a2aDefaultDefinition: string | undefined;
  /** BATON_HEARTBEAT_INTERVAL_HOURS: the dead-man switch (issue 16); undefined (unset) turns it off. */
  readonly heartbeatIntervalHours: number | undefined;
  /** BATON_MAX_UNATTENDED_HOURS: after the missed heartbeat, this much longer without one drains and stops. */
  readonly maxUnattendedHours: number;
  /** BATON_HEARTBEAT_CHECK_MS: how often the dead-man switch looks at the last heartbeat. */
  readonly heartbeatCheckMs: number;
  /** BATON_HEARTBEAT_SECRET: signs heartbeat webhook URLs (`baton heartbeat --url`); unset, that door is closed. */
  readonly heartbeatSecret: string | undefined;
  /** BATON_BACKUP_CONTACT: the e-mail address alerted (besides BATON_OPERATOR_EMAIL) when the switch trips. */
  readonly backupContact: string | undefined;
  readonly operatorEmail: string | undefined;
  /** BATON_ALERT_SMTP_URL: `smtp://host:port` to send alerts through (plain SMTP, no auth). */
  readonly alertSmtpUrl: string | undefined;
  readonly alertFrom: string;
  /** BATON_ALERT_WEBHOOK_URL / _SECRET: alerts also go as a signed POST here. */
  readonly alertWebhookUrl: string | undefined;
  readonly alertWebhookSecret: string | undefined;
  /** BATON_DRAIN_TIMEOUT_SECONDS: a drain waits this long for in-flight steps, then hands the rest back. */
  readonly drainTimeoutSeconds: number;
  /** BATON_DOCTOR_INTERVAL_MS: how often the doctor looks for stuck work (0: only on request). */
  readonly doctorIntervalMs: number;
  /** BATON_DOCTOR_STUCK_SECONDS: a queued step or a run this long without progress counts as stuck. */
  readonly doctorStuckSeconds: number;
  /** BATON_NODE_REGISTRATION_TOKEN: what worker nodes register with; unset, registration is off. */
  readonly nodeRegistrationToken: string | undefined;
  /** BATON_NODE_LEASE_SECONDS: how long a node holds a job without a heartbeat. */
  readonly nodeLeaseSeconds: number;
  /** BATON_POLICY_FILE: a `.cedar` policy set stored and activated at start when it changed. */
  readonly policyFile: string | undefined;
  /** BATON_POLICY_POLL_MS: how often an instance checks for a policy activation NOTIFY may have missed. */
  readonly policyPollMs: number;
  /** BATON_POLICY_DECISION_RETENTION_DAYS: decision log rows older than this are pruned; 0 keeps them. */
  readonly policyDecisionRetentionDays: number;
  /** BATON_SCHEDULE_HISTORY_DAYS: fires of schedules older than this are pruned. */
  readonly scheduleHistoryDays: number;
  /** BATON_BOOTSTRAP_FILE: a YAML file of definitions, agents, webhooks and schedules applied at start-up. */
  readonly bootstrapFile: string | undefined;
  /** Messaging (issue 14): a (sender, nonce) seen this recently is a replay (409). */
  readonly messageReplayWindowSeconds: number;
  /** Messaging: how long a pulled inbox message stays leased before it is delivered again. */
  readonly messageLeaseSeconds: number;
  /** Messaging: deliveries leased this often without an ack become dead letters. */
  readonly messageMaxAttempts: number;
  /** Messaging: the sweeper's period (request timeouts, expiry, dead letters, nonce pruning). */
  readonly messageSweepMs: number;
  /** Fault tolerance (issue 12): consecutive retryable failures that open an agent's breaker. */
  readonly breakerFailureThreshold: number;
  /** Seconds an open breaker waits before it half-opens (agents may set their own). */
  readonly breakerResetSeconds: number;
  /** A step parked this long because no agent could take it fails with `agent_unavailable`. */
  readonly agentAllocationTimeoutSeconds: number;
  /** Saga compensation: a rollback still open this long after it started is abandoned (`compensation: partial`). */
  readonly sagaCompensationTimeoutSeconds: number;
  /** Default run deadline (hours) when neither the definition nor the run sets `timeout_seconds`. */
  readonly workflowTimeoutHours: number;
  /** Running top-level runs allowed at once; undefined = no limit. Later runs wait `pending`. */
  readonly maxConcurrentWorkflows: number | undefined;
  /** How often breakers, parked steps, run deadlines and admission are checked. */
  readonly faultSweepMs: number;
  /**
   * Traces (issue 13): the OTLP/HTTP traces URL, from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as
   * given or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`; undefined (both unset) turns tracing off.
   */
  readonly otelTracesEndpoint: string | undefined;
  /** OTEL_SERVICE_NAME: the `service.name` of Baton's spans. */
  readonly otelServiceName: string;
  /** BATON_PUBLIC_URL: Baton's own base URL as agents reach it; the `iss` of call tokens. */
  readonly publicUrl: string;
  /** BATON_SECRET_KEY: encrypts agent header values and the stored signing key (AES-256-GCM). */
  readonly secretKey: string | undefined;
  /** BATON_SIGNING_KEY: the Ed25519 key call tokens are signed with (PEM or JWK); unset, one is generated and stored. */
  readonly signingKey: string | undefined;
  /** BATON_CALL_TOKEN_TTL_SECONDS: how long a call token is valid. */
  readonly callTokenTtlSeconds: number;
  /** BATON_SIGNING_KEY_OVERLAP_HOURS: a replaced signing key stays in the JWKS this long. */
  readonly signingKeyOverlapHours: number;
  /** BATON_SIGNING_KEY_PUBLISH_SECONDS: a rotated-in key is in the JWKS this long before it signs. */
  readonly signingKeyPublishSeconds: number;

  constructor(env: Record<string, string | undefined> = process.env) {
    const errors: FieldError[] = [];
    const int = (name: string, fallback: number, min = 0): number => {
      const raw = env[name];
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min) {
        errors.push({ path: name, message: `must be an integer >= ${min}, got "${raw}"` });
        return fallback;
      }
      return value;
    };
    this.port = int('PORT', 3000);
    this.host = env.HOST || '127.0.0.1';
    this.databaseUrl = env.DATABASE_URL || undefined;
    this.dataDir = env.BATON_DATA_DIR || '.baton';
    this.dbPoolSize = int('BATON_DB_POOL_SIZE', 10, 1);
    this.pgPrepared = (env.BATON_PG_PREPARED ?? 'true') !== 'false';
    this.instanceId =
      env.BATON_INSTANCE_ID || `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.defaultMaxParallel = env.ORCHESTRATION_DEFAULT_MAX_PARALLEL
      ? int('ORCHESTRATION_DEFAULT_MAX_PARALLEL', 1, 1)
      : undefined;
    this.maxConcurrency = int('ORCHESTRATION_MAX_CONCURRENCY', 100, 1);
    this.workerConcurrency = int('BATON_WORKER_CONCURRENCY', this.maxConcurrency, 1);
    this.cacheMaxDefinitions = int('ORCHESTRATION_CACHE_MAX_DEFINITIONS', 200);
    this.cacheMaxStepOutputs = int('ORCHESTRATION_CACHE_MAX_STEP_OUTPUTS', 2000);
    this.leaseSeconds = int('BATON_LEASE_SECONDS', 30, 1);
    this.pollIntervalMs = int('BATON_POLL_INTERVAL_MS', 5000, 50);
    this.maxLeaseRecoveries = int('BATON_MAX_LEASE_RECOVERIES', 5, 0);
    this.handoff = (env.BATON_HANDOFF ?? 'true') !== 'false';
    this.defaultStepTimeoutSeconds = int('BATON_DEFAULT_STEP_TIMEOUT_SECONDS', 300, 1);
    this.seedExamples = (env.BATON_SEED_EXAMPLES ?? 'true') !== 'false';
    this.progressWebhookUrl = env.ORCHESTRATION_PROGRESS_WEBHOOK_URL || undefined;
    this.progressWebhookSecret = env.ORCHESTRATION_PROGRESS_WEBHOOK_SECRET || undefined;
    this.webhookPollMs = int('BATON_WEBHOOK_POLL_MS', 1000, 10);
    this.webhookBackoffMs = int('BATON_WEBHOOK_BACKOFF_MS', 1000, 1);
    this.webhookMaxAttempts = int('BATON_WEBHOOK_MAX_ATTEMPTS', 8, 1);
    this.bodyLimit = env.BATON_BODY_LIMIT || '1mb';
    this.definitionBodyLimit = env.BATON_DEFINITION_BODY_LIMIT || '10mb';
    this.maxSteps = int('BATON_MAX_STEPS', 10_000, 1);
    this.maxJsonDepth = int('BATON_MAX_JSON_DEPTH', 64, 8);
    this.maxYamlAliases = int('BATON_MAX_YAML_ALIASES', 100, 0);
    this.maxRunDepth = int('BATON_MAX_RUN_DEPTH', 10, 1);
    this.allowedOrigins = list(env.BATON_ALLOWED_ORIGINS);
    this.allowedHosts = list(env.BATON_ALLOWED_HOSTS);
    this.sseHeartbeatMs = int('BATON_SSE_HEARTBEAT_MS', 15_000, 10);
    // EVENT_RETENTION_HOURS: the seed's name (issue 12), read when Baton's own is not set.
    this.eventRetentionHours = int(env.BATON_EVENT_RETENTION_HOURS ? 'BATON_EVENT_RETENTION_HOURS' : 'EVENT_RETENTION_HOURS', 720, 0);
    this.bootstrapToken = env.BATON_BOOTSTRAP_TOKEN || undefined;
    this.metricsAuth = env.BATON_METRICS_AUTH === 'true';
    this.oidc = readOidcConfig(env, errors);
    this.shutdownGraceMs = int('BATON_SHUTDOWN_GRACE_MS', 10_000, 100);
    this.outboundAllow = env.BATON_OUTBOUND_ALLOW || undefined;
    this.outboundDeny = env.BATON_OUTBOUND_DENY || undefined;
    for (const name of ['BATON_OUTBOUND_ALLOW', 'BATON_OUTBOUND_DENY']) {
      for (const message of parseEgressRules(env[name]).errors) errors.push({ path: name, message });
    }
    const a2aVersion = env.BATON_A2A_DEFAULT_VERSION || '0.3';
    if (a2aVersion !== '0.3' && a2aVersion !== '1.0') errors.push({ path: 'BATON_A2A_DEFAULT_VERSION', message: `must be 0.3 or 1.0, got "${a2aVersion}"` });
    this.a2aDefaultVersion = a2aVersion === '1.0' ? '1.0' : '0.3';
    this.a2aDefaultDefinition = env.BATON_A2A_DEFAULT_DEFINITION?.trim() || undefined;
    const hours = (name: string, fallback: number | undefined): number | undefined => {
      const raw = env[name];
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!Number.isFinite(value) || value <= 0) {
        errors.push({ path: name, message: `must be a number of hours > 0, got "${raw}"` });
        return fallback;
      }
      return value;
    };
    this.heartbeatIntervalHours = hours('BATON_HEARTBEAT_INTERVAL_HOURS', undefined);
    this.maxUnattendedHours = hours('BATON_MAX_UNATTENDED_HOURS', 24)!;
    this.heartbeatCheckMs = int('BATON_HEARTBEAT_CHECK_MS', 60_000, 10);
    this.heartbeatSecret = env.BATON_HEARTBEAT_SECRET || undefined;
    if (this.heartbeatSecret && this.heartbeatSecret.length < 16) {
      errors.push({ path: 'BATON_HEARTBEAT_SECRET', message: 'must be at least 16 characters (it signs the heartbeat URL)' });
    }
    this.backupContact = env.BATON_BACKUP_CONTACT || undefined;
    this.operatorEmail = env.BATON_OPERATOR_EMAIL || undefined;
    this.alertSmtpUrl = env.BATON_ALERT_SMTP_URL || undefined;
    if (this.alertSmtpUrl && !/^smtp:\/\/[^/:]+(:\d+)?\/?$/.test(this.alertSmtpUrl)) {
      errors.push({ path: 'BATON_ALERT_SMTP_URL', message: `must look like smtp://host:port, got "${this.alertSmtpUrl}"` });
    }
    this.alertFrom = env.BATON_ALERT_FROM || 'baton@localhost';
    this.alertWebhookUrl = env.BATON_ALERT_WEBHOOK_URL || undefined;
    this.alertWebhookSecret = env.BATON_ALERT_WEBHOOK_SECRET || undefined;
    if (this.alertWebhookUrl && !this.alertWebhookSecret) {
      errors.push({ path: 'BATON_ALERT_WEBHOOK_SECRET', message: 'is required with BATON_ALERT_WEBHOOK_URL (alerts are signed)' });
    }
    this.drainTimeoutSeconds = int('BATON_DRAIN_TIMEOUT_SECONDS', 300, 0);
    this.doctorIntervalMs = int('BATON_DOCTOR_INTERVAL_MS', 300_000, 0);
    this.doctorStuckSeconds = int('BATON_DOCTOR_STUCK_SECONDS', 60, 0);
    this.nodeRegistrationToken = env.BATON_NODE_REGISTRATION_TOKEN || undefined;
    this.nodeLeaseSeconds = int('BATON_NODE_LEASE_SECONDS', 30, 1);
    this.policyFile = env.BATON_POLICY_FILE?.trim() || undefined;
    this.policyPollMs = int('BATON_POLICY_POLL_MS', 5000, 50);
    this.policyDecisionRetentionDays = int('BATON_POLICY_DECISION_RETENTION_DAYS', 90, 0);
    this.scheduleHistoryDays = int('BATON_SCHEDULE_HISTORY_DAYS', 30, 1);
    this.bootstrapFile = env.BATON_BOOTSTRAP_FILE?.trim() || undefined;
    this.messageReplayWindowSeconds = int('BATON_MESSAGE_REPLAY_WINDOW_SECONDS', 600, 1);
    this.messageLeaseSeconds = int('BATON_MESSAGE_LEASE_SECONDS', 30, 1);
    this.messageMaxAttempts = int('BATON_MESSAGE_MAX_ATTEMPTS', 10, 1);
    this.messageSweepMs = int('BATON_MESSAGE_SWEEP_MS', 1000, 10);
    this.breakerFailureThreshold = int('CIRCUIT_BREAKER_FAILURE_THRESHOLD', 5, 1);
    this.breakerResetSeconds = int('CIRCUIT_BREAKER_RESET_SECONDS', 30, 1);
    this.agentAllocationTimeoutSeconds = int('AGENT_ALLOCATION_TIMEOUT_SECONDS', 300, 1);
    this.sagaCompensationTimeoutSeconds = int('SAGA_COMPENSATION_TIMEOUT_SECONDS', 600, 1);
    this.workflowTimeoutHours = hours('WORKFLOW_TIMEOUT_HOURS', 24)!;
    this.maxConcurrentWorkflows = env.MAX_CONCURRENT_WORKFLOWS ? int('MAX_CONCURRENT_WORKFLOWS', 1, 1) : undefined;
    this.faultSweepMs = int('BATON_FAULT_SWEEP_MS', 5000, 10);
    this.otelTracesEndpoint = otlpTracesEndpoint(env, errors);
    this.otelServiceName = env.OTEL_SERVICE_NAME?.trim() || 'baton';
    this.publicUrl = publicUrlOf(env.BATON_PUBLIC_URL, this.host, this.port, errors);
    this.secretKey = env.BATON_SECRET_KEY || undefined;
    if (this.secretKey && this.secretKey.length < 32) {
      errors.push({ path: 'BATON_SECRET_KEY', message: 'must be at least 32 characters (e.g. `openssl rand -base64 32`)' });
    }
    this.signingKey = env.BATON_SIGNING_KEY?.trim() || undefined;
    this.callTokenTtlSeconds = int('BATON_CALL_TOKEN_TTL_SECONDS', 300, 10);
    this.signingKeyOverlapHours = hours('BATON_SIGNING_KEY_OVERLAP_HOURS', 24)!;
    this.signingKeyPublishSeconds = int('BATON_SIGNING_KEY_PUBLISH_SECONDS', 300, 0);
    if (errors.length > 0) throw BatonError.validation(errors, 'invalid configuration');
  }
}

/** The traces URL as the OTLP exporter specification derives it from the two variables. */
function otlpTracesEndpoint(env: Record<string, string | undefined>, errors: FieldError[]): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const name = traces ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const raw = traces || base;
  if (!raw) return undefined;
  if (!/^https?:\/\/[^/\s]+/.test(raw)) {
    errors.push({ path: name, message: `must be an http(s) URL, got "${raw}"` });
    return undefined;
  }
  return traces ? raw : `${raw.replace(/\/+$/, '')}/v1/traces`;
}

/** BATON_PUBLIC_URL without a trailing slash, else `http://<HOST>:<PORT>` (a wildcard HOST reads as loopback). */
function publicUrlOf(raw: string | undefined, host: string, port: number, errors: FieldError[]): string {
  if (raw) {
    try {
      const url = new URL(raw);
      if (url.protocol === 'http:' || url.protocol === 'https:') return raw.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    errors.push({ path: 'BATON_PUBLIC_URL', message: `must be an http(s) URL, got "${raw}"` });
  }
  const name = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}
