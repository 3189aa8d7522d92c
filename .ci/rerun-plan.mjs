// Reads jest's --json results and decides whether the failed suites may run once more.
// A suite may when each of its failures is a wall-clock one: a bound marked
// "[load-sensitive bound]" (libs/testing/src/load-bound.ts, waitFor's timeout), jest's own
// test timeout, a browser wait of Playwright's that timed out (`locator.waitFor: Timeout
// 15000ms exceeded`), or a jest worker killed by V8's intermittent fatal error. Any other failure
// (a wrong value, a wrong status, a thrown error) fails CI at once. More than MAX_RERUNS
// such suites is not a load blip either. Prints the suites to run, one per line.
import { readFileSync } from 'node:fs';

const MAX_RERUNS = 4;
const WALL_CLOCK = /\[load-sensitive bound\]|Exceeded timeout of \d+ ms|\b(?:locator|page)\.\w+: Timeout \d+ms exceeded|was terminated by another process/;

const results = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// Only 'failed': jest marks a suite with a skipped test 'focused', and that is no failure.
const failed = results.testResults.filter((suite) => suite.status === 'failed');
const refuse = (why) => {
  console.error(`no re-run: ${why}`);
  process.exit(1);
};
if (failed.length === 0) refuse('jest failed outside any suite (see its output)');
if (failed.length > MAX_RERUNS) refuse(`${failed.length} suites failed (more than ${MAX_RERUNS})`);
for (const suite of failed) {
  const failures = suite.assertionResults.filter((test) => test.status === 'failed');
  const texts = failures.length > 0 ? failures.map((test) => test.failureMessages.join('\n')) : [suite.message];
  const other = texts.find((text) => !WALL_CLOCK.test(text));
  if (other !== undefined) refuse(`${suite.name} failed on more than time:\n${other.slice(0, 2000)}`);
}
for (const suite of failed) console.log(suite.name);
