import type { Handler } from './handlers.js';

export interface WorkerOptions {
  /** Baton's base URL, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  registrationToken: string;
  name: string;
  maxJobs: number;
  handlers: Map<string, Handler>;
  labels?: Record<string, string>;
  resources?: Record<string, number>;
  log?: (line: string) => void;
}

interface Boot {
  node_id: string;
  node_token: string;
  node_config_url: string;
  heartbeat_url: string;
  claim_url: string;
  jobs_url: string;
  heartbeat_seconds: number;
}

interface Job {
  id: string;
  agent: string;
  input: unknown;
  context: Record<string, unknown>;
  lease_token: string;
}

/**
 * A reference worker node: registers, fetches and acknowledges its configuration, heartbeats
 * (renewing its leases, re-reading a changed configuration) and runs `maxJobs` claim loops
 * that long-poll for jobs, run the handler and complete or fail each under its lease token.
 */
export class WorkerNode {
  private boot?: Boot;
  private configVersion = 0;
  private stopping = false;
  /** Aborts a waiting claim on stop: a job leased meanwhile returns to the queue when its lease runs out. */
  private readonly claims = new AbortController();
  private readonly log: (line: string) => void;

  constructor(private readonly options: WorkerOptions) {
    this.log = options.log ?? ((line) => console.log(line));
  }

  async run(): Promise<void> {
    this.boot = await this.register();
    this.log(`registered as ${this.boot.node_id}`);
    await this.applyConfig();
    const heartbeat = setInterval(() => void this.heartbeat().catch((e) => this.log(`heartbeat failed: ${e}`)), this.boot.heartbeat_seconds * 1000);
    try {
      await Promise.all(Array.from({ length: this.options.maxJobs }, () => this.claimLoop()));
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Stops claiming; jobs in hand finish first, then `run()` resolves. */
  stop(): void {
    this.stopping = true;
    this.claims.abort();
  }

  private async register(): Promise<Boot> {
    const body = {
      name: this.options.name,
      capabilities: [...this.options.handlers.keys()],
      labels: this.options.labels ?? {},
      resources: this.options.resources ?? {},
      max_concurrent_jobs: this.options.maxJobs,
    };
    return (await this.call('POST', `${this.options.baseUrl}/api/v1/nodes/register`, body, this.options.registrationToken)) as Boot;
  }

  private async applyConfig(): Promise<void> {
    const { version } = (await this.call('GET', this.boot!.node_config_url)) as { version: number; config: unknown };
    // This node has nothing to configure beyond the timings it read at registration.
    await this.call('POST', this.boot!.node_config_url, { version, status: 'applied' });
    this.configVersion = version;
    this.log(`configuration ${version} applied`);
  }

  private async heartbeat(): Promise<void> {
    const answer = (await this.call('POST', this.boot!.heartbeat_url, {})) as { status: string; config_version: number };
    if (answer.status !== 'active') this.stop();
    if (answer.config_version !== this.configVersion) await this.applyConfig();
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopping) {
      let job: Job | undefined;
      try {
        job = ((await this.call('POST', this.boot!.claim_url, { wait_seconds: 10 }, undefined, this.claims.signal)) as { job?: Job } | undefined)?.job;
      } catch (error) {
        if (this.stopping) break;
        this.log(`claim failed: ${error}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (job) await this.execute(job);
    }
  }

  private async execute(job: Job): Promise<void> {
    const handler = this.options.handlers.get(job.agent);
    this.log(`job ${job.id} (${job.agent}) started`);
    try {
      if (!handler) throw new Error(`no handler for ${job.agent}`);
      const output = await handler(job.input, job.context);
      await this.call('POST', `${this.boot!.jobs_url}/${job.id}/complete`, { lease_token: job.lease_token, output: output ?? null });
      this.log(`job ${job.id} completed`);
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      await this.call('POST', `${this.boot!.jobs_url}/${job.id}/fail`, { lease_token: job.lease_token, error: { message, retryable: true } }).catch((e) =>
        this.log(`job ${job.id}: could not report the failure: ${e}`),
      );
      this.log(`job ${job.id} failed: ${message}`);
    }
  }

  /** JSON over HTTP with the node's token (or the registration token); a 204 is undefined. */
  private async call(method: string, url: string, body?: unknown, token = this.boot?.node_token, signal?: AbortSignal): Promise<unknown> {
    const response = await fetch(url, {
      method,
      signal,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return undefined;
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
}
