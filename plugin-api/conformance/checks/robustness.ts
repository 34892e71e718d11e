import { differingFields, errorCodeOf, essentials } from '../compare.js';
import type { CheckOutcome, CheckSpec, RunContext } from '../context.js';
import { codeOf, describe, flowQuery, outcome, type HttpAnswer } from '../http.js';
import { StreamClient, type StreamEvent } from '../stream-client.js';
import type { ConformanceFlow, FailureKind, Problem } from '../types.js';
import { OVERSIZE_PROBES, probeOversize } from './oversize.js';

const F = (c: string): string => `M365FC_ERR_FLOW_${c}`;
const S = (c: string): string => `M365FC_ERR_SERVE_${c}`;

const LONG_HOST = `${'a'.repeat(60)}.`.repeat(5) + 'example.com';

/** Bad flows (issue 3's list) and the codes each may get, for batches and WebSocket messages. */
const BAD_FLOWS: ReadonlyArray<{ flow: unknown; codes: readonly string[] }> = [
  { flow: { ip: '999.1.1.1' }, codes: [F('BAD_IP')] },
  { flow: { ip: '1.2.3' }, codes: [F('BAD_IP')] },
  { flow: { ip: '2603:1006::1::1' }, codes: [F('BAD_IP')] },
  { flow: { ip: 123 }, codes: [F('BAD_IP')] },
  { flow: { host: 'outlook.office.com:443' }, codes: [F('HOST_HAS_PORT')] },
  { flow: { host: 'a..b.example.com' }, codes: [F('BAD_HOST')] },
  { flow: { host: LONG_HOST }, codes: [F('HOST_TOO_LONG'), F('BAD_HOST')] },
  { flow: { host: '40.96.1.1' }, codes: [F('HOST_IS_IP')] },
  { flow: { host: { name: 'x' } }, codes: [F('BAD_HOST')] },
  { flow: { ip: '192.0.2.1', port: 0 }, codes: [F('BAD_PORT')] },
  { flow: { ip: '192.0.2.1', port: 70000 }, codes: [F('BAD_PORT')] },
  { flow: { ip: '192.0.2.1', port: 'https' }, codes: [F('BAD_PORT')] },
  { flow: { ip: '192.0.2.1', port: 443.5 }, codes: [F('BAD_PORT')] },
  { flow: { ip: '192.0.2.1', port: true }, codes: [F('BAD_PORT')] },
  { flow: { ip: '192.0.2.1', protocol: 'icmp' }, codes: [F('BAD_PROTOCOL')] },
  { flow: { ip: '192.0.2.1', protocol: 6 }, codes: [F('BAD_PROTOCOL')] },
  { flow: { port: 443, protocol: 'tcp' }, codes: [F('NO_TARGET')] },
  { flow: {}, codes: [F('NO_TARGET')] },
  { flow: null, codes: [F('NOT_OBJECT')] },
  { flow: 'outlook.office.com', codes: [F('NOT_OBJECT')] },
  { flow: 42, codes: [F('NOT_OBJECT')] },
  { flow: [], codes: [F('NOT_OBJECT'), F('NO_TARGET')] },
];

function manyFlows(n: number): string {
  return `{"flows":[${new Array<string>(n).fill('{"ip":"192.0.2.1"}').join(',')}]}`;
}

/** Status 0: the request got no answer at all. */
function answerKind(a: HttpAnswer): FailureKind {
  return a.status === 0 ? 'transport' : 'answer';
}

interface Judgement {
  readonly actual: string;
  readonly kind: FailureKind;
}

