import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { BatonError, type FieldError } from './baton-error.js';

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
  readonly defaultStepTimeoutSeconds: number;
  readonly seedExamples: boolean;
  readonly progressWebhookUrl: string | undefined;
  readonly bodyLimit: string;

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
    this.defaultStepTimeoutSeconds = int('BATON_DEFAULT_STEP_TIMEOUT_SECONDS', 300, 1);
    this.seedExamples = (env.BATON_SEED_EXAMPLES ?? 'true') !== 'false';
    this.progressWebhookUrl = env.ORCHESTRATION_PROGRESS_WEBHOOK_URL || undefined;
    this.bodyLimit = env.BATON_BODY_LIMIT || '5mb';
    if (errors.length > 0) throw BatonError.validation(errors, 'invalid configuration');
  }
}
