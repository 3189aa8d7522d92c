import { setFlagsFromString } from 'node:v8';

let applied = false;

/**
 * Turns off TurboFan's inlining of JavaScript-to-WebAssembly calls, once per process.
 *
 * Why: on Node 20 (V8 11.3) a process that calls into WebAssembly from hot, optimized code
 * can die with `Fatal error in , line 0 / unreachable code` in
 * `Deoptimizer::DoComputeBuiltinContinuation`: the optimized caller (here the policy engine's
 * Cedar call) is deoptimized lazily while an inlined JS-to-Wasm call is on the stack, and V8
 * cannot rebuild that frame. Measured with the throughput bench (one Baton process, 100 runs
 * of 100 steps): 9 of 12 starts died this way within 15 s; with the inlining off, 8 of 8
 * completed. Without inlining each Cedar or PGlite call goes through the generic wrapper,
 * which costs nanoseconds per call against microseconds of work inside.
 *
 * V8 reads the flag when it optimizes a function, so setting it at start-up, before any
 * caller is hot, is enough. Called where WebAssembly is loaded (Cedar, PGlite).
 */
export function avoidWasmCallInliningCrash(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--no-turbo-inline-js-wasm-calls');
}
