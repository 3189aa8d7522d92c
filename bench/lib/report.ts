import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { ResultRow } from './context.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  database: string;
  gitCommit: string;
  gitDirty: boolean;
  loadAverage: number[];
}

function git(command: string): string {
  try {
    return execSync(`git ${command}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineFacts(database: string): Machine {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    database,
    gitCommit: git('rev-parse HEAD'),
    gitDirty: git('status --porcelain') !== '',
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function format(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The one printed table: scenario, case, metric, median and the min-max spread. */
export function renderTable(results: ResultRow[]): string {
  const header = ['scenario', 'case', 'metric', 'median', 'min', 'max', 'unit'];
  const body = results.map((r) => [r.scenario, r.case, r.metric, format(r.figure.median), format(r.figure.min), format(r.figure.max), r.figure.unit]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 3 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i >= 3 && i <= 5 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...body.map(line)].join('\n');
}

export function writeResults(file: string, payload: Record<string, unknown>): void {
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
}
