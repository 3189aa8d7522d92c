import { Logger } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { AccessService, assertListenAddressAllowed } from '@baton/identity';
import { createApp } from './create-app.js';

async function main(): Promise<void> {
  const config = new BatonConfig();
  const app = await createApp({ config });
  const logger = new Logger('Baton');
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
  await app.listen(config.port, config.host);
  const where = config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
  logger.log(`listening on http://${config.host}:${config.port} with ${where}${authOff ? ' (auth off)' : ''}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
