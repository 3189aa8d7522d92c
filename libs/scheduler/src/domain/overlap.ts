import type { OverlapPolicy } from './schedule.types.js';

export type OverlapDecision = 'start' | 'buffer' | 'skip' | 'cancel_and_start';

/**
 * What a new fire does given the schedule's open fires: `active` counts fires pending or
 * with a run still going, `buffered` those waiting behind them. A fire queued behind
 * buffered ones buffers too, so buffered fires keep their order.
 */
export function decideOverlap(policy: OverlapPolicy, active: number, buffered: number): OverlapDecision {
  if (policy === 'allow_all') return 'start';
  if (active === 0 && buffered === 0) return 'start';
  switch (policy) {
    case 'skip':
      return 'skip';
    case 'buffer_one':
      return buffered === 0 ? 'buffer' : 'skip';
    case 'buffer_all':
      return 'buffer';
    case 'cancel_other':
      return 'cancel_and_start';
  }
}
