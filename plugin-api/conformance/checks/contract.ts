import type { CheckOutcome, CheckSpec, RunContext } from '../context.js';
import { skip } from '../context.js';
import { codeOf, describe, outcome, type HttpAnswer } from '../http.js';
import { StreamClient } from '../stream-client.js';
import type { Problem } from '../types.js';

/** The path of an answer without the target's base path and the query (`/v1/classify?ip=..` → `/v1/classify`). */
function routeOf(ctx: RunContext, a: HttpAnswer): string {
  const path = a.path.split('?')[0] ?? a.path;
  return path.startsWith(ctx.http.basePath) ? path.slice(ctx.http.basePath.length) || '/' : path;
}

function verdictOf(problems: Problem[], checked: number, noun: string, passed: string): CheckOutcome {
  if (problems.length === 0) return { verdict: 'pass', summary: `${checked} ${noun} ${passed}`, evidence: { counts: { checked } } };
  return { verdict: 'fail', summary: `${problems.length} problem(s) in ${checked} ${noun}`, evidence: { counts: { checked, problems: problems.length }, problems } };
}

/** A flow the target's data surely answers, for probes that need a valid one. */
function sampleFlow(ctx: RunContext): Record<string, string> {
  const v = ctx.vectors.find((x) => x.check === 'correctness.hosts' && x.flow.host !== undefined && x.flow.ip === undefined);
  return v?.flow.host !== undefined ? { host: v.flow.host } : { host: 'outlook.office.com' };
}

async function openapi(ctx: RunContext): Promise<CheckOutcome> {
  const served = await ctx.http.get('/openapi.yaml', { auth: false });
  const notes = [...ctx.contractNotes];
  if (ctx.contract === null) return { verdict: 'fail', summary: 'No OpenAPI document to check the target against', evidence: { notes } };
  notes.push(`validating against ${ctx.contract.title} (${ctx.contract.source} copy, sha256 ${ctx.contract.sha256.slice(0, 12)})`);
  if (served.status !== 200) {
    return { verdict: 'fail', summary: `GET /openapi.yaml: ${outcome(served)}`, evidence: { notes } };
  }
  return { verdict: 'pass', summary: `Contract ${ctx.contract.title}; the target serves its document`, evidence: { notes } };
}

async function routes(ctx: RunContext): Promise<CheckOutcome> {
  if (ctx.contract === null) return skip('No OpenAPI document');
  const flow = sampleFlow(ctx);
  const problems: Problem[] = [];
  const notes: string[] = [];
  let checked = 0;
  for (const { method, path: declaredPath } of ctx.contract.routes()) {
    const path = declaredPath.includes('{') ? ctx.contract.pathExample(method, declaredPath) : declaredPath;
    if (path === null) {
      notes.push(`${method} ${declaredPath} not probed: its path parameters have no example in openapi.yaml`);
      continue;
    }
    checked++;
    if (path === '/v1/stream') {
      const ws = await ctx.openStream();
      if (ws instanceof StreamClient) await ws.close();
      else problems.push({ probe: 'WebSocket upgrade of /v1/stream', expected: 'an open WebSocket', actual: ws.error });
      continue;
    }
    let a: HttpAnswer;
    if (path === '/v1/classify' && method === 'GET') a = await ctx.http.get(path, { query: flow });
    else if (path === '/v1/classify' && method === 'POST') a = await ctx.http.post(path, { flows: [flow, { ip: '192.0.2.1' }] });
    // Admin routes are only probed without a token: the suite never changes the target's data.
    else if (path.startsWith('/v1/admin/')) a = await ctx.http.request(method as 'POST', path, { auth: false, body: '{}' });
    else if (method === 'GET') a = await ctx.http.get(path);
    else continue;
    if ((a.status === 404 || a.status === 405) && ctx.contract.isOptional(method, declaredPath)) {
      notes.push(`${method} ${declaredPath} is optional and not served (${a.status})`);
    } else if (a.status === 0 || a.status === 404 || a.status === 405) problems.push({ probe: describe(a), expected: 'the route exists', actual: outcome(a) });
    else if (!path.startsWith('/v1/admin/') && a.status >= 400 && !(a.status === 401 && ctx.token === undefined)) {
      problems.push({ probe: describe(a), expected: '2xx for a valid request', actual: outcome(a) });
    }
  }
  const v = verdictOf(problems, checked, 'declared routes', 'answer');
  return notes.length > 0 ? { ...v, evidence: { ...v.evidence, notes } } : v;
}

// Enough to see what is wrong; the counts say how much.
const MAX_LISTED = 200;

