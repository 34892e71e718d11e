import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Large flow logs in each format for the format bench: seeded, so the same on every run.
 * Connections from 4,096 internal clients to a mix of Microsoft 365 addresses (from the
 * bootstrap data's prefixes) and others, each written as the format writes it: two records per
 * connection (aws-vpc, nfdump), one (zeek-conn, panos-traffic), three tuples B, C, E (azure-nsg,
 * one record per line of the document, as a baseline can split it).
 */

export const BENCH_FORMATS = ['aws-vpc', 'nfdump', 'zeek-conn', 'panos-traffic', 'azure-nsg'] as const;
export type BenchFormat = (typeof BENCH_FORMATS)[number];

/** Bytes per connection as written, measured on this generator (for sizing from --size). */
export const BYTES_PER_CONNECTION: Readonly<Record<BenchFormat, number>> = { 'aws-vpc': 206, nfdump: 390, 'zeek-conn': 150, 'panos-traffic': 330, 'azure-nsg': 170 };
/** Lines per connection, and lines that are no record (headers, trailers). */
export const RECORDS_PER_CONNECTION: Readonly<Record<BenchFormat, number>> = { 'aws-vpc': 2, nfdump: 2, 'zeek-conn': 1, 'panos-traffic': 1, 'azure-nsg': 3 };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Addresses inside IPv4 prefixes of the data (a few hundred), and others. */
function destinations(prefixes: readonly string[], r: () => number): string[] {
  const out: string[] = [];
  for (const p of prefixes) {
    const [a, len] = p.split('/');
    if (a === undefined || a.includes(':') || Number(len) < 16) continue;
    const o = a.split('.').map(Number);
    out.push(`${o[0]}.${o[1]}.${o[2]! + (Number(len) < 24 ? Math.floor(r() * 2) : 0)}.${1 + Math.floor(r() * 200)}`);
  }
  const m365 = out.length;
  for (let i = 0; i < m365; i++) out.push(`${93 + (i % 60)}.${(i * 7) % 256}.${(i * 13) % 256}.${1 + (i % 250)}`);
  return out;
}

export async function writeFormatLog(path: string, format: BenchFormat, prefixes: readonly string[], connections: number): Promise<number> {
  const r = rng(12);
  const dst = destinations(prefixes, r);
  const out = createWriteStream(path);
  let buf: string[] = [];
  const flush = async (): Promise<void> => {
    if (!out.write(buf.join(''))) await once(out, 'drain');
    buf = [];
  };
  const T = 1767225600;
  if (format === 'nfdump') buf.push('ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr\n');
  if (format === 'zeek-conn') buf.push('#separator \\x09\n#unset_field\t-\n#empty_field\t(empty)\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n');
  if (format === 'azure-nsg') buf.push('{"records":[\n');
  const nfRest = ',0,0,0,0,0,0,0,0,0,0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0,0,0,10.0.0.1,0/0,0,1970-01-01 00:00:00.000';
  const day = (t: number): string => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
  let written = 0;
  for (let i = 0; i < connections; i++) {
    const t = T + Math.floor(i / 50);
    const c = `10.${(i >> 8) & 15}.${i & 255}.${1 + (i % 200)}`;
    const cp = 1024 + (i % 60000);
    const s = dst[Math.floor(r() * dst.length)]!;
    const udp = r() < 0.1;
    const sp = udp ? 3479 : 443;
    const o = 200 + Math.floor(r() * 5000);
    const b = 500 + Math.floor(r() * 50000);
    if (format === 'aws-vpc') {
      buf.push(`2 123456789010 eni-0a1b2c3d4e5f60001 ${c} ${s} ${cp} ${sp} ${udp ? 17 : 6} 10 ${o} ${t} ${t + 50} ACCEPT OK\n`);
      buf.push(`2 123456789010 eni-0a1b2c3d4e5f60001 ${s} ${c} ${sp} ${cp} ${udp ? 17 : 6} 12 ${b} ${t} ${t + 50} ACCEPT OK\n`);
    } else if (format === 'nfdump') {
      buf.push(`${day(t)}.120,${day(t + 40)}.480,40.360,${c},${s},${cp},${sp},${udp ? 'UDP' : 'TCP'},.AP.SF,0,0,10,${o}${nfRest}\n`);
      buf.push(`${day(t)}.130,${day(t + 40)}.470,40.340,${s},${c},${sp},${cp},${udp ? 'UDP' : 'TCP'},.AP.SF,0,0,12,${b}${nfRest}\n`);
    } else if (format === 'zeek-conn') {
      buf.push(`${t}.${100000 + (i % 800000)}\tC${i.toString(36).padStart(17, 'x')}\t${c}\t${cp}\t${s}\t${sp}\t${udp ? 'udp' : 'tcp'}\tssl\t40.5\t${o}\t${b}\tSF\n`);
    } else if (format === 'panos-traffic') {
      buf.push(`1,2026/01/01 00:00:00,013201001234,TRAFFIC,end,2561,2026/01/01 00:00:00,${c},${s},203.0.113.10,${s},allow-o365,,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-all,2026/01/01 00:00:00,${i},1,${cp},${sp},${cp},${sp},0x400053,${udp ? 'udp' : 'tcp'},allow,${o + b},${o},${b},22,2026/01/01 00:00:00,40,computer-and-internet-info,0,${i},0x0,10.0.0.0-10.255.255.255,United States,0,10,12,tcp-fin\n`);
    } else {
      const p = udp ? 'U' : 'T';
      const rec = (state: string, dt: number, counts: string): string => `"${t + dt},${c},${s},${cp},${sp},${p},O,A,${state},${counts}"`;
      const first = i === 0 ? '' : ',';
      buf.push(`${first}{"time":"2026-01-01T00:00:00Z","category":"NetworkSecurityGroupFlowEvent","properties":{"Version":2,"flows":[{"rule":"DefaultRule_AllowInternetOutBound","flows":[{"mac":"000D3AF87856","flowTuples":[${rec('B', 0, ',,,')},${rec('C', 60, `6,${o >> 1},8,${b >> 1}`)},${rec('E', 120, `4,${o - (o >> 1)},4,${b - (b >> 1)}`)}]}]}]}}\n`);
    }
    written++;
    if (buf.length >= 4096) await flush();
  }
  if (format === 'nfdump') buf.push(`Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n${connections * 2},0,0,0,0,0\n`);
  if (format === 'azure-nsg') buf.push(']}\n');
  await flush();
  out.end();
  await once(out, 'finish');
  return written;
}
