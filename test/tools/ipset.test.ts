import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { boundaryProbes, engineAnswer } from './addresses.js';
import { describeWithTools, realData, renderText, run, tempDir, toolPath } from './tools.js';

/**
 * The ipset export in ipset 7: `ipset restore` loads it (twice: it flushes its sets) in a network
 * namespace of its own, and `ipset test` of every prefix's first, last and just-outside addresses,
 * in every category's set of the address's family, agrees with the engine.
 */

const CATS = ['Optimize', 'Allow', 'Default'] as const;

describeWithTools(
  'ipset restores the ipset export and ipset test agrees with the engine',
  ['ipset', 'unshare'],
  () => {
    const tmp = tempDir('ipset');
    afterAll(tmp.remove);
    const ipset = toolPath('ipset')!;
    const unshare = toolPath('unshare')!;

    for (const { name, snapshot, engine } of realData()) {
      it(`${name}: restores twice; ipset test agrees with the engine on every boundary address`, async () => {
        const file = join(tmp.dir, `${name}.ipset`);
        writeFileSync(file, await renderText('ipset', snapshot));
        const tests: Array<{ set: string; addr: string; expected: boolean }> = [];
        for (const p of boundaryProbes(snapshot)) {
          const category = engineAnswer(engine, p.text).category;
          for (const c of CATS) tests.push({ set: `m365_${c.toLowerCase()}_v${p.family}`, addr: p.text, expected: category === c });
        }
        const testFile = join(tmp.dir, `${name}.tests`);
        writeFileSync(testFile, `${tests.map((t) => `test ${t.set} ${t.addr}`).join('\n')}\n`);
        // `ipset -` reads commands from stdin, one process for all the tests.
        const r = await run(unshare, ['-n', 'sh', '-c', `"${ipset}" restore < "${file}" && "${ipset}" restore < "${file}" && "${ipset}" - < "${testFile}"`]);
        const out = r.stdout + r.stderr;
        const answers = new Map<string, boolean>();
        for (const m of out.matchAll(/(\S+) is (NOT )?in set (\S+)\./g)) answers.set(`${m[3]} ${m[1]}`, m[2] === undefined);
        expect(answers.size).toBe(tests.length);
        const wrong = tests.filter((t) => answers.get(`${t.set} ${t.addr}`) !== t.expected);
        expect(wrong.slice(0, 10), `${wrong.length} of ${tests.length} disagree`).toEqual([]);
        // The probes must have met members, or they prove little (each address is in at most one set of three).
        expect(tests.filter((t) => t.expected).length).toBeGreaterThan(tests.length / 8);
      });
    }
  },
  { netns: true },
);
