import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { M365fcClient, isM365fcClientError, type Scheduler } from '../../plugin-api/client.js';
import type { StreamVersionEvent } from '../../plugin-api/types.js';
import { createExportRegistry } from '../../src/export/builtins.js';
import { prepareExport } from '../../src/export/export-file.js';
import { createClassifier, parseEndpointsResponse, type Classifier } from '../../src/index.js';
import { buildApp } from '../../src/serve/app.js';
import { LiveIndex } from '../../src/follow/live-index.js';
import { exportRoutes } from '../../src/serve/routes/export.js';
import { readRealResponseText } from '../support/data.js';

/** The typed client (plugin-api/client.ts) against the real service on 127.0.0.1. */

const SNAPSHOT_2020 = parseEndpointsResponse(readRealResponseText('worldwide-commit20200531.json'), { version: '2020042800' });
const SNAPSHOT_2019 = parseEndpointsResponse(readRealResponseText('worldwide-commit20191124.json'), { version: '2019102800' });

function liveIndexOf(c: Classifier): LiveIndex {
  const live = new LiveIndex();
  live.publish(c, { source: 'file' });
  return live;
}

/** The service's app, with the export route added if the app does not register it yet. */
async function startApp(live: LiveIndex, port = 0, tokens?: string[]): Promise<{ app: FastifyInstance; port: number; url: string }> {
  const app = buildApp({ liveIndex: live, defaultMetrics: false, underPressure: false, ...(tokens ? { tokens } : {}) });
  if (!app.hasRoute({ method: 'GET', url: '/v1/export/:name' })) exportRoutes(app, { live });
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  const p = typeof address === 'object' && address !== null ? address.port : port;
  return { app, port: p, url: `http://127.0.0.1:${p}` };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isM365fcClientError(err) ? `${err.code} ${err.statusCode}` : `not a client error: ${String(err)}`;
  }
  return undefined;
}

