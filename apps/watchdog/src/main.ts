import { loadWatchdogConfig } from './watchdog-config.js';
import { Watchdog } from './watchdog.js';

/** `npm run watchdog`: runs until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const watchdog = new Watchdog(loadWatchdogConfig(process.env));
  watchdog.start();
  const stop = () => void watchdog.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
