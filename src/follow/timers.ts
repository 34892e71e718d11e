import { systemClock, type Clock } from '../core/clock.js';

/**
 * The clock and timers of following Microsoft: core's one Clock shape plus scheduling. Injected
 * in tests (test/fault/helpers.ts ManualTimers) so that nothing sleeps for real.
 */
export interface Timers extends Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  now: systemClock.now,
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The poll timer alone must not keep a process alive.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
