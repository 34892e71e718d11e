import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import type { Classifier } from '../../src/index.js';
import { ERROR_NUMBERS } from '../../src/core/errors.js';
import type { RunningServer } from '../../src/serve/server.js';
import type { Flow, Precedence } from '../../src/core/types.js';
import { decodeFrame, encodeRecords, encodeRequest, expectedRecord, type AnswerRecord, type WireRecord } from '../support/binary-codec.js';
import { TcpFrameClient, WsFrameClient } from '../support/binary-clients.js';
import { binaryTestFlows } from '../support/binary-flows.js';
import { realResponsePath, type RealResponse } from '../support/data.js';
import { oracleFlow } from '../support/flow-gen.js';
import { Oracle } from '../support/oracle.js';
import { startTestServer } from './helpers.js';

/**
 * The binary protocol end to end, on both transports (a binary WebSocket message on /v1/stream
 * and the --binary-port TCP listener): every answer equal to the oracle's and the engine's on
 * real data, frame-level errors answered by one error frame each, per-record errors in place.
 */

const CASES: ReadonlyArray<{ data: RealResponse; precedence: Precedence; seed: number }> = [
  { data: 'worldwide-commit20200531.json', precedence: 'specific-first', seed: 1301 },
  { data: 'worldwide-commit20190109.json', precedence: 'category-first', seed: 1302 },
];
const FLOWS = 6000;
const FRAME = 500;

type Client = TcpFrameClient | WsFrameClient;

async function answersOver(client: Client, flows: readonly Flow[]): Promise<AnswerRecord[]> {
  const frames: Buffer[] = [];
  for (let i = 0; i < flows.length; i += FRAME) frames.push(encodeRequest(1000 + i, flows.slice(i, i + FRAME)));
  // All frames sent before any answer is read: answers must come back in order.
  for (const f of frames) client.send(f);
  const out: AnswerRecord[] = [];
  for (let k = 0; k < frames.length; k++) {
    const a = decodeFrame(await client.next());
    expect(a.kind).toBe(2);
    expect(a.requestId).toBe(1000 + k * FRAME);
    out.push(...a.records!);
  }
  return out;
}

describe.each(CASES)('agreement with the oracle on $data ($precedence)', ({ data, precedence, seed }) => {
  let server: RunningServer;
  let engine: Classifier;
  let flows: Flow[];
  let oracleRecords: AnswerRecord[];

  beforeAll(async () => {
    server = await startTestServer(['--data', realResponsePath(data), '--precedence', precedence, '--binary-port', '0']);
    engine = server.liveIndex.current!;
    flows = binaryTestFlows(engine.snapshot.sets, seed, FLOWS);
    const oracle = new Oracle(engine.snapshot.sets);
    oracleRecords = flows.map((f) => expectedRecord(oracle.classify(oracleFlow(f), { precedence, version: engine.version }).result, ERROR_NUMBERS));
  }, 120_000);
  afterAll(() => server.close());

  it('draws flows of every kind', () => {
    const kinds = new Set(flows.map((f) => `${f.ip === undefined ? '' : f.ip.includes(':') ? (f.ip.toLowerCase().includes('ffff:') ? 'mapped' : 'v6') : 'v4'}/${f.host === undefined ? '' : 'host'}`));
    for (const k of ['v4/', 'v6/', 'mapped/', '/host', 'v4/host', 'v6/host']) expect(kinds, k).toContain(k);
    const by = new Set(oracleRecords.map((r) => r.matchedBy));
    expect([...by].sort()).toEqual([0, 1, 2, 3]);
  });

  for (const transport of ['tcp', 'websocket'] as const) {
    it(`answers every flow as the oracle and the engine do, over ${transport}`, async () => {
      const client = transport === 'tcp' ? await TcpFrameClient.open(server.binaryPort!) : await WsFrameClient.open(server.url);
      try {
        const got = await answersOver(client, flows);
        expect(got.length).toBe(flows.length);
        const wrong: string[] = [];
        got.forEach((r, i) => {
          const fromEngine = expectedRecord(engine.classify(flows[i]!), ERROR_NUMBERS);
          if (JSON.stringify(r) !== JSON.stringify(oracleRecords[i]) || JSON.stringify(r) !== JSON.stringify(fromEngine)) {
            if (wrong.length < 10) wrong.push(`${JSON.stringify(flows[i])}: got ${JSON.stringify(r)}, oracle ${JSON.stringify(oracleRecords[i])}`);
          }
        });
        expect(wrong).toEqual([]);
      } finally {
        await client.close();
      }
    });
  }
});

