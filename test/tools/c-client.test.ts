import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Classifier } from '../../src/index.js';
import type { RunningServer } from '../../src/serve/server.js';
import type { ClassifyResult, Flow } from '../../src/core/types.js';
import { ERROR_NUMBERS } from '../../src/core/errors.js';
import { binaryTestFlows } from '../support/binary-flows.js';
import { REPO_ROOT, realResponsePath } from '../support/data.js';
import { oracleFlow } from '../support/flow-gen.js';
import { Oracle } from '../support/oracle.js';
import { startTestServer, tempFile } from '../integration/helpers.js';

/**
 * The C client of clients/c, compiled by gcc with -Wall -Wextra -Werror -std=c11, run against
 * the real service's --binary-port on 10,000 flows: every line it prints equal to the engine's
 * answer and to the oracle's.
 */

const run = promisify(execFile);
const hasGcc = spawnSync('gcc', ['--version']).status === 0;
if (!hasGcc && process.env['CI']) throw new Error('gcc is required in CI (test/tools/c-client.test.ts)');
const TOKEN = 'c-client-token-0123456789abcdef';

const CATEGORY = ['-', 'Optimize', 'Allow', 'Default'];

/** The line the client must print for an answer, from the spec's record layout. */
function lineOf(r: ClassifyResult): string {
  if ('error' in r) return `invalid - - expressRoute=0 required=0 set=0 error=${ERROR_NUMBERS.get(r.error.code as never)}`;
  const cat = r.category === null ? '-' : CATEGORY[CATEGORY.indexOf(r.category)];
  return `${r.m365 ? 'm365' : 'none'} ${cat} ${r.matchedBy ?? '-'} expressRoute=${r.expressRoute === true ? 1 : 0} required=${r.required === true ? 1 : 0} set=${r.endpointSetId ?? 0} error=0`;
}

function inputLine(f: Flow): string {
  return `${f.ip ?? '-'} ${f.port ?? '-'} ${f.protocol?.toLowerCase() ?? '-'} ${f.host ?? '-'}`;
}

describe.skipIf(!hasGcc)('clients/c/m365fc-client against the service', () => {
  let dir: string;
  let binary: string;
  let server: RunningServer;
  let engine: Classifier;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm365fc-c-'));
    binary = join(dir, 'm365fc-client');
    const cc = spawnSync('gcc', ['-Wall', '-Wextra', '-Werror', '-std=c11', '-O2', '-o', binary, join(REPO_ROOT, 'clients/c/m365fc-client.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc failed:\n${cc.stderr}`);
    server = await startTestServer([
      '--data', realResponsePath('worldwide-commit20200531.json'),
      '--binary-port', '0',
      '--token-file', tempFile('tokens', `${TOKEN}\n`),
    ]);
    engine = server.liveIndex.current!;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints, for 10,000 flows, exactly the engine\'s and the oracle\'s answers', async () => {
    const flows = binaryTestFlows(engine.snapshot.sets, 1313, 10_000);
    const input = tempFile('flows.txt', flows.map(inputLine).join('\n') + '\n');
    const { stdout } = await run('sh', ['-c', `"${binary}" -p ${server.binaryPort} -b 1000 < "${input}"`], {
      env: { ...process.env, M365FC_TOKEN: TOKEN },
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`version ${engine.version}`);
    expect(lines.length).toBe(flows.length + 1);
    const oracle = new Oracle(engine.snapshot.sets);
    const wrong: string[] = [];
    const kinds = new Set<string>();
    flows.forEach((f, i) => {
      const got = lines[i + 1];
      const want = lineOf(engine.classify(f));
      const fromOracle = lineOf(oracle.classify(oracleFlow(f), { precedence: 'specific-first', version: engine.version }).result);
      kinds.add(want.split(' ').slice(0, 3).join(' '));
      if ((got !== want || got !== fromOracle) && wrong.length < 10) wrong.push(`${inputLine(f)}: client "${got}", engine "${want}", oracle "${fromOracle}"`);
    });
    expect(wrong).toEqual([]);
    for (const k of ['none - -', 'm365 Optimize ip', 'm365 Allow host', 'm365 Optimize host+ip']) expect(kinds, k).toContain(k);
  });

  it('sends generated IPv4 flows with -g and refuses a wrong token', async () => {
    const { stdout } = await run(binary, ['-p', String(server.binaryPort), '-t', TOKEN, '-g', '2500', '-b', '1000']);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBe(2501);
    expect(lines.slice(1).every((l) => /^(m365|none) /.test(l))).toBe(true);
    await expect(run(binary, ['-p', String(server.binaryPort), '-t', 'wrong-token-0123456789', '-g', '1'])).rejects.toMatchObject({
      code: 3,
      stderr: expect.stringContaining(`error number ${ERROR_NUMBERS.get('M365FC_ERR_SERVE_UNAUTHORIZED')}`),
    });
  });
});
