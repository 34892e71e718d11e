import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../core/clock.js';
import type { Classifier } from '../match/classifier.js';
import type { Instance } from '../core/types.js';

/**
 * The one mutable reference of the service: the Classifier in use. A request reads `current`
 * once and uses that Classifier to the end, so an update that publishes a new index never
 * mixes two versions in one answer. `publish` swaps with a single assignment.
 */

export type DataSource = 'cache' | 'live' | 'bootstrap' | 'file';

export interface IndexMeta {
  readonly source: DataSource;
  /** When the data was obtained from Microsoft (ISO 8601), or null when unknown. */
  readonly fetchedAt: string | null;
  /** When this process published the index (ISO 8601). */
  readonly loadedAt: string;
  readonly instance: Instance;
}

/** What `publish` needs; fetchedAt, loadedAt and instance default from the snapshot and the clock. */
export interface PublishMeta {
  readonly source: DataSource;
  readonly fetchedAt?: string | null;
  readonly loadedAt?: string;
  readonly instance?: Instance;
}

/** The updater's state as shown by /v1/version, /readyz and /metrics. Every field optional. */
export interface UpdaterStatus {
  lastAttempt?: string | null;
  lastSuccess?: string | null;
  lastErrorCode?: string | null;
  consecutiveFailures?: number | null;
  stale?: boolean | null;
  nextCheck?: string | null;
  /** The latest version upstream announced (for m365fc_upstream_latest_version). */
  latestSeen?: string | null;
  /** Seconds since the data was last confirmed current (for --max-data-age). */
  dataAgeSeconds?: number | null;
  /** Re-reads of the state dir or data file refused by a gate (src/follow/gates.ts). */
  reloadsRefused?: number | null;
}

/** What POST /v1/admin/refresh answers. */
export interface RefreshResult {
  status: 'updated' | 'unchanged' | 'failed';
  version: string;
  errorCode?: string | null;
  message?: string;
}

/** One published change as GET /v1/changes lists it; the updater may add fields. */
export interface ChangeRecord {
  version: string;
  previousVersion?: string | null;
  publishedAt?: string;
  [field: string]: unknown;
}

export interface SwapEvent {
  readonly previous: Classifier | null;
  readonly previousMeta: IndexMeta | null;
  readonly current: Classifier;
  readonly meta: IndexMeta;
  /** What changed, when the updater knows (the record it also keeps for /v1/changes). */
  readonly change?: ChangeRecord | undefined;
}

export interface LiveIndexEvents {
  swap: [SwapEvent];
}

/**
 * What the service shows of following Microsoft, and the one action it offers: the Follower
 * (src/follow/follower.ts) is one. Read when a route asks, so staleness and the next check are
 * computed then.
 */
export interface FollowView {
  /** The updater's state; null when no updater runs. */
  updaterStatus(): UpdaterStatus | null;
  /** Published changes, oldest first. */
  changes(): readonly ChangeRecord[];
  /** Check upstream now; null when no updater runs (POST /v1/admin/refresh answers 501). */
  readonly refresh: (() => Promise<RefreshResult>) | null;
}

export class LiveIndex extends EventEmitter<LiveIndexEvents> {
  /** The Classifier in use; null until the first publish. Read it once per request. */
  current: Classifier | null = null;
  meta: IndexMeta | null = null;

  private readonly clock: Clock;
  private view: FollowView | null;

  constructor(options: { clock?: Clock; follow?: FollowView } = {}) {
    super();
    this.clock = options.clock ?? systemClock;
    this.view = options.follow ?? null;
  }

  /** Connects what follows Microsoft for this index (one view at a time; null detaches it). */
  attach(view: FollowView | null): void {
    this.view = view;
  }

  /** The updater's state, as /v1/version, /readyz and /metrics show it; null without an updater. */
  get updaterStatus(): UpdaterStatus | null {
    return this.view?.updaterStatus() ?? null;
  }

  /** Published changes, oldest first; null when nothing follows Microsoft. */
  get changes(): readonly ChangeRecord[] | null {
    return this.view?.changes() ?? null;
  }

  /** Checks upstream now; undefined when no updater runs. */
  get refresh(): (() => Promise<RefreshResult>) | undefined {
    return this.view?.refresh ?? undefined;
  }

  /** Makes `classifier` the one answering from now on and tells the listeners. */
  publish(classifier: Classifier, meta: PublishMeta, change?: ChangeRecord): SwapEvent {
    const full: IndexMeta = {
      source: meta.source,
      fetchedAt: meta.fetchedAt !== undefined ? meta.fetchedAt : classifier.snapshot.fetchedAt,
      loadedAt: meta.loadedAt ?? new Date(this.clock.now()).toISOString(),
      instance: meta.instance ?? classifier.snapshot.instance,
    };
    const event: SwapEvent = {
      previous: this.current,
      previousMeta: this.meta,
      current: classifier,
      meta: full,
      ...(change !== undefined ? { change } : {}),
    };
    // No await between the two assignments: no request can see one without the other.
    this.meta = full;
    this.current = classifier;
    this.emit('swap', event);
    return event;
  }

  /** Seconds since the data in use was fetched from Microsoft, or null when unknown. */
  ageSeconds(): number | null {
    const fetched = this.meta?.fetchedAt;
    if (fetched == null) return null;
    const t = Date.parse(fetched);
    return Number.isNaN(t) ? null : Math.max(0, Math.round((this.clock.now() - t) / 1000));
  }
}
