/**
 * The one clock shape every stage injects (as lru-cache injects `perf`): milliseconds since the
 * Unix epoch. Tests pass a clock that moves only when told (test/fault/helpers.ts ManualTimers),
 * so nothing sleeps for real. Timers that also schedule extend it with setTimeout/clearTimeout.
 */
export interface Clock {
  /** Milliseconds since 1970-01-01T00:00:00Z, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
