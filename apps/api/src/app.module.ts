import { Module, type DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { BatonConfig, ConfigModule } from '@baton/common';
import { Database, DbModule } from '@baton/db';
import { OpsModule } from '@baton/ops';

export interface AppOptions {
  config?: BatonConfig;
  /** An open database to use instead of the configured one (tests, a second instance). */
  database?: Database;
}

/** The API server: feature modules wired together, nothing else. */
@Module({})
export class AppModule {
  static register(options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config ?? new BatonConfig()),
        options.database ? DbModule.forDatabase(options.database) : DbModule.forRoot(),
        EventEmitterModule.forRoot({ wildcard: true, delimiter: '.' }),
        OpsModule,
      ],
    };
  }
}
