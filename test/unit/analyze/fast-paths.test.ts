/**
 * The fast paths give the answers of the general ones:
 * - an Azure record read in place (nsg-scan.ts, nsg-tuple-read.ts) against JSON.parse and
 *   split(',') (readAzureRecord with fast = false), on tuples and records varied around what
 *   Azure writes: odd spellings, missing and extra cells, bad states, escapes, invalid JSON,
 *   keys given twice, pretty-printing;
 * - the joiner's numeric keys against text keys: the same log with IPv4 addresses and with the
 *   same addresses written as IPv4-mapped IPv6 (always keyed by text) counts the same.
 */
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../../src/analyze/analyze-logs.js';
import { emptyRecord, type FlowRecord } from '../../../src/analyze/flow-record.js';
import type { LogInput } from '../../../src/analyze/open-input.js';
import { readAzureRecord, type TupleState } from '../../../src/analyze/nsg-tuples.js';
import { createClassifier, loadBootstrapSnapshot } from '../../../src/index.js';
import { Readable } from 'node:stream';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** What a sink sees, with the record's fields as the joiner reads them (addresses as text). */
function read(json: string, fast: boolean): string[] {
  const out: string[] = [];
  const rec = emptyRecord();
  const text = (r: FlowRecord): string => {
    const ip = r.ip ?? (r.ip4 >= 0 ? `${r.ip4 >>> 24}.${(r.ip4 >>> 16) & 255}.${(r.ip4 >>> 8) & 255}.${r.ip4 & 255}` : undefined);
    const src = r.src ?? (r.src4 >= 0 ? `${r.src4 >>> 24}.${(r.src4 >>> 16) & 255}.${(r.src4 >>> 8) & 255}.${r.src4 & 255}` : undefined);
    // A port is compared as the engine reads it (443 and '443' are one port).
    return JSON.stringify([r.time, r.end, src, ip, r.sport, r.port === undefined ? null : String(r.port), r.protocol, r.bytes, r.host, r.site, r.path]);
  };
  readAzureRecord(json, rec, {
    tuple: (r: FlowRecord, state: TupleState) => out.push(`tuple ${state} ${text(r)}`),
    bad: (reason: string, t: string) => out.push(`bad ${reason} ${t}`),
  }, fast);
  return out;
}

const CELLS: ReadonlyArray<readonly string[]> = [
  ['1767225600', '1767225600123', '', ' 1767225600', '1.5e9', 'x', '0001767225600'],
  ['10.1.0.10', '', '2603:1030::1', '010.1.0.1', '10.1.0.256', '::ffff:10.1.0.1'],
  ['13.107.136.9', '', '52.112.4.5', '13.107.136.09', 'fe80::1'],
  ['50001', '', '0', '050001', 'x', '70000'],
  ['443', '0', '', '0443', ' 443', '65536', 'https'],
  ['T', 'U', 't', 'u', '6', '17', 'tcp', 'ICMP', '', '1', '-'],
  ['O', 'I', ''],
  ['A', 'D', 'B', ''],
  ['B', 'C', 'E', 'D', '', 'X', 'CC', 'NX'],
  ['6', '', 'x'],
  ['250', '', '0', '1e3', '-5', ' 7', '12345678901234567'],
  ['8', ''],
  ['2250', '', '00', '3.5', 'x'],
  ['extra', ''],
];

function tuple(r: () => number): string {
  const n = 5 + Math.floor(r() * 10);
  const cells: string[] = [];
  for (let i = 0; i < n; i++) {
    const opts = CELLS[i]!;
    // Mostly the first spelling (as Azure writes it), so that whole tuples take the fast way too.
    cells.push(r() < 0.7 ? opts[0]! : opts[Math.floor(r() * opts.length)]!);
  }
  return cells.join(',');
}

