import { BatonError, type FieldError } from '@baton/common';

/** The watchdog's settings, from its own environment (it shares none with the hub). */
export interface WatchdogConfig {
  batonUrl: string;
  /** An operator token, to ask Baton to recycle orphans (`POST /api/v1/doctor/fix`). */
  batonToken: string | undefined;
  intervalMs: number;
  /** Consecutive failed /health polls before alerting. */
  failures: number;
  /** A read-only database role's URL, for the stall and orphan checks; off when unset. */
  databaseUrl: string | undefined;
  /** Due queued steps older than this, with nothing dispatching them, are a stall. */
  stallMinutes: number;
  /** Running steps whose lease expired this long ago are orphans. */
  orphanMinutes: number;
  smtpUrl: string | undefined;
  alertTo: string[];
  alertFrom: string;
  webhookUrl: string | undefined;
}

export function loadWatchdogConfig(env: Record<string, string | undefined>): WatchdogConfig {
  const errors: FieldError[] = [];
  const num = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) {
      errors.push({ path: name, message: `must be a number >= ${min}, got "${raw}"` });
      return fallback;
    }
    return value;
  };
  const config: WatchdogConfig = {
    batonUrl: (env.WATCHDOG_BATON_URL || 'http://127.0.0.1:3000').replace(/\/$/, ''),
    batonToken: env.WATCHDOG_BATON_TOKEN || undefined,
    intervalMs: num('WATCHDOG_INTERVAL_MS', 30_000, 10),
    failures: num('WATCHDOG_FAILURES', 3, 1),
    databaseUrl: env.WATCHDOG_DATABASE_URL || undefined,
    stallMinutes: num('WATCHDOG_STALL_MINUTES', 15, 0),
    orphanMinutes: num('WATCHDOG_ORPHAN_MINUTES', 5, 0),
    smtpUrl: env.WATCHDOG_SMTP_URL || undefined,
    alertTo: (env.WATCHDOG_ALERT_TO ?? '').split(',').map((a) => a.trim()).filter(Boolean),
    alertFrom: env.WATCHDOG_ALERT_FROM || 'baton-watchdog@localhost',
    webhookUrl: env.WATCHDOG_WEBHOOK_URL || undefined,
  };
  if (errors.length > 0) throw BatonError.validation(errors, 'invalid watchdog configuration');
  return config;
}
