import type { ModuleMetadata } from '@nestjs/common';

export interface A2aModuleOptions {
  /** Must provide the runs, approvals and definitions services (the app passes those modules). */
  imports: ModuleMetadata['imports'];
  /** The base URL the card advertises; by default the request's protocol and Host. */
  publicUrl?: string;
  /** How long a blocking send waits for a terminal or input-required state (default 60 s). */
  blockingTimeoutMs?: number;
}

export const A2A_OPTIONS = Symbol('A2A_OPTIONS');

export const DEFAULT_BLOCKING_TIMEOUT_MS = 60_000;
