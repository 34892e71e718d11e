import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Snapshot } from '../../src/core/types.js';
import { prefixInterval } from '../../src/core/prefixes.js';
import { boundaryProbes, engineAnswer, type Probe } from './addresses.js';
import { describeWithTools, realData, renderText, run, tempDir, toolPath } from './tools.js';

/**
 * The nftables export in nftables 1.0.x: `nft -c -f` checks it, `nft -f` loads it (twice: the
 * file replaces its table) in a network namespace of its own, and `nft get element` lookups of
 * every prefix's first, last and just-outside addresses agree with the engine, for the address
 * sets (no port) and the port-aware address . protocol . port sets.
 */

const CATS = ['Optimize', 'Allow', 'Default'] as const;

/** Ports where some set's port list starts, ends, or just misses, per protocol. */
function portSamples(snapshot: Snapshot, protocol: 'tcp' | 'udp'): number[] {
  const ports = new Set<number>([443]);
  for (const s of snapshot.sets) {
    for (const [lo, hi] of protocol === 'tcp' ? s.tcpPorts : s.udpPorts) {
      for (const p of [lo - 1, lo, hi, hi + 1]) if (p >= 1 && p <= 65535) ports.add(p);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

interface Query {
  readonly set: string;
  /** The element as nft writes it: `ADDR` or `ADDR . PROTO . PORT`. */
  readonly element: string;
  readonly addr: Probe;
  readonly proto?: 'tcp' | 'udp';
  readonly port?: number;
  readonly expected: boolean;
}

function queries(snapshot: Snapshot, engine: Parameters<typeof engineAnswer>[0], probes: readonly Probe[]): Query[] {
  const out: Query[] = [];
  const tcp = portSamples(snapshot, 'tcp');
  const udp = portSamples(snapshot, 'udp');
  probes.forEach((p, i) => {
    const fam = p.family === 4 ? 'v4' : 'v6';
    const plain = engineAnswer(engine, p.text).category;
    for (const c of CATS) out.push({ set: `${c.toLowerCase()}_${fam}`, element: p.text, addr: p, expected: plain === c });
    // A rotating handful of the sampled ports per address: every sample is used across the probes.
    const picks: Array<['tcp' | 'udp', number]> = [
      ['tcp', tcp[(i * 3) % tcp.length]!],
      ['tcp', tcp[(i * 3 + 1) % tcp.length]!],
      ['tcp', 443],
      ['udp', udp[(i * 2) % udp.length]!],
      ['udp', udp[(i * 2 + 1) % udp.length]!],
    ];
    for (const [proto, port] of picks) {
      const cat = engineAnswer(engine, p.text, proto, port).category;
      for (const c of CATS) out.push({ set: `${c.toLowerCase()}_${fam}_ports`, element: `${p.text} . ${proto} . ${port}`, addr: p, proto, port, expected: cat === c });
    }
  });
  return [...new Map(out.map((q) => [`${q.set} ${q.element}`, q])).values()];
}

/** An element of `nft -j list set` output: a value, a prefix, a range, or a concatenation of those. */
type Json = string | number | { prefix?: { addr: string; len: number }; range?: [Json, Json]; concat?: Json[] };

function addrRange(e: Json): { lo: bigint; hi: bigint } {
  if (typeof e === 'string') return prefixInterval(`${e}/${e.includes(':') ? 128 : 32}`);
  if (typeof e === 'object' && e.prefix !== undefined) return prefixInterval(`${e.prefix.addr}/${e.prefix.len}`);
  if (typeof e === 'object' && e.range !== undefined) return { lo: addrRange(e.range[0]).lo, hi: addrRange(e.range[1]).hi };
  throw new Error(`not an address element: ${JSON.stringify(e)}`);
}

function portRange(e: Json): [number, number] {
  if (typeof e === 'number') return [e, e];
  if (typeof e === 'object' && e.range !== undefined) return [Number(e.range[0]), Number(e.range[1])];
  throw new Error(`not a port element: ${JSON.stringify(e)}`);
}

/** A listed set, compiled: address ranges per (protocol, port range); protocol '' for address sets. */
interface Listed {
  readonly groups: Array<{ proto: string; ports: [number, number]; addrs: Array<{ lo: bigint; hi: bigint }> }>;
}

function compileListed(elements: readonly Json[]): Listed {
  const byKey = new Map<string, Listed['groups'][number]>();
  for (const e of elements) {
    const parts = typeof e === 'object' && e.concat !== undefined ? e.concat : [e];
    const proto = parts.length === 3 ? String(parts[1]) : '';
    const ports: [number, number] = parts.length === 3 ? portRange(parts[2]!) : [0, 0];
    const key = `${proto} ${ports[0]} ${ports[1]}`;
    let g = byKey.get(key);
    if (g === undefined) byKey.set(key, (g = { proto, ports, addrs: [] }));
    g.addrs.push(addrRange(parts[0]!));
  }
  return { groups: [...byKey.values()] };
}

function listedContains(set: Listed, q: Query): boolean {
  const proto = q.proto ?? '';
  const port = q.port ?? 0;
  return set.groups.some((g) => g.proto === proto && g.ports[0] <= port && port <= g.ports[1] && g.addrs.some((a) => a.lo <= q.addr.value && q.addr.value <= a.hi));
}

/** The elements of every set of table inet m365, as nft lists them from the kernel. */
function listedSets(json: string): Map<string, Listed> {
  const out = new Map<string, Listed>();
  const doc = JSON.parse(json) as { nftables: Array<{ set?: { name: string; elem?: Json[] } }> };
  for (const item of doc.nftables) if (item.set !== undefined) out.set(item.set.name, compileListed(item.set.elem ?? []));
  return out;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The example rule of the file, uncommented, inside the table. */
function withExampleRule(file: string): string {
  const lines = file.split('\n');
  const start = lines.findIndex((l) => l.startsWith('\t# chain m365_example {'));
  expect(start).toBeGreaterThan(0);
  let k = start;
  for (; !lines[k]!.startsWith('\t# }'); k++) lines[k] = lines[k]!.replace(/^\t# ?/, '\t');
  lines[k] = '\t}';
  return lines.join('\n');
}

describeWithTools(
  'nft loads the nftables export and its sets answer as the engine does',
  ['nft', 'unshare'],
  () => {
    const tmp = tempDir('nft');
    afterAll(tmp.remove);
    const nft = toolPath('nft')!;
    const unshare = toolPath('unshare')!;

    for (const { name, snapshot, engine } of realData()) {
      it(`${name}: nft -c -f accepts it, with and without the example rule; nft -f loads it twice; lookups agree with the engine`, async () => {
        const text = await renderText('nftables', snapshot);
        const file = join(tmp.dir, `${name}.nft`);
        const example = join(tmp.dir, `${name}.example.nft`);
        writeFileSync(file, text);
        writeFileSync(example, withExampleRule(text));
        for (const f of [file, example]) {
          const check = await run(unshare, ['-n', nft, '-c', '-f', f]);
          expect(check.stderr, f).toBe('');
          expect(check.code, f).toBe(0);
        }
        const qs = queries(snapshot, engine, boundaryProbes(snapshot));
        // nft's own lookups (about 4 ms each): every expected member in multi-element gets (one
        // fails if any element is missing; nft 1.0.6 crashes on about 200 elements, so 50 a get),
        // and an even sample of expected non-members one by one.
        const commands: string[] = [];
        for (const set of new Set(qs.map((q) => q.set))) {
          for (const part of chunks(qs.filter((q) => q.set === set && q.expected), 50)) commands.push(`get element inet m365 ${set} { ${part.map((q) => q.element).join(', ')} }`);
        }
        const absent = qs.filter((q) => !q.expected);
        const sampled = absent.filter((_, i) => i % Math.max(1, Math.floor(absent.length / 150)) === 0);
        for (const q of sampled) commands.push(`get element inet m365 ${q.set} { ${q.element} }`);
        const queryFile = join(tmp.dir, `${name}.queries`);
        writeFileSync(queryFile, `${commands.join('\n')}\n`);
        // One namespace: load, load again (the file replaces its table), list it, then the lookups in one nft -i.
        const r = await run(unshare, ['-n', 'sh', '-c', `"${nft}" -f "${file}" && "${nft}" -f "${file}" && "${nft}" -j list table inet m365 && "${nft}" -i < "${queryFile}"`]);
        expect(r.code).toBe(0);
        const failed = new Set(r.stderr.split('\n').filter((l) => l.startsWith('get element ')).map((l) => l.trim()));
        expect(r.stderr.split('\n').filter((l) => l.startsWith('Error:') && !l.includes('No such file or directory'))).toEqual([]);
        const wrongGets = commands.filter((c, k) => failed.has(c) !== k >= commands.length - sampled.length);
        expect(wrongGets.slice(0, 5), `${wrongGets.length} of ${commands.length} nft get element commands disagree with the engine`).toEqual([]);
        // Every query, against the sets as nft lists them from the kernel.
        const listed = listedSets(r.stdout.slice(0, r.stdout.indexOf('\n') + 1));
        const wrong = qs.filter((q) => listedContains(listed.get(q.set) ?? { groups: [] }, q) !== q.expected);
        expect(wrong.slice(0, 10).map((q) => `${q.set} ${q.element}: engine ${q.expected}`), `${wrong.length} of ${qs.length} disagree`).toEqual([]);
        // The lookups must have met members of the port-aware sets, or they prove little.
        expect(qs.filter((q) => q.expected && q.set.endsWith('_ports')).length).toBeGreaterThan(50);
      });
    }

    it('the table name is an option', async () => {
      const { snapshot } = realData()[2]!;
      const file = join(tmp.dir, 'named.nft');
      writeFileSync(file, await renderText('nftables', snapshot, { table: 'o365', category: 'Optimize', ports: 'false' }));
      const r = await run(unshare, ['-n', 'sh', '-c', `"${nft}" -f "${file}" && "${nft}" list sets`]);
      expect(r.code).toBe(0);
      expect([...r.stdout.matchAll(/set (\S+) \{/g)].map((m) => m[1])).toEqual(['optimize_v4', 'optimize_v6']);
      expect(r.stdout).toContain('table inet o365');
    });
  },
  { netns: true },
);
