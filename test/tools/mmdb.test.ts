import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from 'maxmind';
import { afterAll, expect, it } from 'vitest';
import { formatPorts } from '../../src/core/ports.js';
import type { EndpointSet } from '../../src/core/types.js';
import { boundaryProbes, engineAnswer } from './addresses.js';
import { describeWithTools, pool, realData, renderBytes, run, tempDir, toolPath } from './tools.js';

/**
 * The MMDB export read by libmaxminddb (`mmdblookup`) and by the npm `maxmind` reader: for every
 * stored response, the first, last and just-outside addresses of every prefix, IPv4 and IPv6, and
 * every IPv4 one also as ::a.b.c.d (where MaxMind keeps IPv4) and ::ffff:a.b.c.d, give the engine's
 * answer (set, matched prefix, category, ...) or no record where the engine says not Microsoft 365.
 */

interface Expected {
  readonly lookup: string;
  readonly set: EndpointSet | undefined;
  readonly matched: string | null;
}

function expectations(data: ReturnType<typeof realData>[number]): Expected[] {
  const byId = new Map(data.snapshot.sets.map((s) => [s.id, s]));
  return boundaryProbes(data.snapshot).flatMap((p) => {
    const a = engineAnswer(data.engine, p.text);
    const set = a.endpointSetId === null ? undefined : byId.get(a.endpointSetId);
    const forms = p.family === 4 ? [p.text, `::${p.text}`, `::ffff:${p.text}`] : [p.text];
    return forms.map((lookup) => ({ lookup, set, matched: a.matched }));
  });
}

function recordOf(set: EndpointSet, matched: string): Record<string, unknown> {
  const action = { Optimize: 'bypass', Allow: 'direct', Default: 'default' }[set.category];
  return {
    category: set.category,
    serviceArea: set.serviceArea,
    endpointSetId: set.id,
    expressRoute: set.expressRoute,
    required: set.required,
    matched,
    action,
    tcpPorts: formatPorts(set.tcpPorts),
    udpPorts: formatPorts(set.udpPorts),
  };
}

/** mmdblookup's answer: the set id and matched prefix, or null for "Could not find an entry". */
function parseMmdblookup(out: string): { endpointSetId: number; matched: string } | null {
  if (/Could not find an entry/.test(out)) return null;
  const id = /"endpointSetId":\s*(\d+) <uint32>/.exec(out);
  const matched = /"matched":\s*"([^"]+)" <utf8_string>/.exec(out);
  if (id === null || matched === null) throw new Error(`unexpected mmdblookup output: ${out}`);
  return { endpointSetId: Number(id[1]), matched: matched[1]! };
}

describeWithTools('libmaxminddb and the npm maxmind reader read the mmdb export as the engine answers', ['mmdblookup'], () => {
  const tmp = tempDir('mmdb');
  afterAll(tmp.remove);
  const mmdblookup = toolPath('mmdblookup')!;

  for (const data of realData()) {
    const version = `${data.name.match(/(\d{8})/)?.[1] ?? '20250101'}00`;
    const file = join(tmp.dir, `${data.name}.mmdb`);
    let bytes: Uint8Array;

    it(`${data.name}: the npm maxmind reader gives the engine's answer for every probe, with the metadata naming the version`, async () => {
      bytes = await renderBytes('mmdb', { ...data.snapshot, version });
      writeFileSync(file, bytes);
      const reader = new Reader<Record<string, unknown>>(Buffer.from(bytes));
      expect(reader.metadata.binaryFormatMajorVersion).toBe(2);
      expect(reader.metadata.ipVersion).toBe(6);
      expect(reader.metadata.databaseType).toBe('M365-Endpoints');
      // mmdb-lib types description as a string; it is the spec's map of language to text.
      expect((reader.metadata.description as unknown as Record<string, string>)['en']).toContain(`endpoint data version ${version}`);
      const wrong: string[] = [];
      let found = 0;
      for (const e of expectations(data)) {
        const got = reader.get(e.lookup);
        const want = e.set === undefined ? null : recordOf(e.set, e.matched!);
        if (want !== null) found++;
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${e.lookup}: reader ${JSON.stringify(got)}, engine ${JSON.stringify(want)}`);
      }
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(found).toBeGreaterThan(50);
    });

    it(`${data.name}: mmdblookup (libmaxminddb) gives the engine's set and prefix for every probe`, async () => {
      const verbose = await run(mmdblookup, ['--file', file, '--ip', '1.1.1.1', '--verbose']);
      expect(verbose.stdout).toContain(`endpoint data version ${version}`);
      // One process a lookup (about 5 ms): every address in its plain form, and each IPv4 one also
      // in one of its IPv6 forms, alternately (the npm reader above checks every form).
      let k = 0;
      const all = expectations(data).filter((e) => !e.lookup.startsWith('::') || (k++ & 1) === (e.lookup.startsWith('::ffff:') ? 1 : 0));
      const answers = await pool(all, 4, async (e) => {
        const r = await run(mmdblookup, ['--file', file, '--ip', e.lookup]);
        return parseMmdblookup(r.stdout + r.stderr);
      });
      const wrong = all.filter((e, k) => JSON.stringify(answers[k]) !== JSON.stringify(e.set === undefined ? null : { endpointSetId: e.set.id, matched: e.matched }));
      expect(wrong.slice(0, 5).map((e) => e.lookup), `${wrong.length} of ${all.length} disagree`).toEqual([]);
      expect(all.filter((e) => e.lookup.startsWith('::ffff:')).length).toBeGreaterThan(0);
      expect(all.filter((e) => /^::\d/.test(e.lookup)).length).toBeGreaterThan(0);
    }, 180_000);
  }
});