describe('frames and records that are wrong', () => {
  let server: RunningServer;
  let engine: Classifier;
  beforeAll(async () => {
    server = await startTestServer(['--binary-port', '0', '--message-limit', String(256 * 1024)]);
    engine = server.liveIndex.current!;
  });
  afterAll(() => server.close());

  const good = encodeRequest(77, [{ ip: '40.96.0.1', port: 443, protocol: 'tcp' }]);
  const n = (code: string): number => ERROR_NUMBERS.get(code as never)!;
  const withByte = (b: Buffer, at: number, v: number): Buffer => {
    const c = Buffer.from(b);
    c[at] = v;
    return c;
  };
  const hostRecord: WireRecord = { family: 0, protocol: 0, port: 0, address: new Uint8Array(0), host: 'outlook.office365.com' };
  const longHost = encodeRecords(9, [hostRecord]);
  longHost[12 + 20] = 254;
  const bigCount = Buffer.from(good);
  bigCount.writeUInt32BE(10_001, 8);
  const BAD: ReadonlyArray<{ name: string; frame: Buffer; code: string; id: number }> = [
    { name: 'bad magic', frame: withByte(good, 0, 0x4e), code: 'M365FC_ERR_BINARY_BAD_MAGIC', id: 77 },
    { name: 'unknown version', frame: withByte(good, 2, 2), code: 'M365FC_ERR_BINARY_BAD_VERSION', id: 77 },
    { name: 'an answer kind from a client', frame: withByte(good, 3, 2), code: 'M365FC_ERR_BINARY_BAD_KIND', id: 77 },
    { name: 'three bytes', frame: good.subarray(0, 3), code: 'M365FC_ERR_BINARY_TRUNCATED', id: 0 },
    { name: 'a header cut short', frame: good.subarray(0, 10), code: 'M365FC_ERR_BINARY_TRUNCATED', id: 77 },
    { name: 'a record cut short', frame: good.subarray(0, good.length - 1), code: 'M365FC_ERR_BINARY_TRUNCATED', id: 77 },
    { name: 'bytes after the last record', frame: Buffer.concat([good, Buffer.from([0])]), code: 'M365FC_ERR_BINARY_TRUNCATED', id: 77 },
    { name: 'more records than the limit', frame: bigCount, code: 'M365FC_ERR_BINARY_TOO_MANY_RECORDS', id: 77 },
    { name: 'a host length over 253', frame: longHost, code: 'M365FC_ERR_BINARY_HOST_TOO_LONG', id: 9 },
  ];

  for (const transport of ['tcp', 'websocket'] as const) {
    it(`answers each bad frame with one error frame and stays usable, over ${transport}`, async () => {
      const client = transport === 'tcp' ? await TcpFrameClient.open(server.binaryPort!) : await WsFrameClient.open(server.url);
      try {
        for (const b of BAD) {
          const e = decodeFrame(await client.request(b.frame));
          expect({ name: b.name, ...e }).toEqual({ name: b.name, kind: 3, requestId: b.id, error: n(b.code) });
          const ok = decodeFrame(await client.request(good));
          expect(ok.kind, `after ${b.name}`).toBe(2);
          expect(ok.records).toEqual([expectedRecord(engine.classify({ ip: '40.96.0.1', port: 443, protocol: 'tcp' }), ERROR_NUMBERS)]);
        }
        if (client instanceof WsFrameClient) expect(client.texts).toBe(0);
      } finally {
        await client.close();
      }
    });
  }

  it('answers invalid records in place with their error numbers', async () => {
    const v4 = Uint8Array.from([40, 96, 0, 1]);
    const none = new Uint8Array(0);
    const records: Array<{ r: WireRecord; want: string | null }> = [
      { r: { family: 4, protocol: 6, port: 443, address: v4, host: '' }, want: null },
      { r: { family: 4, protocol: 1, port: 443, address: v4, host: '' }, want: 'M365FC_ERR_FLOW_BAD_PROTOCOL' },
      { r: { family: 5, protocol: 6, port: 443, address: v4, host: '' }, want: 'M365FC_ERR_FLOW_BAD_IP' },
      { r: { family: 0, protocol: 6, port: 443, address: none, host: '' }, want: 'M365FC_ERR_FLOW_NO_TARGET' },
      { r: { family: 0, protocol: 0, port: 0, address: none, host: 'bad host!' }, want: 'M365FC_ERR_FLOW_BAD_HOST' },
      { r: { family: 0, protocol: 0, port: 0, address: none, host: 'outlook.com:443' }, want: 'M365FC_ERR_FLOW_HOST_HAS_PORT' },
      { r: { family: 0, protocol: 0, port: 0, address: none, host: '10.1.2.3' }, want: 'M365FC_ERR_FLOW_HOST_IS_IP' },
      { r: { family: 0, protocol: 0, port: 0, address: none, host: 'caf\xe9.example.com' }, want: 'M365FC_ERR_FLOW_BAD_HOST' },
      { r: { family: 0, protocol: 0, port: 0, address: none, host: 'OUTLOOK.office365.com.' }, want: null },
    ];
    const client = await TcpFrameClient.open(server.binaryPort!);
    try {
      const a = decodeFrame(await client.request(encodeRecords(5, records.map((x) => x.r))));
      expect(a.records!.length).toBe(records.length);
      records.forEach(({ want }, i) => {
        const got = a.records![i]!;
        if (want === null) expect(got.status, `record ${i}`).toBe(1);
        else expect(got, `record ${i}`).toEqual({ status: 2, category: 0, matchedBy: 0, flags: 0, setId: 0, error: n(want) });
      });
    } finally {
      await client.close();
    }
  });

  it('closes a TCP connection after a frame over the message limit, with an error frame', async () => {
    const client = await TcpFrameClient.open(server.binaryPort!);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(256 * 1024 + 1);
    client.socket.write(len);
    expect(decodeFrame(await client.next())).toEqual({ kind: 3, requestId: 0, error: n('M365FC_ERR_BINARY_FRAME_TOO_LARGE') });
    await client.closed;
  });

  it('counts binary flows and frames in /metrics', async () => {
    const pool = new Pool(server.url);
    try {
      const res = await pool.request({ method: 'GET', path: '/metrics' });
      const text = await res.body.text();
      expect(text).toMatch(/m365fc_lookups_total\{route="binary",category="Optimize"\} [1-9]/);
      expect(text).toMatch(/m365fc_binary_frames_total\{transport="tcp",answer="error"\} [1-9]/);
      expect(text).toMatch(/m365fc_binary_frames_total\{transport="websocket",answer="answer"\} [1-9]/);
      expect(text).toMatch(/m365fc_errors_total\{code="M365FC_ERR_BINARY_BAD_MAGIC"\} 2/);
    } finally {
      await pool.close();
    }
  });
});
