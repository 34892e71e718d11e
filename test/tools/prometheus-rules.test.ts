/**
 * deploy/prometheus/alerts.yaml, read by Prometheus's own tool: `promtool check rules` accepts
 * it, `promtool test rules` runs the cases of alerts.test.yaml (each alert fires when it should
 * and not before), and a rule made wrong on purpose fails them. Every metric and label value
 * an alert selects appears in a real /metrics scrape of the running service, made while it
 * follows a local fake of Microsoft's web service and after it has refused requests under
 * pressure (its process stopped for two seconds with SIGSTOP, so the event loop lags).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/data.js';
import { FakeUpstream } from '../support/fake-upstream.js';

const DIR = join(REPO_ROOT, 'deploy/prometheus');
const HAVE = spawnSync('promtool', ['--version']).status === 0;
const MISSING = "promtool is missing (apt-get install prometheus: Debian's package has it)";
if (!HAVE && process.env['CI']) throw new Error(`${MISSING}: required in CI`);
if (!HAVE) console.warn(`\n*** ${MISSING}: rule checks skipped ***\n`);

interface Rule {
  alert: string;
  expr: string;
}
const rules = (parse(readFileSync(join(DIR, 'alerts.yaml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

function promtool(cwd: string, ...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe.skipIf(!HAVE)(`Prometheus rules: promtool${HAVE ? '' : ` (${MISSING})`}`, () => {
  it('check rules accepts them', () => {
    const r = promtool(DIR, 'check', 'rules', 'alerts.yaml');
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('test rules passes every case, and there is a case for every alert', () => {
    const r = promtool(DIR, 'test', 'rules', 'alerts.test.yaml');
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const tested = new Set(
      (parse(readFileSync(join(DIR, 'alerts.test.yaml'), 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> }).tests
        .flatMap((t) => t.alert_rule_test)
        .filter((a) => a.exp_alerts.length > 0)
        .map((a) => a.alertname),
    );
    expect([...tested].sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it('the cases catch a wrong rule: a 10 % threshold instead of 1 % fails them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365fc-rules-'));
    temps.push(dir);
    copyFileSync(join(DIR, 'alerts.test.yaml'), join(dir, 'alerts.test.yaml'));
    const text = readFileSync(join(DIR, 'alerts.yaml'), 'utf8');
    expect(text).toContain('> 0.01\n');
    writeFileSync(join(dir, 'alerts.yaml'), text.replace('> 0.01\n', '> 0.1\n'));
    expect(promtool(dir, 'check', 'rules', 'alerts.yaml').status).toBe(0);
    const r = promtool(dir, 'test', 'rules', 'alerts.test.yaml');
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('M365fcHighServerErrorRate');
  });
});

/** Each `name{label="value",...}` or bare `name` of an m365fc metric in a PromQL expression. */
function selectors(expr: string): Array<{ name: string; matchers: Array<[string, string]> }> {
  const out: Array<{ name: string; matchers: Array<[string, string]> }> = [];
  for (const m of expr.matchAll(/\b(m365fc_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
    const matchers = [...(m[3] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!] as [string, string]);
    out.push({ name: m[1]!, matchers });
  }
  return out;
}

describe('Prometheus rules: the metrics they use are real', () => {
  it('every selector of every alert matches a series of a live scrape', async () => {
    const fake = await FakeUpstream.start();
    const state = mkdtempSync(join(tmpdir(), 'm365fc-rules-state-'));
    temps.push(state);
    fake.serve(1);
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), 'serve'], {
      env: { PATH: process.env['PATH'] ?? '', M365FC_PORT: '0', M365FC_UPSTREAM: fake.url, M365FC_STATE_DIR: state, M365FC_MAX_EVENT_LOOP_DELAY_MS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pool: Pool | null = null;
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      pool = new Pool(url, { connections: 2 });
      const get = async (path: string): Promise<{ status: number; text: string }> => {
        const r = await pool!.request({ method: 'GET', path });
        return { status: r.statusCode, text: await r.body.text() };
      };
      // Answers of every class the rules count: 2xx, and 503s refused under pressure.
      expect((await get('/v1/classify?host=outlook.office.com')).status).toBe(200);
      let refused = 0;
      for (let attempt = 0; attempt < 5 && refused === 0; attempt++) {
        child.kill('SIGSTOP');
        await sleep(2000);
        child.kill('SIGCONT');
        for (let i = 0; i < 40 && refused === 0; i++) {
          const r = await get('/v1/classify?host=outlook.office.com');
          if (r.status === 503 && r.text.includes('M365FC_ERR_SERVE_OVERLOADED')) refused++;
          else await sleep(25);
        }
      }
      expect(refused).toBeGreaterThan(0);

      const scrape = (await get('/metrics')).text.split('\n').filter((l) => l.startsWith('m365fc_'));
      for (const rule of rules) {
        const sel = selectors(rule.expr);
        expect(sel.length, rule.alert).toBeGreaterThan(0);
        for (const { name, matchers } of sel) {
          const series = scrape.filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
          expect(series.length, `${rule.alert}: ${name} in /metrics`).toBeGreaterThan(0);
          const match = series.some((l) => matchers.every(([k, v]) => l.includes(`${k}="${v}"`)));
          expect(match, `${rule.alert}: ${name}{${matchers.map(([k, v]) => `${k}="${v}"`).join(',')}} in /metrics`).toBe(true);
        }
      }
      // The versions compare as the first rule expects: the replica follows the fake, so equal.
      const value = (name: string): number => Number(scrape.find((l) => l.startsWith(`${name} `))!.split(' ')[1]);
      expect(value('m365fc_data_version')).toBe(Number(fake.latest));
      expect(value('m365fc_upstream_latest_version')).toBe(Number(fake.latest));
    } finally {
      await pool?.close();
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      await fake.close();
    }
  }, 90_000);
});
