import { Global, Module, type DynamicModule } from '@nestjs/common';
import { BatonConfig } from './config.js';

/** Makes one BatonConfig available everywhere; tests pass their own environment. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BatonConfig = new BatonConfig()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: BatonConfig, useValue: config }], exports: [BatonConfig] };
  }
}
