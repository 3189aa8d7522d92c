import type { BenchDatabase } from './bench-db.js';
import type { BatonSettings } from './baton.js';
import type { Figure } from './stats.js';

/** What every scenario gets: the database, the options of this invocation. */
export interface BenchContext {
  database: BenchDatabase;
  baton: BatonSettings;
  /** Repetitions after the warm-up. */
  reps: number;
  /** 1 = the sizes the issue names; 0.1 = a tenth of the steps. */
  scale: number;
  log(message: string): void;
}

/** One line of the printed table and of results.json. */
export interface ResultRow {
  scenario: string;
  case: string;
  metric: string;
  figure: Figure;
}

export function rows(scenario: string, caseName: string, figures: Record<string, Figure>): ResultRow[] {
  return Object.entries(figures).map(([metric, figure]) => ({ scenario, case: caseName, metric, figure }));
}

export function scaled(n: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(n * scale));
}
