import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeSnapshot } from '../../src/ingest/snapshot-file.js';
import { freePort } from '../support/child-server.js';
import { REPO_ROOT } from '../support/data.js';
import { TestSocket } from '../integration/ws-client.js';
import { realSnapshot, tempDir } from './helpers.js';

/**
 * Issue 16 item 6 (SIGHUP): the real `m365fc serve --data FILE` under load from HTTP and a
 * WebSocket gets SIGHUP several times. Every request is answered, the WebSocket stays open, each
 * reload is logged; a newer file is taken, an older or broken one is refused with its code.
 */

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

let tmp: { dir: string; cleanup: () => void };
let child: ChildProcess;
let url = '';
const lines: string[] = [];
const waiters: Array<{ pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
let dataFile = '';

function logLine(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve) => waiters.push({ pred, resolve }));
}

function onLine(text: string): void {
  lines.push(text);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return;
  }
  for (const w of waiters.filter((x) => x.pred(o))) {
    waiters.splice(waiters.indexOf(w), 1);
    w.resolve(o);
  }
}

function writeData(version: string, file: Parameters<typeof realSnapshot>[0]): void {
  writeFileSync(dataFile, serializeSnapshot(realSnapshot(file, version, `https://endpoints.office.com/endpoints/Worldwide?NoIPv6=true#${version}`)));
}

beforeAll(async () => {
  if (!existsSync(CLI)) return;
  tmp = tempDir();
  dataFile = join(tmp.dir, 'data.json');
  writeData('2019102800', 'worldwide-commit20191124.json');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [CLI, 'serve', '--offline', '--data', dataFile, '--port', String(port), '--log-level', 'info', '--max-event-loop-delay-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  const read = (d: Buffer): void => {
    buffered += d.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    parts.forEach(onLine);
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  await logLine((l) => l['msg'] === 'serving');
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  tmp?.cleanup();
});

describe.skipIf(!existsSync(CLI))('SIGHUP under load', () => {
  it('re-reads the data file through the gates: 0 lost answers, the WebSocket stays open, every reload logged', async () => {
    const pool = new Pool(url, { connections: 4 });
    const ws = await TestSocket.open(url);
    let wsClosed = false;
    void ws.closed.then(() => (wsClosed = true));
    const failures: string[] = [];
    const versions = new Set<string>();
    let answered = 0;
    let done = false;

    const http = async (w: number): Promise<void> => {
      for (let i = 0; !done; i++) {
        try {
          if ((i + w) % 3 === 0) {
            const res = await pool.request({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flows: [{ host: 'outlook.office.com', port: 443 }, { ip: '13.107.6.152' }] }) });
            const body = (await res.body.json()) as { version: string; results: unknown[] };
            if (res.statusCode !== 200 || body.results.length !== 2) failures.push(`POST ${res.statusCode}`);
            else versions.add(body.version);
          } else {
            const res = await pool.request({ method: 'GET', path: '/v1/classify?host=outlook.office.com&port=443&protocol=tcp' });
            const body = (await res.body.json()) as { version: string; category: string };
            if (res.statusCode !== 200 || body.category !== 'Optimize') failures.push(`GET ${res.statusCode} ${JSON.stringify(body)}`);
            else versions.add(body.version);
          }
          answered++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const stream = async (): Promise<void> => {
      for (let i = 0; !done; i++) {
        const a = (await ws.request({ id: i, flows: [{ host: 'outlook.office.com', port: 443 }] })) as { id?: number; results?: unknown[] };
        if (a.id !== i || a.results?.length !== 1) failures.push(`ws ${JSON.stringify(a)}`);
        else answered++;
      }
    };
    const load = [http(0), http(1), http(2), stream()];
    const after = async (n: number): Promise<void> => {
      const target = answered + n;
      while (answered < target && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
    };

    // The same file three times: nothing new, said in the log each time.
    for (let k = 0; k < 3; k++) {
      await after(50);
      const logged = logLine((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('reload (file): nothing new'));
      child.kill('SIGHUP');
      await logged;
    }
    // A newer version: taken.
    writeData('2020042800', 'worldwide-commit20200531.json');
    let logged = logLine((l) => l['msg'] === 'data reloaded from the data file');
    child.kill('SIGHUP');
    expect(await logged).toMatchObject({ version: '2020042800', previousVersion: '2019102800' });
    await after(50);
    // An older version, then a file that does not parse: refused with their codes; data kept.
    writeData('2019010700', 'worldwide-commit20190109.json');
    logged = logLine((l) => l['code'] === 'M365FC_ERR_UPDATE_VERSION_BACKWARDS');
    child.kill('SIGHUP');
    expect(await logged).toMatchObject({ level: 40 });
    writeFileSync(dataFile, '{"format":"m365fc-snapshot",');
    logged = logLine((l) => typeof l['code'] === 'string' && (l['code'] as string).startsWith('M365FC_ERR_INGEST_'));
    child.kill('SIGHUP');
    await logged;
    await after(50);
    done = true;
    await Promise.all(load);

    expect(failures).toEqual([]);
    expect(wsClosed).toBe(false);
    expect(child.exitCode).toBeNull();
    expect([...versions].sort()).toEqual(['2019102800', '2020042800']);
    const v = await request(`${url}/v1/version`);
    expect(((await v.body.json()) as { version: string }).version).toBe('2020042800');
    await ws.close();
    await pool.close();
  }, 60_000);
});
