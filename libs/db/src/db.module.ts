import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { BatonConfig } from '@baton/common';
import { Database } from './database.js';
import { PgDatabase } from './pg-database.js';
import { PgliteDatabase } from './pglite-database.js';
import { migrate } from './migrator.js';
import type { LockOwner } from './data-folder-lock.js';

const OWNS_DATABASE = Symbol('OWNS_DATABASE');

/**
 * Opens the database named by the config: a pg pool for DATABASE_URL, else PGlite on disk
 * (locked for this process; `owner` names it in the error another opener gets).
 */
export async function openDatabase(config: BatonConfig, owner: LockOwner = 'server'): Promise<Database> {
  if (config.databaseUrl) return new PgDatabase(config.databaseUrl, config.dbPoolSize, { prepared: config.pgPrepared });
  return PgliteDatabase.open(join(resolve(config.dataDir), 'pgdata'), owner);
}

class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(OWNS_DATABASE) private readonly owns: boolean,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await migrate(this.db);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owns) await this.db.close();
  }
}

/**
 * Provides `Database` to every module and migrates it before anything else starts.
 * `forRoot()` opens the configured one and closes it on shutdown; `forDatabase(db)` takes one
 * a test (or a second app on the same database) already holds.
 */
@Global()
@Module({})
export class DbModule {
  static forRoot(): DynamicModule {
    return {
      module: DbModule,
      providers: [
        { provide: Database, useFactory: openDatabase, inject: [BatonConfig] },
        { provide: OWNS_DATABASE, useValue: true },
        DatabaseLifecycle,
      ],
      exports: [Database],
    };
  }

  static forDatabase(db: Database): DynamicModule {
    return {
      module: DbModule,
      providers: [{ provide: Database, useValue: db }, { provide: OWNS_DATABASE, useValue: false }, DatabaseLifecycle],
      exports: [Database],
    };
  }
}