/** What is wrong with an answer to bad input, or null when it is a coded 4xx with an expected code. */
function judge(ctx: RunContext, a: HttpAnswer, codes: readonly string[], allow200 = false): Judgement | null {
  const wrong = (actual: string): Judgement => ({ actual, kind: 'answer' });
  if (a.status === 0) return { actual: `no answer (${a.error ?? 'connection error'})`, kind: answerKind(a) };
  if (allow200 && a.status === 200) return null;
  if (a.status >= 500) return wrong(`${outcome(a)}: a server error for client input`);
  if (a.status < 400) return wrong(`${outcome(a)}: bad input was accepted`);
  const invalid = ctx.contract?.validateSchema('Error', a.body) ?? [];
  if (invalid.length > 0) return wrong(`${outcome(a)}: not an Error body (${invalid.join('; ')})`);
  const code = codeOf(a.body);
  if (code === undefined || !codes.includes(code)) return wrong(`${outcome(a)}: expected ${codes.join(' or ')}`);
  return null;
}

function tally(problems: Problem[], probes: number, what: string, passed = 'coded 4xx, no 5xx', failed = 'not answered with the expected coded 4xx'): CheckOutcome {
  const transport = problems.filter((p) => p.kind === 'transport').length;
  const counts = { probes, problems: problems.length, transport };
  if (problems.length === 0) return { verdict: 'pass', summary: `${probes} ${what}: ${passed}`, evidence: { counts } };
  // A wrong answer and no answer are different findings: the summary names both.
  const how = transport === 0 ? '' : transport === problems.length ? ' (no answer reached the kit: transport)' : ` (${transport} of them got no answer: transport)`;
  return { verdict: 'fail', summary: `${problems.length} of ${probes} ${what} ${failed}${how}`, evidence: { counts, problems } };
}

async function classifyGet(ctx: RunContext): Promise<CheckOutcome> {
  const ip = '192.0.2.1';
  const cases: ReadonlyArray<{ query: Record<string, string> | string; codes: readonly string[] }> = [
    { query: { ip: '999.1.1.1' }, codes: [F('BAD_IP')] },
    { query: { ip: '1.2.3' }, codes: [F('BAD_IP')] },
    { query: { ip: '2603:1006::1::1' }, codes: [F('BAD_IP')] },
    { query: { ip: '\u0000' }, codes: [F('BAD_IP'), S('BAD_QUERY')] },
    { query: { host: 'outlook.office.com:443' }, codes: [F('HOST_HAS_PORT')] },
    { query: { host: 'a..b.example.com' }, codes: [F('BAD_HOST')] },
    { query: { host: '.example.com' }, codes: [F('BAD_HOST')] },
    { query: { host: 'bad host!.example.com' }, codes: [F('BAD_HOST')] },
    { query: { host: LONG_HOST }, codes: [F('HOST_TOO_LONG'), F('BAD_HOST'), S('BAD_QUERY')] },
    { query: { host: 'x'.repeat(2000) }, codes: [F('HOST_TOO_LONG'), F('BAD_HOST'), S('BAD_QUERY'), S('QUERY_TOO_LONG')] },
    { query: { host: '40.96.1.1' }, codes: [F('HOST_IS_IP')] },
    { query: { host: '[2603:1006::1]:443' }, codes: [F('HOST_IS_IP'), F('HOST_HAS_PORT'), F('BAD_HOST')] },
    { query: { ip, port: '0' }, codes: [F('BAD_PORT')] },
    { query: { ip, port: '70000' }, codes: [F('BAD_PORT')] },
    { query: { ip, port: 'https' }, codes: [F('BAD_PORT')] },
    { query: { ip, port: '-1' }, codes: [F('BAD_PORT')] },
    { query: { ip, protocol: 'icmp' }, codes: [F('BAD_PROTOCOL')] },
    { query: { port: '443', protocol: 'tcp' }, codes: [F('NO_TARGET')] },
    { query: { ip, explain: 'maybe' }, codes: [S('BAD_QUERY')] },
    { query: `ip=${ip}&ip=198.51.100.1`, codes: [S('BAD_QUERY'), F('BAD_IP')] },
    { query: `ip=${ip}&pad=${'x'.repeat(12_000)}`, codes: [S('QUERY_TOO_LONG'), S('BAD_QUERY'), S('HEADERS_TOO_LARGE')] },
  ];
  const problems: Problem[] = [];
  for (const c of cases) {
    const a = await ctx.http.get('/v1/classify', { query: c.query });
    const p = judge(ctx, a, c.codes);
    if (p !== null) problems.push({ probe: describe(a), expected: c.codes.join(' or '), ...p });
  }
  return tally(problems, cases.length, 'bad GET /v1/classify queries');
}

