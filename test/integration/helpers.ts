import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import type { EndpointSet, Flow, Snapshot } from '../../src/core/types.js';
import type { RefreshResult } from '../../src/follow/live-index.js';
import { resolveServeConfig, type ServeConfig } from '../../src/serve/config.js';
import { startServer, type RunningServer, type StartDeps } from '../../src/serve/server.js';

/** Helpers of the integration tests: a real server on 127.0.0.1, port 0, silent. */

export function testConfig(argv: string[] = [], env: Record<string, string> = {}): ServeConfig {
  return resolveServeConfig(['--port', '0', '--host', '127.0.0.1', '--log-level', 'silent', ...argv], env);
}

/** Overload shedding is off unless a test asks for it: a loaded CI machine stalls the event
 * loop at start-up, and the first second of answers would be 503s. */
export async function startTestServer(argv: string[] = [], deps: StartDeps = {}): Promise<RunningServer> {
  return startServer(testConfig(argv), { defaultMetrics: false, underPressure: false, ...deps });
}

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'm365fc-serve-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * Makes POST /v1/admin/refresh hang until `release()`: a request held in flight for the
 * shutdown tests. `called` settles once the request has reached the refresh.
 */
export function holdRefresh(server: RunningServer): { called: Promise<void>; release: () => void } {
  let finish: ((r: RefreshResult) => void) | undefined;
  let reached!: () => void;
  const called = new Promise<void>((r) => (reached = r));
  server.liveIndex.attach({
    updaterStatus: () => null,
    changes: () => [],
    refresh: () => {
      reached();
      return new Promise((r) => (finish = r));
    },
  });
  const release = (): void => {
    if (finish === undefined) throw new Error('release() before the refresh was reached');
    finish({ status: 'unchanged', version: server.liveIndex.current!.version });
  };
  return { called, release };
}

/** Sends raw bytes to 127.0.0.1:`port`: what undici would not send. Resolves with all the
 * server wrote before it closed the connection; rejects on a socket error. */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.write(bytes);
  });
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: unknown;
}

export async function call(
  pool: Pool,
  method: 'GET' | 'POST' | 'HEAD',
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const res = await pool.request({
    method,
    path,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.body.text();
  let body: unknown = undefined;
  if (String(res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.statusCode, headers: res.headers, text, body };
}

export function query(flow: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(flow)) if (v !== undefined) q.set(k, String(v));
  return q.toString();
}

/** The first address of a prefix, which the prefix contains. */
function firstAddress(prefix: string): string {
  return prefix.slice(0, prefix.indexOf('/'));
}

/** A concrete host for a pattern: each '*' becomes a label. */
function hostFor(pattern: string): string {
  return pattern.replace(/\*/g, 'x1');
}

/** Flows touching every set (hosts, ips, ports, protocols) plus ones outside Microsoft 365. */
export function sampleFlows(snapshot: Snapshot): Flow[] {
  const flows: Flow[] = [];
  const add = (s: EndpointSet): void => {
    const tcp = s.tcpPorts[0]?.[0];
    const udp = s.udpPorts[0]?.[0];
    for (const url of s.urls.slice(0, 3)) {
      flows.push({ host: hostFor(url) });
      if (tcp !== undefined) flows.push({ host: hostFor(url), port: tcp, protocol: 'tcp' });
      if (udp !== undefined) flows.push({ host: hostFor(url), port: String(udp), protocol: 'UDP' });
    }
    for (const ip of s.ips.slice(0, 3)) {
      flows.push({ ip: firstAddress(ip) });
      if (tcp !== undefined) flows.push({ ip: firstAddress(ip), port: tcp });
      if (udp !== undefined) flows.push({ ip: firstAddress(ip), port: udp, protocol: 'udp' });
      const url = s.urls[0];
      if (url !== undefined) flows.push({ ip: firstAddress(ip), host: hostFor(url), port: 443 });
    }
  };
  for (const s of snapshot.sets) add(s);
  flows.push({ ip: '8.8.8.8' }, { host: 'example.com' }, { ip: '2001:db8::1', port: 443 }, { host: 'Outlook.Office.com.' });
  flows.push({ ip: '::ffff:' + firstAddress(snapshot.sets.find((s) => s.ips.some((p) => !p.includes(':')))?.ips.find((p) => !p.includes(':')) ?? '1.1.1.1/32') });
  return flows;
}

/** Bad flows and the engine code each must get. */
export const BAD_FLOWS: ReadonlyArray<{ flow: Record<string, unknown>; code: string }> = [
  { flow: { ip: '1.2.3' }, code: 'M365FC_ERR_FLOW_BAD_IP' },
  { flow: { ip: '300.1.1.1' }, code: 'M365FC_ERR_FLOW_BAD_IP' },
  { flow: { ip: 'fe80::1::2' }, code: 'M365FC_ERR_FLOW_BAD_IP' },
  { flow: { host: 'outlook.office.com:443' }, code: 'M365FC_ERR_FLOW_HOST_HAS_PORT' },
  { flow: { host: 'a..b.com' }, code: 'M365FC_ERR_FLOW_BAD_HOST' },
  { flow: { host: `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.com` }, code: 'M365FC_ERR_FLOW_HOST_TOO_LONG' },
  { flow: { host: '10.0.0.1' }, code: 'M365FC_ERR_FLOW_HOST_IS_IP' },
  { flow: { ip: '8.8.8.8', port: 0 }, code: 'M365FC_ERR_FLOW_BAD_PORT' },
  { flow: { ip: '8.8.8.8', port: 70000 }, code: 'M365FC_ERR_FLOW_BAD_PORT' },
  { flow: { ip: '8.8.8.8', port: 'https' }, code: 'M365FC_ERR_FLOW_BAD_PORT' },
  { flow: { ip: '8.8.8.8', protocol: 'icmp' }, code: 'M365FC_ERR_FLOW_BAD_PROTOCOL' },
  { flow: { port: 443 }, code: 'M365FC_ERR_FLOW_NO_TARGET' },
];
