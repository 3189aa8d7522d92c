import { Logger } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { createApp } from './create-app.js';

async function main(): Promise<void> {
  const config = new BatonConfig();
  const app = await createApp({ config });
  await app.listen(config.port, config.host);
  const where = config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
  new Logger('Baton').log(`listening on http://${config.host}:${config.port} with ${where}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
