/**
 * deploy/systemd/m365fc.service, read by systemd itself: `systemd-analyze verify` must accept it
 * without a word, and `systemd-analyze security --offline` must rate it well hardened.
 *
 * verify checks that ExecStart's program exists, so the test installs the unit as an operator
 * would with this checkout as the install directory: /opt/m365fc (the unit's documented install
 * path) becomes the repository root, whose dist/ `npm test` has just built, and /usr/bin/node
 * the node running the tests. The script named on ExecStart must exist too (verify does not
 * look at arguments, so the test does).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/data.js';

const UNIT = join(REPO_ROOT, 'deploy/systemd/m365fc.service');
const HAVE = spawnSync('systemd-analyze', ['--version']).status === 0;
const MISSING = 'systemd-analyze is missing (apt-get install systemd)';
if (!HAVE && process.env['CI']) throw new Error(`${MISSING}: required in CI`);
if (!HAVE) console.warn(`\n*** ${MISSING}: systemd unit checks skipped ***\n`);

/** The unit's directives as [section, key, value], comments and blank lines dropped. */
function directives(text: string): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!;
    else out.push([section, line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  }
  return out;
}

function installed(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'm365fc-unit-'));
  const path = join(dir, 'm365fc.service');
  writeFileSync(path, text.replaceAll('/opt/m365fc', REPO_ROOT).replaceAll('/usr/bin/node ', `${process.execPath} `));
  return path;
}

function analyze(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const text = readFileSync(UNIT, 'utf8');
const service = directives(text).filter(([s]) => s === 'Service');
const get = (key: string): string[] => service.filter(([, k]) => k === key).map(([, , v]) => v);

describe('systemd unit: what it says', () => {
  it('runs the built CLI from the install dir, keeps state in /var/lib/m365fc, reloads on SIGHUP', () => {
    const exec = get('ExecStart');
    expect(exec).toEqual(['/usr/bin/node /opt/m365fc/dist/src/cli/main.js serve']);
    expect(existsSync(join(REPO_ROOT, 'dist/src/cli/main.js'))).toBe(true);
    expect(get('StateDirectory')).toEqual(['m365fc']);
    // %S is /var/lib for a system unit: the state dir the issue and the container use.
    expect(get('Environment')).toContain('M365FC_STATE_DIR=%S/m365fc');
    expect(get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });

  it('is hardened: dynamic user, read-only system, no privileges, restricted families, memory cap', () => {
    for (const [key, value] of [
      ['DynamicUser', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['NoNewPrivileges', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
      ['MemoryMax', '512M'],
    ] as const) {
      expect(get(key), key).toEqual([value]);
    }
    // Nothing writable beside the state dir: no ReadWritePaths, no writable /tmp outside PrivateTmp.
    expect(get('ReadWritePaths')).toEqual([]);
    // Drain (10 s by default) fits in the stop timeout.
    expect(Number.parseInt(get('TimeoutStopSec')[0] ?? '0', 10)).toBeGreaterThan(10);
  });
});

describe.skipIf(!HAVE)(`systemd unit: systemd-analyze${HAVE ? '' : ` (${MISSING})`}`, () => {
  it('verify accepts it without a warning', () => {
    const r = analyze('verify', '--man=no', installed(text));
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('verify would catch a mistyped directive or a missing program (the check is real)', () => {
    expect(analyze('verify', '--man=no', installed(text.replace('ProtectSystem=strict', 'ProtectSytem=strict'))).output).toContain("Unknown key 'ProtectSytem'");
    expect(analyze('verify', '--man=no', installed(text.replace('/usr/bin/node ', '/usr/bin/no-such-node '))).status).not.toBe(0);
  });

  it('security --offline rates its exposure at most 2.0 of 10', () => {
    const path = installed(text);
    const r = analyze('security', '--offline=yes', '--no-pager', path);
    const level = /Overall exposure level for m365fc\.service: ([0-9.]+)/.exec(r.output);
    expect(level, r.output).not.toBeNull();
    expect(Number(level![1])).toBeLessThanOrEqual(2.0);
    // The same bound as systemd's own gate, so that CI logs show systemd's verdict.
    expect(analyze('security', '--offline=yes', '--threshold=20', '--no-pager', path).status).toBe(0);
  });
});
