/**
 * The API's objects behind the operations pages (schedules, worker nodes, the system's mode,
 * agent health), as far as the dashboard reads them (docs/api.md). Schedules answer in
 * snake_case, like the fields they are created with.
 */

export interface Schedule {
  id: string;
  name: string;
  definition?: string | { name: string; version?: string; owner?: string };
  plan?: { name?: string; steps?: unknown[] };
  input: unknown;
  cron?: string;
  interval?: number;
  at?: string;
  timezone: string;
  start_at: string | null;
  end_at: string | null;
  jitter_seconds: number;
  overlap: string;
  catchup_window_seconds: number;
  pause_on_failure: boolean;
  dst: string;
  note: string | null;
  paused: boolean;
  pause_note: string | null;
  next_fire_at: string | null;
  next_fire_times?: string[];
  created_at: string | null;
  updated_at: string | null;
}

export interface ScheduleFire {
  id: string;
  fire_time: string;
  kind: string;
  status: string;
  reason: string | null;
  run_id: string | null;
  run_status: string | null;
  recorded_at: string;
  started_at: string | null;
}

export interface WorkerNode {
  id: string;
  name: string;
  status: 'active' | 'draining' | 'removed';
  capabilities: string[];
  labels: Record<string, string>;
  resources: Record<string, unknown>;
  maxJobs: number;
  inFlight: number;
  lastHeartbeatAt: string;
  config: Record<string, unknown>;
  configVersion: number;
  configAck: { version: number | null; at: string | null; status: 'applied' | 'failed' | null; error: string | null };
  createdAt: string;
}

export type SystemMode = 'normal' | 'safe' | 'degraded' | 'draining';
export const SYSTEM_MODES: SystemMode[] = ['normal', 'safe', 'degraded', 'draining'];

export interface SystemEvent {
  id: string;
  type: string;
  data: Record<string, unknown> | null;
  instanceId: string | null;
  createdAt: string;
}

export interface SystemState {
  mode: SystemMode;
  reason: string | null;
  stored: { mode: SystemMode; reason: string | null; setBy: string | null; changedAt: string } | null;
  automatic: { mode: 'degraded'; reason: string; since: string } | null;
  heartbeat: {
    enabled: boolean;
    intervalHours: number | null;
    maxUnattendedHours: number | null;
    lastHeartbeatAt: string | null;
    by: string | null;
    safeAt: string | null;
    drainAt: string | null;
  } | null;
  events: SystemEvent[];
}

export interface DoctorFinding {
  kind: string;
  runId: string | null;
  stepId: string | null;
  stepKey: string | null;
  explanation: string;
  remedy: string;
}

export interface DoctorReport {
  checkedAt: string;
  findings: DoctorFinding[];
  repairs?: Array<DoctorFinding & { outcome: 'fixed' | 'moved_on' }>;
}

/** `GET /api/v1/agents/:name/health`, with the agent's circuit breaker (issue 12). */
export interface AgentHealth {
  name: string;
  breaker: { state: 'closed' | 'open' | 'half_open'; consecutive_failures: number; failure_threshold: number; opened_at: string | null };
  inFlight: number;
  slots: { limit: number | null; used: number; free: number | null };
  recentFailures: {
    since: string;
    count: number;
    items: Array<{ runId: string; stepKey: string; status: string; attempt: number; code: string | null; message: string; retryable: boolean | null; at: string }>;
  };
}