describe('client over HTTP', () => {
  const engine = createClassifier(SNAPSHOT_2020);
  let server: Awaited<ReturnType<typeof startApp>>;
  let client: M365fcClient;

  beforeAll(async () => {
    server = await startApp(liveIndexOf(engine));
    client = new M365fcClient({ baseUrl: server.url });
  });
  afterAll(async () => {
    await client.close();
    await server.app.close();
  });

  it('classify and explain give the engine answer', async () => {
    const flow = { host: 'outlook.office.com', port: 443, protocol: 'tcp' };
    expect(await client.classify(flow)).toEqual(engine.classify(flow));
    const explained = await client.explain({ ip: '40.96.1.1' });
    expect(explained.category).toBe('Optimize');
    expect(explained.candidates.length).toBeGreaterThan(0);
  });

  it('classifyBatch answers in order, bad flows in place', async () => {
    const flows = [{ ip: '40.96.1.1' }, { ip: 'not-an-ip' }, { host: 'teams.microsoft.com', port: 443 }];
    const r = await client.classifyBatch(flows);
    expect(r.version).toBe('2020042800');
    expect(r.results[0]).toEqual(engine.classify(flows[0]!));
    expect(r.results[1]).toMatchObject({ error: { code: 'M365FC_ERR_FLOW_BAD_IP' } });
    expect(r.results[2]).toEqual(engine.classify(flows[2]!));
  });

  it('version and endpoints', async () => {
    const v = await client.version();
    expect(v).toMatchObject({ version: '2020042800', instance: 'Worldwide', sets: SNAPSHOT_2020.sets.length });
    const e = await client.endpoints();
    expect(e.sets.length).toBe(SNAPSHOT_2020.sets.length);
    expect(e.sets[0]!.id).toBe(SNAPSHOT_2020.sets[0]!.id);
  });

  it('export gives the exporter file with an ETag, and 304 when it is still current', async () => {
    const options = { type: 2, proxy: 'PROXY proxy.contoso.com:8080', tenant: 'contoso' };
    const first = await client.export('pac', options);
    expect(first.status).toBe(200);
    expect(first.contentType).toBe('application/x-ns-proxy-autoconfig');
    expect(first.body).toBe(await prepareExport(createExportRegistry(), 'pac', SNAPSHOT_2020, options).render());
    expect(first.etag).toMatch(/^"2020042800-/);
    const again = await client.export('pac', options, { ifNoneMatch: first.etag! });
    expect(again).toEqual({ status: 304, body: '', contentType: null, etag: first.etag });
    // Other options, other file and ETag.
    const other = await client.export('pac', { ...options, type: 1 }, { ifNoneMatch: first.etag! });
    expect(other.status).toBe(200);
    expect(other.etag).not.toBe(first.etag);
    const list = await client.export('list', { category: ['Optimize'], family: 'ipv4' });
    expect(list.body.split('\n')[0]).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  it('errors carry the server code and status', async () => {
    expect(await codeOf(client.classify({ ip: '999.1.1.1' }))).toBe('M365FC_ERR_FLOW_BAD_IP 400');
    expect(await codeOf(client.export('nope'))).toBe('M365FC_ERR_EXPORT_UNKNOWN 404');
    expect(await codeOf(client.export('pac', {}))).toBe('M365FC_ERR_EXPORT_BAD_OPTION 400');
    expect(await codeOf(client.export('list', { colour: 'red' }))).toBe('M365FC_ERR_EXPORT_BAD_OPTION 400');
  });

  it('a server that is not there is M365FC_ERR_CLIENT_NETWORK', async () => {
    const s = await startApp(liveIndexOf(engine));
    await s.app.close();
    const c = new M365fcClient({ baseUrl: s.url });
    expect(await codeOf(c.version())).toBe('M365FC_ERR_CLIENT_NETWORK null');
    await c.close();
  });

  it('sends the bearer token; a missing one is M365FC_ERR_SERVE_UNAUTHORIZED', async () => {
    const s = await startApp(liveIndexOf(engine), 0, ['sekrit-token-1']);
    const good = new M365fcClient({ baseUrl: s.url, token: 'sekrit-token-1' });
    const bad = new M365fcClient({ baseUrl: s.url });
    try {
      expect((await good.version()).version).toBe('2020042800');
      expect(await codeOf(bad.version())).toBe('M365FC_ERR_SERVE_UNAUTHORIZED 401');
      const stream = bad.stream({ reconnect: { maxAttempts: 0 } });
      expect(await codeOf(stream.classify([{ ip: '40.96.1.1' }]))).toBe('M365FC_ERR_SERVE_UNAUTHORIZED 401');
    } finally {
      await good.close();
      await bad.close();
      await s.app.close();
    }
  });
});

describe('client stream', () => {
  it('answers in order, reports per-message errors by code', async () => {
    const engine = createClassifier(SNAPSHOT_2020);
    const s = await startApp(liveIndexOf(engine));
    const client = new M365fcClient({ baseUrl: s.url });
    try {
      const stream = client.stream();
      const order: number[] = [];
      const calls = Array.from({ length: 50 }, (_, i) =>
        stream.classify([{ ip: `40.96.${i}.1` }, { host: 'outlook.office.com', port: 443 }]).then((r) => {
          order.push(i);
          return r;
        }),
      );
      const tooMany = stream.classify(Array.from({ length: 10_001 }, () => ({ ip: '1.1.1.1' })));
      const results = await Promise.all(calls);
      expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(results[7]!.results[0]).toEqual(engine.classify({ ip: '40.96.7.1' }));
      expect(await codeOf(tooMany)).toMatch(/^M365FC_ERR_SERVE_(TOO_MANY_FLOWS|BAD_MESSAGE) null$/);
      expect((await stream.classify([{ host: 'example.com' }])).results[0]).toMatchObject({ m365: false });
    } finally {
      await client.close();
      await s.app.close();
    }
  });

  it('survives a server restart: reconnects, subscribes again, sends unanswered requests again, answers in order', async () => {
    let s = await startApp(liveIndexOf(createClassifier(SNAPSHOT_2020)));
    const port = s.port;
    // Reconnects wait for the test, not for a clock.
    const due: Array<() => void> = [];
    const scheduler: Scheduler = (fn) => {
      due.push(fn);
      return () => undefined;
    };
    const client = new M365fcClient({ baseUrl: s.url });
    const stream = client.stream({ subscribe: ['version'], scheduler });
    const versions: StreamVersionEvent[] = [];
    stream.on('version', (e) => versions.push(e));
    const disconnected = new Promise<{ code: number; reconnecting: boolean }>((resolve) => stream.once('disconnect', resolve));
    try {
      await stream.ready();
      const before = await stream.classify([{ ip: '40.96.1.1' }]);
      expect(before.version).toBe('2020042800');

      await s.app.close();
      const info = await disconnected;
      expect(info.reconnecting).toBe(true);
      expect(due.length).toBe(1);

      // Made while the server is down: queued, sent after the reconnect, settled in order.
      const order: number[] = [];
      const during = Array.from({ length: 20 }, (_, i) =>
        stream.classify([{ ip: `40.96.${i}.1` }]).then((r) => {
          order.push(i);
          return r;
        }),
      );

      const live2 = liveIndexOf(createClassifier(SNAPSHOT_2019));
      s = await startApp(live2, port);
      const reopened = new Promise<void>((resolve) => stream.once('open', resolve));
      due.shift()!();
      await reopened;
      const answers = await Promise.all(during);
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(answers.every((a) => a.version === '2019102800')).toBe(true);

      // The subscription was made again on the new connection: a data swap reaches us.
      const swapped = new Promise<StreamVersionEvent>((resolve) => stream.once('version', resolve));
      live2.publish(createClassifier(SNAPSHOT_2020), { source: 'live' });
      const ev = await swapped;
      expect(ev).toMatchObject({ event: 'version', version: '2020042800', previousVersion: '2019102800' });
      expect((await stream.classify([{ ip: '40.96.1.1' }])).version).toBe('2020042800');
    } finally {
      await client.close();
      await s.app.close();
    }
    expect(versions.length).toBe(1);
  });
});