function record(r: () => number, vnet: boolean): string {
  const tuples = Array.from({ length: 1 + Math.floor(r() * 4) }, () => JSON.stringify(tuple(r)));
  const list = `[${tuples.join(',')}]`;
  const v = r();
  if (vnet) return `{"time":"t","flowRecords":{"flows":[{"aclID":"x","flowGroups":[{"rule":"r","flowTuples":${list}}]}]}}`;
  if (v < 0.05) return `{"time":"t","properties":{"Version":2,"flows":[{"rule":"r","flows":[{"mac":"m","flowTuples":${list}}]}]},"properties":{"flows":[]}}`;
  if (v < 0.1) return `{"time":"t\\u0041","properties":{"flows":[{"flows":[{"flowTuples":${list}}]}]}}`;
  if (v < 0.15) return `{"time":"t","properties":{"flows":[{"flows":[{"flowTuples":${list},}]}]}}`;
  if (v < 0.2) return `{\n  "time": "t",\n  "properties": {\n    "flows": [ { "flows": [ { "flowTuples": [\n ${tuples.join(',\n ')}\n ] } ] } ]\n  }\n}`;
  if (v < 0.25) return `{"time":"t","properties":{"flows":[{"flows":[{"flowTuples":[${tuples.join(',')},7]}]}]}}`;
  if (v < 0.3) return `{"time":"t","n":-0.5e+3,"b":[true,false,null,{}],"properties":{"flows":[{"flows":[{"flowTuples":${list}},"x",[{"flowTuples":${list}}]]},{"flows":{}}]}}`;
  if (v < 0.33) return `{"time":"t","properties":{"flows":[{"flows":[{"flowTuples":${list}}]}]}} x`;
  if (v < 0.36) return `{"time":01,"properties":{"flows":[{"flows":[{"flowTuples":${list}}]}]}}`;
  if (v < 0.39) return `{"time":"a\tb","properties":{"flows":[{"flows":[{"flowTuples":${list}}]}]}}`;
  if (v < 0.42) return `{"flowRecords":null,"properties":{"flows":[{"flows":[{"flowTuples":${list}}]}]}}`;
  return `{"time":"t","category":"NetworkSecurityGroupFlowEvent","properties":{"Version":2,"flows":[{"rule":"r","flows":[{"mac":"m","flowTuples":${list}}]}]}}`;
}

describe('Azure records read in place', () => {
  it('give what JSON.parse and split give, on 3,000 varied records', () => {
    const r = rng(7);
    let fastTuples = 0;
    for (let i = 0; i < 3000; i++) {
      const json = record(r, r() < 0.3);
      const slow = read(json, false);
      expect(read(json, true), json).toEqual(slow);
      fastTuples += slow.filter((l) => l.startsWith('tuple')).length;
    }
    // The comparison covered many good tuples, not only faults.
    expect(fastTuples).toBeGreaterThan(1500);
  });

  it('take a tuple with a control character as the invalid JSON it is', () => {
    const json = '{"properties":{"flows":[{"flows":[{"flowTuples":["1767225600,10.1.0.10,13.107.136.9,50001,443,T,O,A,B,,,\t,"]}]}]}}';
    expect(read(json, true)).toEqual(['bad M365FC_ERR_ANALYZE_BAD_JSON ' + json]);
  });
});

function lines(text: string): LogInput {
  return { name: 'log', path: null, size: null, open: () => Readable.from([Buffer.from(text)]) };
}

describe('the joiner keyed by numbers and by text', () => {
  it('counts an IPv4 log as the same log with IPv4-mapped IPv6 addresses', async () => {
    const classifier = createClassifier(loadBootstrapSnapshot());
    const dst = loadBootstrapSnapshot().sets.flatMap((s) => s.ips).filter((p) => !p.includes(':')).slice(0, 40).map((p) => p.split('/')[0]!);
    const r = rng(3);
    const v4: string[] = [];
    const mapped: string[] = [];
    // Requests and replies, some connections seen twice within the window, some after it, some with a port written '0443'.
    for (let i = 0; i < 3000; i++) {
      const c = `10.0.${i % 200}.${1 + (i % 7)}`;
      const s = dst[Math.floor(r() * dst.length)]!;
      const cp = 1024 + Math.floor(r() * 50);
      const t = 1767225600 + Math.floor(i / 5) * (r() < 0.1 ? 200 : 1);
      const sp = r() < 0.05 ? '0443' : '443';
      const row = (a: string, b: string, pa: number | string, pb: number | string, bytes: number): [string, string] => [
        `2 1 eni-1 ${a} ${b} ${pa} ${pb} 6 1 ${bytes} ${t} ${t + 5} ACCEPT OK`,
        `2 1 eni-1 ${a.startsWith('10.') ? a : `::ffff:${a}`} ${b.startsWith('10.') ? b : `::ffff:${b}`} ${pa} ${pb} 6 1 ${bytes} ${t} ${t + 5} ACCEPT OK`,
      ];
      for (const [x, y] of [row(c, s, cp, sp, 100 + i), row(s, c, sp, cp, 1000 + i)]) {
        v4.push(x);
        mapped.push(y);
      }
    }
    const run = (text: string[]) => analyzeLogs([lines(`${text.join('\n')}\n`)], { classifier, format: 'aws-vpc', now: () => 0, joinCapacity: 500 });
    const a = await run(v4);
    const b = await run(mapped);
    expect(a.records).toBe(6000);
    expect(a.join.joined).toBeGreaterThan(2000);
    expect(b.join.joined).toBe(a.join.joined);
    expect(b.flows).toBe(a.flows);
    expect(b.byCategory).toEqual(a.byCategory);
  });
});