async function classifyPost(ctx: RunContext): Promise<CheckOutcome> {
  const cases: ReadonlyArray<{ name: string; body: string | Uint8Array; type?: string; codes: readonly string[]; allow200?: boolean }> = [
    { name: 'truncated JSON', body: '{"flows": [', codes: [S('BAD_JSON')] },
    { name: 'an empty body', body: '', codes: [S('BAD_JSON'), S('BAD_REQUEST')] },
    { name: 'a JSON array', body: '[]', codes: [S('BAD_REQUEST')] },
    { name: 'an object without flows', body: '{}', codes: [S('BAD_REQUEST')] },
    { name: 'flows that is a string', body: '{"flows":"x"}', codes: [S('BAD_REQUEST')] },
    { name: 'an unknown field', body: '{"flows":[],"extra":1}', codes: [S('BAD_REQUEST')] },
    { name: 'text/plain', body: '{"flows":[]}', type: 'text/plain', codes: [S('UNSUPPORTED_MEDIA_TYPE')] },
    { name: '10001 flows', body: manyFlows(10_001), codes: [S('TOO_MANY_FLOWS'), S('BODY_TOO_LARGE')] },
    { name: 'arrays nested 100000 deep', body: `{"flows":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, codes: [S('BAD_JSON'), S('BAD_REQUEST'), S('BODY_TOO_LARGE'), S('JSON_TOO_DEEP')], allow200: true },
    { name: 'bytes that are not UTF-8', body: Buffer.from([0x7b, 0x22, 0x66, 0xff, 0xfe, 0x22, 0x3a, 0x5b, 0x5d, 0x7d]), codes: [S('BAD_JSON'), S('BAD_REQUEST')] },
  ];
  const problems: Problem[] = [];
  for (const c of cases) {
    const a = await ctx.http.request('POST', '/v1/classify', { body: c.body, contentType: c.type ?? 'application/json' });
    const p = judge(ctx, a, c.codes, c.allow200);
    if (p !== null) problems.push({ probe: `POST /v1/classify with ${c.name}`, expected: c.codes.join(' or '), ...p });
  }
  return tally(problems, cases.length, 'bad POST /v1/classify bodies');
}

/** Good flows whose answers the reference knows, mixed in with the bad ones. */
function goodFlows(ctx: RunContext): ConformanceFlow[] {
  const host = ctx.vectors.find((v) => v.check === 'correctness.hosts' && v.flow.ip === undefined)?.flow;
  return [host ?? { host: 'outlook.office.com' }, { ip: '192.0.2.1' }];
}

/** Checks the results of a batch of [good, ...bad, good]. */
function judgeResults(ctx: RunContext, where: string, results: unknown, good: ConformanceFlow[]): Problem[] {
  const problems: Problem[] = [];
  if (!Array.isArray(results) || results.length !== BAD_FLOWS.length + good.length) {
    return [{ probe: where, expected: `${BAD_FLOWS.length + good.length} results in order`, actual: JSON.stringify(results)?.slice(0, 200) ?? 'nothing' }];
  }
  BAD_FLOWS.forEach((b, i) => {
    const code = errorCodeOf(results[i + 1]);
    if (code === null || !b.codes.includes(code)) {
      problems.push({ probe: `${where}: item ${JSON.stringify(b.flow).slice(0, 80)}`, expected: `an error ${b.codes.join(' or ')} in place`, actual: JSON.stringify(results[i + 1])?.slice(0, 200) ?? 'nothing' });
    }
  });
  const goodAt = [0, BAD_FLOWS.length + 1];
  good.forEach((flow, k) => {
    const actual = results[goodAt[k]!];
    if (ctx.reference !== null && differingFields(ctx.reference.classify(flow), actual).length > 0) {
      problems.push({ probe: `${where}: good item ${JSON.stringify(flow)}`, expected: JSON.stringify(essentials(ctx.reference.classify(flow))), actual: JSON.stringify(essentials(actual)) });
    }
  });
  return problems;
}

function mixedBatch(good: ConformanceFlow[]): unknown[] {
  return [good[0], ...BAD_FLOWS.map((b) => b.flow), good[1]];
}

async function batchItems(ctx: RunContext): Promise<CheckOutcome> {
  const good = goodFlows(ctx);
  const a = await ctx.http.post('/v1/classify', { flows: mixedBatch(good) });
  if (a.status !== 200) {
    return { verdict: 'fail', summary: `A batch with bad items was answered ${outcome(a)}, not 200 with per-item errors`, evidence: { problems: [{ probe: describe(a), expected: '200', actual: outcome(a), kind: answerKind(a) }] } };
  }
  const problems = judgeResults(ctx, 'POST /v1/classify', (a.body as { results?: unknown } | undefined)?.results, good);
  return tally(problems, BAD_FLOWS.length + good.length, 'items of a mixed batch', 'bad ones answered in place with their code, good ones correctly', 'not answered as expected');
}

/** No message and no close frame: nothing reached the kit. */
function kindOf(e: StreamEvent): FailureKind {
  return e.kind === 'timeout' || (e.kind === 'close' && e.code === 1006) ? 'transport' : 'answer';
}

function eventText(e: StreamEvent): string {
  if (e.kind === 'message') return e.text.slice(0, 200);
  if (e.kind === 'close') return `socket closed ${e.code} ${e.reason}`;
  return 'no answer in time';
}

async function websocket(ctx: RunContext): Promise<CheckOutcome> {
  const ws = await ctx.openStream();
  if (!(ws instanceof StreamClient)) {
    const problem: Problem = { probe: 'WebSocket /v1/stream', expected: 'the socket opens', actual: ws.error, kind: ws.status === undefined ? 'transport' : 'answer' };
    return { verdict: 'fail', summary: `The WebSocket did not open: ${ws.error}`, evidence: { problems: [problem] } };
  }
  const problems: Problem[] = [];
  const msgCases: ReadonlyArray<{ name: string; send: string | Uint8Array; codes: readonly string[]; id?: string }> = [
    { name: 'a frame that is not JSON', send: 'not json{', codes: [S('BAD_MESSAGE'), S('BAD_JSON')] },
    { name: 'a binary frame', send: Uint8Array.from([0xff, 0x00, 0x13, 0x37]), codes: [S('BAD_MESSAGE')] },
    { name: 'a JSON number', send: '42', codes: [S('BAD_MESSAGE'), S('BAD_REQUEST')] },
    { name: 'a JSON array', send: '[]', codes: [S('BAD_MESSAGE'), S('BAD_REQUEST')] },
    { name: 'an object of no known shape', send: '{"foo":1}', codes: [S('BAD_MESSAGE'), S('BAD_REQUEST')] },
    { name: 'flows that is a string, with an id', send: '{"id":"certify-bad","flows":"nope"}', codes: [S('BAD_MESSAGE'), S('BAD_REQUEST')], id: 'certify-bad' },
    { name: 'an unknown subscription', send: '{"subscribe":["weather"]}', codes: [S('BAD_MESSAGE'), S('BAD_REQUEST')] },
    { name: '10001 flows', send: manyFlows(10_001), codes: [S('TOO_MANY_FLOWS'), S('BAD_MESSAGE'), S('MESSAGE_TOO_LARGE')] },
  ];
  for (const c of msgCases) {
    const e = await ws.request(c.send, ctx.timeoutMs);
    // A service that speaks the binary protocol (asyncapi.yaml) answers a bad binary message
    // with a binary error frame (magic "MF", version 1, kind 3) instead of a StreamError.
    const b = e.kind === 'message' ? e.bytes : undefined;
    if (c.send instanceof Uint8Array && b !== undefined && b.length === 10 && b[0] === 0x4d && b[1] === 0x46 && b[2] === 1 && b[3] === 3) continue;
    const code = e.kind === 'message' ? errorCodeOf(e.body) : null;
    const invalid = e.kind === 'message' ? (ctx.contract?.validateSchema('StreamError', e.body) ?? []) : [];
    if (code === null || !c.codes.includes(code) || invalid.length > 0) {
      problems.push({ probe: `WebSocket: ${c.name}`, expected: `a StreamError ${c.codes.join(' or ')}, socket open`, actual: eventText(e), kind: kindOf(e) });
    } else if (c.id !== undefined && e.kind === 'message' && (e.body as { id?: unknown }).id !== c.id) {
      problems.push({ probe: `WebSocket: ${c.name}`, expected: `the error to carry id "${c.id}"`, actual: eventText(e) });
    }
  }
  const good = goodFlows(ctx);
  const mixed = await ws.request({ id: 'certify-mixed', flows: mixedBatch(good) }, ctx.timeoutMs);
  if (mixed.kind !== 'message') problems.push({ probe: 'WebSocket: a batch with bad items', expected: 'results with per-item errors', actual: eventText(mixed), kind: kindOf(mixed) });
  else problems.push(...judgeResults(ctx, 'WebSocket batch', (mixed.body as { results?: unknown } | undefined)?.results, good));
  const after = await ws.request({ id: 'certify-after', flows: [good[0]] }, ctx.timeoutMs);
  if (after.kind !== 'message' || !Array.isArray((after.body as { results?: unknown } | undefined)?.results)) {
    problems.push({ probe: 'WebSocket: a valid message after the bad ones', expected: 'an answer on the same socket', actual: eventText(after) });
  }
  await ws.close();
  return tally(problems, msgCases.length + 2, 'WebSocket probes', 'coded errors, the socket stayed open', 'not answered as expected');
}

async function oversize(ctx: RunContext): Promise<CheckOutcome> {
  const problems: Problem[] = [];
  for (const which of OVERSIZE_PROBES) {
    const p = await probeOversize(ctx, which);
    if (p !== null) problems.push(p);
  }
  return tally(problems, OVERSIZE_PROBES.length, 'bodies and messages of 16 MiB', 'coded answers the client read', 'not answered with a code the client could read');
}

async function otherRoutes(ctx: RunContext): Promise<CheckOutcome> {
  // An operation marked x-m365fc-optional may be left out: its coded 404 is then a right answer too.
  const orAbsent = (method: string, path: string, codes: readonly string[]): readonly string[] =>
    ctx.contract?.isOptional(method, path) === true ? [...codes, S('NOT_FOUND')] : codes;
  const refreshCodes = orAbsent('POST', '/v1/admin/refresh', [S('UNAUTHORIZED'), S('FORBIDDEN')]);
  const cases: ReadonlyArray<{ a: Promise<HttpAnswer>; codes: readonly string[]; name?: string }> = [
    { a: ctx.http.get('/v1/changes', { query: { since: 'yesterday' } }), codes: orAbsent('GET', '/v1/changes', [S('BAD_QUERY')]) },
    { a: ctx.http.get('/v1/certify-no-such-route'), codes: [S('NOT_FOUND')] },
    { a: ctx.http.request('DELETE', '/v1/classify'), codes: [S('NOT_FOUND'), S('BAD_REQUEST')] },
    { a: ctx.http.request('POST', '/v1/admin/refresh', { auth: false, body: '{}' }), codes: refreshCodes, name: 'without a token' },
    {
      a: ctx.http.request('POST', '/v1/admin/refresh', { auth: false, body: '{}', headers: { authorization: 'Bearer certify-wrong-token' } }),
      codes: refreshCodes,
      name: 'with a wrong token',
    },
  ];
  const problems: Problem[] = [];
  for (const c of cases) {
    const a = await c.a;
    const p = judge(ctx, a, c.codes);
    if (p !== null) problems.push({ probe: `${describe(a)}${c.name !== undefined ? ` ${c.name}` : ''}`, expected: c.codes.join(' or '), ...p });
  }
  return tally(problems, cases.length, 'bad requests to other routes');
}

async function healthyAfter(ctx: RunContext): Promise<CheckOutcome> {
  const problems: Problem[] = [];
  for (const path of ['/healthz', '/readyz']) {
    const a = await ctx.http.get(path, { auth: false });
    if (a.status !== 200) problems.push({ probe: describe(a), expected: '200', actual: outcome(a), kind: answerKind(a) });
  }
  const [flow] = goodFlows(ctx);
  const expected = flow !== undefined && ctx.reference !== null ? ctx.reference.classify(flow) : null;
  if (flow !== undefined && expected !== null) {
    const get = await ctx.http.get('/v1/classify', { query: flowQuery(flow) });
    if (get.status !== 200 || differingFields(expected, get.body).length > 0) problems.push({ probe: describe(get), expected: JSON.stringify(essentials(expected)), actual: get.status === 200 ? JSON.stringify(essentials(get.body)) : outcome(get), kind: answerKind(get) });
    const post = await ctx.http.post('/v1/classify', { flows: [flow] });
    const r = (post.body as { results?: unknown[] } | undefined)?.results?.[0];
    if (post.status !== 200 || differingFields(expected, r).length > 0) problems.push({ probe: describe(post), expected: JSON.stringify(essentials(expected)), actual: post.status === 200 ? JSON.stringify(essentials(r)) : outcome(post), kind: answerKind(post) });
    const ws = await ctx.openStream();
    if (!(ws instanceof StreamClient)) problems.push({ probe: 'WebSocket /v1/stream', expected: 'opens', actual: ws.error });
    else {
      const e = await ws.request({ id: 'certify-health', flows: [flow] }, ctx.timeoutMs);
      const wr = e.kind === 'message' ? (e.body as { results?: unknown[] } | undefined)?.results?.[0] : undefined;
      if (differingFields(expected, wr).length > 0) problems.push({ probe: 'WebSocket classify', expected: JSON.stringify(essentials(expected)), actual: eventText(e) });
      await ws.close();
    }
  }
  if (problems.length === 0) return { verdict: 'pass', summary: 'Alive, ready and answering correctly over GET, POST and WebSocket after the bad input', evidence: {} };
  return { verdict: 'fail', summary: 'The target is not healthy after the bad input', evidence: { problems } };
}

export const ROBUSTNESS: readonly CheckSpec[] = [
  { id: 'robustness.classify-get', title: 'Bad GET /v1/classify queries get coded 4xx', run: classifyGet },
  { id: 'robustness.classify-post', title: 'Bad POST /v1/classify bodies get coded 4xx', run: classifyPost },
  { id: 'robustness.batch-items', title: 'Bad flows in a batch get per-item errors; the rest is answered', run: batchItems },
  { id: 'robustness.websocket', title: 'Garbage WebSocket frames get coded errors; the socket stays open', run: websocket },
  { id: 'robustness.oversize', title: 'Bodies and messages over the limit get a coded answer the client can read', run: oversize },
  { id: 'robustness.other-routes', title: 'Bad requests to the other routes get coded 4xx', run: otherRoutes },
  { id: 'robustness.healthy-after', title: 'The target is healthy and correct after all the bad input', run: healthyAfter },
].map((c) => ({ ...c, group: 'robustness' as const, principle: 'operations' as const, required: true }));
