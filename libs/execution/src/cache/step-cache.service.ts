import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig, LruCache } from '@baton/common';
import { StepCacheRepository, type CachedOutput } from './step-cache.repository.js';

/**
 * The step cache: a bounded in-memory LRU in front of the shared table. The LRU only
 * saves a round trip; the table is the truth every instance shares.
 */
@Injectable()
export class StepCacheService {
  private readonly memory: LruCache<string, CachedOutput>;

  constructor(
    @Inject(StepCacheRepository) private readonly repository: StepCacheRepository,
    @Inject(BatonConfig) config: BatonConfig,
  ) {
    this.memory = new LruCache(config.cacheMaxStepOutputs);
  }

  async get(key: string): Promise<CachedOutput | null> {
    const local = this.memory.get(key);
    if (local) return local;
    const shared = await this.repository.hit(key);
    if (shared) this.memory.set(key, shared, shared.expiresAt.getTime() - Date.now());
    return shared;
  }

  async put(key: string, output: unknown, definitionId: string, stepKey: string, ttlSeconds: number): Promise<CachedOutput> {
    const stored = await this.repository.store(key, output, definitionId, stepKey, ttlSeconds);
    this.memory.set(key, stored, ttlSeconds * 1000);
    return stored;
  }

  pruneExpired(): Promise<number> {
    return this.repository.pruneExpired();
  }
}
