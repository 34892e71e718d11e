import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { M365Error } from '../core/errors.js';
import type { Precedence, Snapshot } from '../core/types.js';
import type { Classifier } from '../match/classifier.js';
import { createClassifier } from '../match/create-classifier.js';
import type { DataInUse } from './check-result.js';
import { reportUpdaterEvents, stderrLogger, type FollowLogger } from './follow-log.js';
import { ChangeHistory, updateRecord } from './history.js';
import { LiveIndex } from './live-index.js';
import type { FollowConfig } from './options.js';
import { queryJson, type UpstreamQuery } from './query.js';
import { startingData } from './starting-data.js';
import { StateStore } from './state-store.js';
import { systemTimers, type Timers } from './timers.js';
import { Updater } from './updater.js';
import { WebServiceClient } from './web-service-client.js';
import { WebhookSender } from './webhooks.js';

/**
 * What a Follower is made of, built once by `followParts` from the options: the starting data
 * (starting-data.ts), the state dir claimed for the query, and when following upstream the
 * client, the updater (publishing into the LiveIndex) and the webhooks. The Follower
 * (follower.ts) runs them: poll lock, start, reload, stop.
 */

export interface FollowDeps {
  readonly dispatcher?: Dispatcher | undefined;
  readonly webhookDispatcher?: Dispatcher | undefined;
  readonly timers?: Timers | undefined;
  readonly random?: (() => number) | undefined;
  /** How long start-up waits for the live service when there is no last-known-good (ms). */
  readonly startupTimeoutMs?: number | undefined;
  /** Change records kept for /v1/changes. */
  readonly historyLimit?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly headersTimeoutMs?: number | undefined;
  readonly bodyTimeoutMs?: number | undefined;
}

export interface FollowInput {
  readonly data: string | null;
  readonly precedence: Precedence;
  readonly follow: FollowConfig;
  /** 'serve' (default) polls in a loop under the lock; 'once' is `m365fc update`: one check, no lock. */
  readonly role?: 'serve' | 'once';
}

export interface FollowParts {
  readonly input: FollowInput;
  /** The query followed upstream; null when nothing is followed. */
  readonly query: UpstreamQuery | null;
  readonly timers: Timers;
  readonly build: (s: Snapshot) => Classifier;
  readonly initial: DataInUse<Classifier>;
  /** Empty until the Follower publishes the starting data; the updater publishes into it. */
  readonly liveIndex: LiveIndex;
  readonly store: StateStore | null;
  readonly client: WebServiceClient | null;
  readonly updater: Updater<Classifier> | null;
  readonly webhooks: WebhookSender | null;
  readonly history: ChangeHistory;
  readonly problems: M365Error[];
  readonly log: { current: FollowLogger };
}

export async function followParts(input: FollowInput, deps: FollowDeps): Promise<FollowParts> {
  const f = input.follow;
  const timers = deps.timers ?? systemTimers;
  const log = { current: stderrLogger() };
  // `m365fc update` prints them itself, as text.
  if (input.role !== 'once') for (const w of f.warnings) log.current.warn({ warning: w }, w);
  const problems: M365Error[] = [];
  const report = (e: M365Error): void => {
    problems.push(e);
    log.current.warn({ code: e.code, details: e.details }, e.message);
  };
  const build = (s: Snapshot): Classifier => createClassifier(s, { precedence: input.precedence, tenantName: f.tenant ?? undefined });
  const following = f.upstream !== null;
  const query: UpstreamQuery = { instance: f.instance, ...(f.tenant !== null ? { tenantName: f.tenant } : {}), noIPv6: f.noIPv6, serviceAreas: f.serviceAreas };
  const store = following && f.stateDir !== null ? new StateStore(f.stateDir, report) : null;
  if (store) {
    const { reset } = await store.claim(query, { reset: f.resetStateDir, now: new Date(timers.now()) });
    if (reset) log.current.warn({ dir: store.dir, query: queryJson(query) }, 'state dir started anew for this query (--reset-state-dir): its data and status were removed');
  }
  const initial = await startingData({ store, dataFile: input.data, instance: f.instance, query: following ? query : null, build, report });
  const history = new ChangeHistory(deps.historyLimit ?? 100);
  const liveIndex = new LiveIndex({ clock: timers });
  if (!following || f.upstream === null) {
    return { input, query: null, timers, build, initial, liveIndex, store: null, client: null, updater: null, webhooks: null, history, problems, log };
  }
  const persisted = store ? await store.readStatus() : null;
  const client = new WebServiceClient({
    baseUrl: f.upstream,
    instance: f.instance,
    clientRequestId: store ? (await store.installation()).clientRequestId : randomUUID(),
    ...(f.tenant !== null ? { tenantName: f.tenant } : {}),
    noIPv6: f.noIPv6,
    serviceAreas: f.serviceAreas,
    dispatcher: deps.dispatcher,
    connectTimeoutMs: deps.connectTimeoutMs,
    headersTimeoutMs: deps.headersTimeoutMs,
    bodyTimeoutMs: deps.bodyTimeoutMs,
    clock: timers,
  });
  const webhooks = f.webhooks.length > 0 && input.role !== 'once' ? new WebhookSender({ targets: f.webhooks, timers, dispatcher: deps.webhookDispatcher, random: deps.random }) : null;
  const updater = new Updater<Classifier>({
    client,
    build,
    initial,
    store,
    persisted: persisted?.ok ? persisted.value : null,
    pollIntervalMs: f.pollIntervalMs,
    staleAfterMs: f.staleAfterMs,
    maxShrink: f.maxShrink,
    timers,
    random: deps.random,
    // Built off to the side by the updater; this is the one reference swap.
    publish: (u) => {
      const loadedAt = new Date(timers.now()).toISOString();
      liveIndex.publish(u.index, { source: 'live', fetchedAt: u.snapshot.fetchedAt, loadedAt }, history.add(updateRecord(u, loadedAt)));
    },
  });
  reportUpdaterEvents(updater, webhooks, () => log.current);
  return { input, query, timers, build, initial, liveIndex, store, client, updater, webhooks, history, problems, log };
}
