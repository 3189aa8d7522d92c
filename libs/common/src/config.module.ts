import { Global, Module, type DynamicModule } from '@nestjs/common';
import { BatonConfig } from './config.js';
import { EgressPolicy } from './net/egress-policy.js';
import { OutboundHttp } from './net/outbound-http.js';

/**
 * Makes one BatonConfig available everywhere; tests pass their own environment. The egress
 * policy and the guarded outbound `fetch` come with it, so every feature that calls out
 * shares one policy and one connection pool.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BatonConfig = new BatonConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: BatonConfig, useValue: config },
        { provide: EgressPolicy, useFactory: () => EgressPolicy.fromConfig(config) },
        { provide: OutboundHttp, useFactory: (policy: EgressPolicy) => new OutboundHttp(policy), inject: [EgressPolicy] },
      ],
      exports: [BatonConfig, EgressPolicy, OutboundHttp],
    };
  }
}
