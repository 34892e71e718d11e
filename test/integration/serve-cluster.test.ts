import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pool, request } from 'undici';
import { exited, freePort, untilReady } from '../support/child-server.js';
import { REPO_ROOT } from '../support/data.js';
import { TestSocket } from './ws-client.js';

/**
 * `m365fc serve --workers 2` as a real process tree: the built CLI (npm test builds first;
 * skipped when dist/ is absent). Metrics are the sum over workers; SIGTERM drains and exits 0.
 */

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

function sumOf(metrics: string, name: string, match: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) if (line.startsWith(name) && line.includes(match)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

describe.skipIf(!existsSync(CLI))('m365fc serve --workers 2', () => {
  it('answers on one port, aggregates metrics over the workers, drains on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve', '--offline', '--port', String(port), '--workers', '2', '--log-level', 'warn', '--max-event-loop-delay-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    try {
      await untilReady(`${url}/readyz`, child, { name: 'serve' });
      const pool = new Pool(url, { connections: 8 });
      const lookups = 200;
      await Promise.all(
        Array.from({ length: lookups }, async (_, i) => {
          const r = await pool.request({ method: 'GET', path: `/v1/classify?ip=40.96.0.${i % 250}&port=443` });
          expect(r.statusCode).toBe(200);
          await r.body.text();
        }),
      );
      await pool.close();
      const m = await request(`${url}/metrics`);
      const text = await m.body.text();
      expect(m.statusCode).toBe(200);
      expect(sumOf(text, 'm365fc_lookups_total', 'route="get"')).toBe(lookups);
      expect(text).toMatch(/m365fc_data_info\{[^}]*source="bootstrap"\} 1\n/);

      const ws = await TestSocket.open(url);
      expect(await ws.request({ id: 1, flows: [{ ip: '8.8.8.8' }] })).toMatchObject({ id: 1 });
      child.kill('SIGTERM');
      expect(await ws.closed).toEqual({ code: 1001, reason: 'M365FC_ERR_SERVE_SHUTTING_DOWN' });
      expect(await exited(child)).toBe(0);
      expect(out).toContain('shutting down workers');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stops with exit status 1 when a worker cannot start', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve', '--offline', '--port', String(port), '--workers', '2', '--data', '/nonexistent/data.json'], { stdio: 'ignore' });
    try {
      expect(await exited(child)).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
