import type { RunContext } from '../context.js';
import { codeOf, outcome } from '../http.js';
import { sendLargeBody } from '../large-body.js';
import { StreamClient } from '../stream-client.js';
import type { Problem } from '../types.js';

/**
 * Bodies and messages over any sane limit: the target must answer them with a code the client
 * can read. HTTP: a 413 `M365FC_ERR_SERVE_BODY_TOO_LARGE` (by Content-Length and chunked).
 * WebSocket: a close 1009 whose reason carries `M365FC_ERR_SERVE_MESSAGE_TOO_LARGE`, or that
 * code as a StreamError. No answer at all is a transport failure, told apart in the report.
 */

/** Larger than any body or message limit a classifier needs (10000 flows are under 1 MiB). */
export const OVERSIZE_BYTES = 16 * 1024 * 1024;

const BODY_CODE = 'M365FC_ERR_SERVE_BODY_TOO_LARGE';
const MESSAGE_CODE = 'M365FC_ERR_SERVE_MESSAGE_TOO_LARGE';

export type OversizeProbe = 'body-length' | 'body-chunked' | 'message';
export const OVERSIZE_PROBES: readonly OversizeProbe[] = ['body-length', 'body-chunked', 'message'];

/** What a probe needs of the run: a test can build it for its own target. */
export type OversizeContext = Pick<RunContext, 'http' | 'timeoutMs' | 'contract' | 'openStream'>;

const MIB = OVERSIZE_BYTES >> 20;
const NAMES: Readonly<Record<OversizeProbe, string>> = {
  'body-length': `POST /v1/classify with a ${MIB} MiB body (Content-Length)`,
  'body-chunked': `POST /v1/classify with a ${MIB} MiB chunked body`,
  message: `WebSocket: a ${MIB} MiB message`,
};

/** Sends one oversize probe; null when it got its coded answer, else what went wrong. */
export async function probeOversize(ctx: OversizeContext, which: OversizeProbe): Promise<Problem | null> {
  const probe = NAMES[which];
  if (which === 'message') return probeMessage(ctx, probe);
  const a = await sendLargeBody(ctx.http, { path: '/v1/classify', bytes: OVERSIZE_BYTES, chunked: which === 'body-chunked', timeoutMs: ctx.timeoutMs });
  const expected = `413 ${BODY_CODE}`;
  if (a.status === 0) {
    const wrote = `${(a.sentBytes / 1048576).toFixed(1)} MiB sent`;
    return { probe, expected, actual: `no answer (${a.error ?? 'error'}; ${wrote})`, kind: 'transport' };
  }
  const invalid = ctx.contract?.validateSchema('Error', a.body) ?? [];
  if (a.status !== 413 || codeOf(a.body) !== BODY_CODE || invalid.length > 0) {
    return { probe, expected, actual: `${outcome(a)}${invalid.length > 0 ? ` (not an Error body: ${invalid.join('; ')})` : ''}`, kind: 'answer' };
  }
  return null;
}

async function probeMessage(ctx: OversizeContext, probe: string): Promise<Problem | null> {
  const expected = `close 1009 with reason ${MESSAGE_CODE}, or a StreamError ${MESSAGE_CODE}`;
  const ws = await ctx.openStream();
  if (!(ws instanceof StreamClient)) {
    return { probe, expected, actual: `the WebSocket did not open: ${ws.error}`, kind: ws.status === undefined ? 'transport' : 'answer' };
  }
  try {
    const e = await ws.request(`{"id":"certify-big","flows":[],"pad":"${'x'.repeat(OVERSIZE_BYTES)}"}`, ctx.timeoutMs);
    if (e.kind === 'timeout') return { probe, expected, actual: 'no answer in time', kind: 'transport' };
    if (e.kind === 'message') {
      return codeOf(e.body) === MESSAGE_CODE ? null : { probe, expected, actual: e.text.slice(0, 200), kind: 'answer' };
    }
    // 1006: the connection ended without a close frame, so no answer reached the client.
    if (e.code === 1006) return { probe, expected, actual: 'socket closed 1006 without a close frame', kind: 'transport' };
    if (e.code === 1009 && e.reason.includes(MESSAGE_CODE)) return null;
    return { probe, expected, actual: `socket closed ${e.code}${e.reason === '' ? ' without a reason' : ` "${e.reason}"`}`, kind: 'answer' };
  } finally {
    await ws.close();
  }
}