/**
 * Validates every answer the run received so far (HTTP and WebSocket, the correctness batches
 * and the robustness probes included) against openapi.yaml. Runs after those checks.
 */
async function responses(ctx: RunContext): Promise<CheckOutcome> {
  if (ctx.contract === null) return skip('No OpenAPI document');
  const doc = ctx.contract;
  const flow = sampleFlow(ctx);
  await ctx.http.get('/v1/classify', { query: { ...flow, explain: 'true' } });
  await ctx.http.get('/v1/changes', { query: { since: '0000000000' } });
  const problems: Problem[] = [];
  let invalid = 0;
  const note = (probe: string, expected: string, actual: string): void => {
    invalid++;
    if (problems.length < MAX_LISTED) problems.push({ probe, expected, actual });
  };
  let http = 0;
  for (const a of ctx.http.answers) {
    if (a.status === 0) continue;
    http++;
    const route = doc.matchPath(a.method, routeOf(ctx, a));
    if (route !== null) {
      const found = doc.validateResponse(a.method, route, a.status, a.contentType, a.body);
      if (found.length > 0) note(describe(a), `a ${a.status} answer as openapi.yaml declares it`, found.join('; '));
    } else if (a.status < 400) {
      note(describe(a), 'an error for a route openapi.yaml does not declare', outcome(a));
    } else {
      const found = doc.validateSchema('Error', a.body);
      if (found.length > 0) note(describe(a), 'an Error body', found.join('; '));
    }
  }
  for (const m of ctx.streamMessages) {
    const found = doc.validateSchema('StreamServerMessage', m.body);
    if (found.length > 0) note(`WebSocket message ${m.text.slice(0, 80)}`, 'a StreamServerMessage', found.join('; '));
  }
  const checked = http + ctx.streamMessages.length;
  const counts = { http, websocket: ctx.streamMessages.length, invalid };
  if (checked === 0) return { verdict: 'fail', summary: 'The target gave no answer to validate', evidence: { counts } };
  if (invalid === 0) return { verdict: 'pass', summary: `${checked} answers (${http} HTTP, ${ctx.streamMessages.length} WebSocket) valid against openapi.yaml`, evidence: { counts } };
  return { verdict: 'fail', summary: `${invalid} of ${checked} answers do not validate against openapi.yaml`, evidence: { counts, problems } };
}

async function errorCodes(ctx: RunContext): Promise<CheckOutcome> {
  if (ctx.contract === null) return skip('No OpenAPI document');
  const probes = [
    await ctx.http.get('/v1/classify'),
    await ctx.http.get('/v1/classify', { query: { ip: 'not-an-address' } }),
    await ctx.http.get('/v1/certify-no-such-route'),
    await ctx.http.post('/v1/classify', '{"flows": ['),
  ];
  const problems: Problem[] = [];
  for (const a of probes) {
    if (a.status < 400) {
      problems.push({ probe: describe(a), expected: 'an error answer', actual: outcome(a) });
      continue;
    }
    const found = ctx.contract.validateSchema('Error', a.body);
    if (found.length > 0) problems.push({ probe: describe(a), expected: 'an Error body { statusCode, code, error, message }', actual: `${outcome(a)}: ${found.join('; ')}` });
    else if ((a.body as { statusCode?: unknown }).statusCode !== a.status) {
      problems.push({ probe: describe(a), expected: `statusCode ${a.status} in the body`, actual: String((a.body as { statusCode?: unknown }).statusCode) });
    }
  }
  return verdictOf(problems, probes.length, 'error answers', 'carry a documented code');
}

async function websocket(ctx: RunContext): Promise<CheckOutcome> {
  if (ctx.contract === null) return skip('No OpenAPI document');
  const ws = await ctx.openStream();
  if (!(ws instanceof StreamClient)) return { verdict: 'fail', summary: `The WebSocket did not open: ${ws.error}`, evidence: {} };
  const problems: Problem[] = [];
  const exchange = async (name: string, msg: object, expect: (b: Record<string, unknown>) => string | null): Promise<void> => {
    const e = await ws.request(msg, ctx.timeoutMs);
    if (e.kind !== 'message') {
      problems.push({ probe: name, expected: 'one answer', actual: e.kind === 'close' ? `closed ${e.code} ${e.reason}` : 'no answer in time' });
      return;
    }
    const found = ctx.contract!.validateSchema('StreamServerMessage', e.body);
    const wrong = typeof e.body === 'object' && e.body !== null ? expect(e.body as Record<string, unknown>) : 'not a JSON object';
    for (const p of found) problems.push({ probe: name, expected: 'a StreamServerMessage', actual: p });
    if (wrong !== null) problems.push({ probe: name, expected: 'the documented answer', actual: wrong });
  };
  await exchange('classify message', { id: 'certify-1', flows: [sampleFlow(ctx), { ip: '192.0.2.1' }] }, (b) =>
    b['id'] !== 'certify-1' ? `id ${JSON.stringify(b['id'])} instead of "certify-1"` : !Array.isArray(b['results']) || b['results'].length !== 2 ? 'not two results' : null,
  );
  await exchange('subscribe message', { id: 7, subscribe: ['version'] }, (b) => (Array.isArray(b['subscribed']) && b['subscribed'].includes('version') ? null : 'no "subscribed": ["version"]'));
  await exchange('unsubscribe message', { unsubscribe: ['version'] }, (b) => (Array.isArray(b['subscribed']) && !b['subscribed'].includes('version') ? null : '"version" still subscribed'));
  await ws.close();
  return verdictOf(problems, 3, 'WebSocket exchanges', 'as documented');
}

