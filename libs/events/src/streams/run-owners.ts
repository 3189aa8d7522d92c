import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BatonError, LruCache } from '@baton/common';
import type { StreamItem } from './stream-reader.js';
import type { StreamSink } from './stream-pump.js';

/**
 * Tenancy (issue 13) for readers of the event log. Events carry a run id, not an owner, and
 * `events` stands below `runs`: it declares this token and `runs` provides it
 * (`{ provide: RUN_OWNERS, useExisting: RunQueryService }`), looked up like UPGRADE_AUTHORIZER.
 */
export const RUN_OWNERS = 'baton:run-owners';

export interface RunOwners {
  /** The owner of each run that exists (`''` for none); missing runs are absent. */
  ownersOf(runIds: string[]): Promise<Map<string, string>>;
}

const CACHE_SIZE = 50_000;

/**
 * Run owners, cached: a run's owner never changes after it is created, so an entry never goes
 * stale. One instance per process, shared by every stream and the webhook dispatcher.
 */
@Injectable()
export class RunOwnerCache {
  private readonly cache = new LruCache<string, string>(CACHE_SIZE);

  constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

  private source(): RunOwners | undefined {
    try {
      return this.moduleRef.get<RunOwners>(RUN_OWNERS, { strict: false });
    } catch {
      return undefined;
    }
  }

  /** Owners of `runIds`; a run that does not exist is absent from the map. */
  async ownersOf(runIds: Iterable<string>): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(runIds)) {
      const owner = this.cache.get(id);
      if (owner !== undefined) found.set(id, owner);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    // Without the runs module (a library's own tests) no run has a known owner: owner-scoped
    // readers then get nothing, which fails closed.
    const source = this.source();
    if (!source) return found;
    for (const [id, owner] of await source.ownersOf(missing)) {
      this.cache.set(id, owner);
      found.set(id, owner);
    }
    return found;
  }

  /** 404 (the same as a run without a log) when `runId` is not `bound`'s. */
  async assertReaches(runId: string, bound: string | undefined): Promise<void> {
    if (bound === undefined) return;
    if ((await this.ownersOf([runId])).get(runId) !== bound) throw BatonError.notFound('run', runId);
  }

  /**
   * A sink that passes on only the events of `bound`'s runs, in order: a batch waits for its
   * owners (from the cache, else one query) before the next is read, as with backpressure.
   */
  filterSink(sink: StreamSink, bound: string): StreamSink {
    const keep = async (items: StreamItem[]) => {
      const owners = await this.ownersOf(items.map((item) => item.event.runId));
      return items.filter((item) => owners.get(item.event.runId) === bound);
    };
    const forward = async (items: StreamItem[]) => {
      const kept = await keep(items);
      if (kept.length === 0) return;
      if (sink.sendMany) return sink.sendMany(kept);
      for (const item of kept) await sink.send(item);
    };
    return { send: (item) => forward([item]), sendMany: (items) => forward(items), end: (reason) => sink.end(reason) };
  }
}
