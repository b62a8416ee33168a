/**
 * The versions of the app a server runs (the dev server reloads; a plain server has one).
 * A request runs on the version whose route table matched it: reqMeta's TABLE slot names
 * the table's generation, 0 until the first swapTable. Requests already dispatched, or
 * matched against an older table, finish on the older version; its blocking pool is closed
 * a grace period after it was swapped out.
 */
import type { BlockingPool } from "./blocking.js";
import type { DispatchFn } from "./bind.js";
import type { ParamSpec } from "./request.js";

/** One version of the app: its dispatch, its routes' param names, its worker pool. */
export interface Version {
  readonly dispatch: DispatchFn;
  readonly names: readonly ParamSpec[];
  /** The worker pool this version's blocking routes run on (its own modules). */
  readonly pool?: BlockingPool;
}

export class Versions {
  /** The table generation requests are matched against now. */
  gen = 0;
  /** Its version: what the batch loop runs a request on unless its TABLE slot says otherwise. */
  current: Version;
  private readonly byGen = new Map<number, Version>();
  /** Pools of swapped-out versions, until closed (graceMs after the swap, or with the server). */
  private readonly retired = new Set<BlockingPool>();

  constructor(first: Version) {
    this.current = first;
    this.byGen.set(0, first);
  }

  /** The version for requests matched against table generation `gen`. */
  of(gen: number): Version {
    return gen === this.gen ? this.current : (this.byGen.get(gen) ?? this.current);
  }

  /**
   * Makes `version` current for requests matched against table generation `gen` from now
   * on (`gen` unchanged: the same table, new handlers). The swapped-out version's pool
   * finishes what it runs, or what straddled the swap, then closes `graceMs` later.
   */
  install(gen: number, version: Version, graceMs: number): void {
    const previous = this.current;
    if (previous.pool && previous.pool !== version.pool) {
      const pool = previous.pool;
      this.retired.add(pool);
      setTimeout(() => {
        if (this.retired.delete(pool)) void pool.close();
      }, graceMs).unref();
    }
    this.byGen.set(gen, version);
    this.gen = gen;
    this.current = version;
  }

  /** Closes every pool, current and retired. */
  async close(): Promise<void> {
    const pools = new Set(this.retired);
    for (const v of this.byGen.values()) if (v.pool) pools.add(v.pool);
    this.retired.clear();
    this.byGen.clear();
    await Promise.all([...pools].map((p) => p.close()));
  }
}