async function auth(ctx: RunContext): Promise<CheckOutcome> {
  if (ctx.token === undefined) return skip('No --token given: the target is taken to need none');
  const flow = sampleFlow(ctx);
  const probes: Array<{ name: string; a: HttpAnswer; status: number }> = [
    { name: 'without a token', a: await ctx.http.get('/v1/classify', { query: flow, auth: false }), status: 401 },
    { name: 'with a wrong token', a: await ctx.http.get('/v1/classify', { query: flow, auth: false, headers: { authorization: 'Bearer certify-wrong-token' } }), status: 401 },
    { name: 'with the token', a: await ctx.http.get('/v1/classify', { query: flow }), status: 200 },
    { name: 'without a token (never needs one)', a: await ctx.http.get('/healthz', { auth: false }), status: 200 },
  ];
  const problems: Problem[] = [];
  for (const { name, a, status } of probes) {
    const probe = `${describe(a)} ${name}`;
    if (a.status !== status) problems.push({ probe, expected: String(status), actual: outcome(a) });
    else if (status === 401 && codeOf(a.body) !== 'M365FC_ERR_SERVE_UNAUTHORIZED') problems.push({ probe, expected: '401 M365FC_ERR_SERVE_UNAUTHORIZED', actual: outcome(a) });
  }
  return verdictOf(problems, probes.length, 'answers with and without the token', 'as documented');
}

async function dataVersion(ctx: RunContext): Promise<CheckOutcome> {
  const version = await ctx.http.get('/v1/version');
  const endpoints = await ctx.http.get('/v1/endpoints');
  const one = await ctx.http.get('/v1/classify', { query: sampleFlow(ctx) });
  const batch = await ctx.http.post('/v1/classify', { flows: [sampleFlow(ctx)] });
  const seen: Record<string, unknown> = {
    'GET /v1/version': (version.body as { version?: unknown } | undefined)?.version,
    'GET /v1/endpoints': (endpoints.body as { version?: unknown } | undefined)?.version,
    'GET /v1/classify': (one.body as { version?: unknown } | undefined)?.version,
    'POST /v1/classify': (batch.body as { version?: unknown } | undefined)?.version,
  };
  const values = new Set(Object.values(seen));
  const notes = Object.entries(seen).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  if (ctx.dataSource === 'given' && ctx.data?.version !== undefined && !values.has(ctx.data.version)) {
    notes.push(`the data given to the suite is version ${ctx.data.version}; the target serves another`);
  }
  if (values.size === 1 && typeof seen['GET /v1/version'] === 'string') {
    return { verdict: 'pass', summary: `Every route answers from data version ${String(seen['GET /v1/version'])}`, evidence: { notes } };
  }
  const summary = [...values].every((v) => typeof v === 'string') ? 'The routes do not agree on the data version' : 'Not every route answered with a data version';
  return { verdict: 'fail', summary, evidence: { notes } };
}

export const CONTRACT: readonly CheckSpec[] = [
  { id: 'contract.openapi', title: 'The contract document is available and served', run: openapi },
  { id: 'contract.routes', title: 'Every declared route exists and answers a valid request', run: routes },
  { id: 'contract.responses', title: 'Every answer of the run validates against openapi.yaml', run: responses },
  { id: 'contract.error-codes', title: 'Error bodies carry a documented code', run: errorCodes },
  { id: 'contract.websocket', title: 'The WebSocket stream answers as documented', run: websocket },
  { id: 'contract.auth', title: 'Bearer token: refused without it, accepted with it', run: auth },
  { id: 'contract.data-version', title: 'Every route answers from one data version', run: dataVersion },
].map((c) => ({ ...c, group: 'contract' as const, principle: 'operations' as const, required: true }));
