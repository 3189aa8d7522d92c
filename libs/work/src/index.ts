export { WorkLoop, type WorkLoopOptions } from './work-loop.js';
export { LeasedWork, type LeasedWorkOptions, type AbortReason } from './leased-work.js';
