/** What a ClassifierStream (client-stream.ts) is configured with and the events it emits. */
import type { M365fcClientError } from './client-errors.js';
import type { StreamVersionEvent } from './types.js';

export type StreamEventName = 'version';

export interface ReconnectOptions {
  /** First delay after a connection is lost or refused, ms. Default 100. */
  readonly initialDelayMs?: number;
  /** Largest delay, ms. Default 10000. */
  readonly maxDelayMs?: number;
  /** Growth of the delay per failed attempt. Default 2. */
  readonly factor?: number;
  /** Give up after this many failed attempts in a row (pending requests then fail). Default: never. */
  readonly maxAttempts?: number;
}

/** Schedules `fn` after `ms` and returns a cancel function. Injectable so tests need not wait. */
export type Scheduler = (fn: () => void, ms: number) => () => void;

export interface StreamOptions {
  /** Events to subscribe to now and again after every reconnect. */
  readonly subscribe?: readonly StreamEventName[];
  readonly reconnect?: ReconnectOptions;
  /** A request still unanswered after being sent this many times fails with M365FC_ERR_CLIENT_CLOSED. Default 3. */
  readonly maxResends?: number;
  readonly scheduler?: Scheduler;
}

export interface StreamEvents {
  /** A connection is open (the first one and each reconnect). */
  open: [];
  /** A connection closed; `reconnecting` says whether another attempt follows. */
  disconnect: [info: { code: number; reason: string; reconnecting: boolean }];
  /** A reconnect attempt is scheduled. */
  reconnecting: [info: { attempt: number; delayMs: number }];
  version: [event: StreamVersionEvent];
  /** A failure not tied to one request (an uncorrelated StreamError, a refused upgrade). */
  error: [err: M365fcClientError];
  /** The stream is closed for good. */
  closed: [];
}

export const defaultScheduler: Scheduler = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};
