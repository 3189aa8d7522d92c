import { Logger } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { AccessService, assertListenAddressAllowed } from '@baton/identity';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SYSTEM_DRAINED_EVENT } from '@baton/ops';
import { createApp } from './create-app.js';

/**
 * Nest's shutdown hooks close the app on SIGTERM/SIGINT (in-flight steps and deliveries are
 * waited for briefly, then handed back). Whatever is left after BATON_SHUTDOWN_GRACE_MS
 * (a database that does not answer, a hook that hangs) must not keep the process alive.
 */
function exitAfterGrace(graceMs: number, logger: Logger): void {
  const arm = (signal: string) => {
    const timer = setTimeout(() => {
      logger.error(`shutdown after ${signal} took longer than ${graceMs} ms; exiting now`);
      process.exit(1);
    }, graceMs);
    timer.unref();
  };
  process.once('SIGTERM', () => arm('SIGTERM'));
  process.once('SIGINT', () => arm('SIGINT'));
}

async function main(): Promise<void> {
  const config = new BatonConfig();
  const app = await createApp({ config });
  const logger = new Logger('Baton');
  exitAfterGrace(config.shutdownGraceMs, logger);
  await app.init(); // migrations and BATON_BOOTSTRAP_TOKEN first: they decide whether auth is on
  const authEnabled = await app.get(AccessService).isAuthEnabled();
  let authOff: boolean;
  try {
    ({ authOff } = assertListenAddressAllowed(config.host, authEnabled));
  } catch (error) {
    await app.close();
    throw error;
  }
  if (authOff) {
    logger.warn('*** AUTH IS OFF: no API token exists, so every request is allowed. ***');
    logger.warn(`*** Listening on loopback (${config.host}) only. Create a token to turn auth on. ***`);
  }
  // A finished drain (issue 16) stops the process the way SIGTERM does: leases handed back.
  app.get(EventEmitter2).once(SYSTEM_DRAINED_EVENT, () => process.kill(process.pid, 'SIGTERM'));
  await app.listen(config.port, config.host);
  const where = config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
  logger.log(`listening on http://${config.host}:${config.port} with ${where}${authOff ? ' (auth off)' : ''}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
