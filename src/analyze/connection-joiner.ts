import { formatIPv4, parseIPv4 } from '../core/addresses.js';
import type { Aggregator } from './aggregate.js';
import { ConnectionTable } from './connection-table.js';
import { destText, emptyRecord, hasDest, hasSource, NOT_PARSED, resolveSource, sourceText, type FlowRecord } from './flow-record.js';
import { EXTERNAL, INTERNAL, INVALID, type InternalNets } from './internal-nets.js';
import { detach } from './top-k.js';

/**
 * Records into connections. Every record is first turned so that its destination is the
 * Microsoft side: of two endpoints, the one outside `--internal`; of two inside or two outside,
 * the one with the lower port (the server's). Records of formats that log one record per
 * direction (VPC, nfdump) or a connection in several tuples (Azure's B/C/E) are then joined on
 * that turned 5-tuple: a record whose start is within `window` seconds of the connection's last
 * record adds its bytes to it, and the connection is counted once when it ends (E), falls out
 * of the window, or the table is full (oldest first). Memory: at most `capacity` open
 * connections, about 100 bytes each (connection-table.ts).
 */

export const JOIN_NONE = 0;
export const JOIN = 1;
/** Join, and this record ends the connection (Azure E, D). */
export const JOIN_END = 2;

export const BAD_IP = 'M365FC_ERR_FLOW_BAD_IP';
const JOINED_TEXT = '(a connection joined from several records)';

export interface JoinOptions {
  /** Seconds. */
  window: number;
  capacity: number;
}

export class ConnectionStage {
  /** Records that were added to a connection already open (replies, continuations). */
  joined = 0;
  readonly internalDest = { flows: 0, bytes: 0, examples: [] as string[] };
  private readonly open: ConnectionTable;
  private now = -Infinity;
  private pushes = 0;
  private readonly scratch = emptyRecord();

  constructor(
    private readonly agg: Aggregator,
    private readonly nets: InternalNets,
    private readonly opts: JoinOptions,
  ) {
    // One slot more than the capacity is briefly used before the oldest is counted, one for an E that opens and closes.
    this.open = new ConnectionTable(opts.capacity + 2);
  }

  /** The kind of the record's destination, parsing it once (kept in rec.ip4 for the join key). */
  private destKind(rec: FlowRecord): number {
    if (rec.ip4 === NOT_PARSED) rec.ip4 = parseIPv4(rec.ip!);
    return rec.ip4 >= 0 ? this.nets.kindV4(rec.ip4) : this.nets.kind(rec.ip!);
  }

  /** Turns, joins or counts `rec`; returns why it cannot be counted, else null. */
  push(rec: FlowRecord, join: number, file: string, line: number, window = this.opts.window): string | null {
    const src = hasSource(rec);
    if (!src && join === JOIN_NONE) {
      // A log of destinations only (generic CSV): nothing to turn. Microsoft's prefixes hold no
      // internal address, so only a flow that is not Microsoft 365 needs the check (measured: the
      // check on every record cost 7 points of the CSV bench's ratio).
      const err = this.agg.add(rec);
      if (err === null && !this.agg.lastM365 && hasDest(rec) && this.destKind(rec) === INTERNAL) this.countInternal(destText(rec)!, rec.bytes);
      return err;
    }
    let internal = false;
    if (hasDest(rec)) {
      // The engine checks the address itself; INVALID matters only to a joined record (its key).
      // Counted at once, a text address is told external by its first octet where it can be
      // (no parse: the engine parses it anyway); INVALID then reads as external, as the engine decides.
      let dk = join === JOIN_NONE && rec.ip4 === NOT_PARSED ? (this.nets.isInternal(rec.ip!) ? INTERNAL : EXTERNAL) : this.destKind(rec);
      if (dk === INVALID) {
        if (join !== JOIN_NONE) return BAD_IP;
        dk = EXTERNAL;
      }
      const port = typeof rec.port === 'number' ? rec.port : Number(rec.port ?? 0) || 0;
      const lowerSport = rec.sport > 0 && port > 0 && rec.sport < port;
      // An external destination stays one unless the source is external too and has the lower
      // port: the common case needs no look at the source (bench: 10% of a CSV log's time).
      if (src && (dk === INTERNAL || lowerSport)) {
        resolveSource(rec);
        let sk: number;
        if (rec.src4 >= 0) sk = this.nets.kindV4(rec.src4);
        else {
          if (rec.src4 === NOT_PARSED) rec.src4 = parseIPv4(rec.src!);
          sk = rec.src4 >= 0 ? this.nets.kindV4(rec.src4) : this.nets.kind(rec.src!);
        }
        const swap = sk !== INVALID && (sk !== dk ? dk === INTERNAL : lowerSport);
        if (swap) {
          // Addresses parsed in place stay numbers: a joined record needs no text of them.
          const ip = rec.ip;
          const ip4 = rec.ip4;
          rec.ip = rec.src;
          rec.ip4 = rec.src4;
          rec.src = ip;
          rec.src4 = ip4;
          rec.port = rec.sport > 0 ? rec.sport : undefined;
          rec.sport = port;
          dk = sk;
        }
      }
      internal = dk === INTERNAL;
    }
    if (join === JOIN_NONE || !hasDest(rec)) {
      // The text of an address parsed in place is made only when it is shown.
      const err = this.agg.add(rec);
      if (err === null && internal) this.countInternal(destText(rec)!, rec.bytes);
      return err;
    }
    this.joinRecord(rec, join, internal, file, line, window);
    return null;
  }

  /** The slot of the record's connection, or NIL; `add` opens one when there is none. */
  private slotOf(rec: FlowRecord, add: boolean): number {
    const t = this.open;
    const meta = (rec.protocol === 'tcp' ? 1 : rec.protocol === 'udp' ? 2 : 0) | (hasSource(rec) ? 4 : 0);
    const port = portNumber(rec.port);
    const sport = rec.sport;
    resolveSource(rec);
    if (rec.src4 === NOT_PARSED && rec.src !== undefined) rec.src4 = parseIPv4(rec.src);
    // The numeric key stands for exactly the text key below: strict IPv4 and ports have one spelling each.
    if (rec.ip4 >= 0 && (rec.src4 >= 0 || (meta & 4) === 0) && port >= 0 && sport >= 0 && sport <= 0xffff && Number.isInteger(sport)) {
      const src4 = rec.src4 >= 0 ? rec.src4 : 0;
      const ports = ((sport << 16) | port) >>> 0;
      const s = t.findV4(meta, src4, rec.ip4, ports);
      return s >= 0 || !add ? s : t.addV4(meta, src4, rec.ip4, ports);
    }
    const key = `${rec.protocol ?? ''} ${sourceText(rec) ?? ''} ${rec.sport} ${destText(rec)} ${rec.port ?? ''}`;
    const s = t.findText(key);
    if (s >= 0 || !add) return s;
    const n = t.addText(detach(key));
    t.ip[n] = detach(rec.ip!);
    return n;
  }

  private joinRecord(rec: FlowRecord, join: number, internal: boolean, file: string, line: number, window: number): void {
    const t = this.open;
    const start = rec.time;
    const end = Number.isNaN(rec.end) ? start : rec.end;
    let c = this.slotOf(rec, false);
    if (c >= 0 && !(start <= t.end[c]! + window) && !Number.isNaN(start)) {
      this.emit(c);
      t.remove(c);
      c = -1;
    }
    if (c < 0) {
      c = this.slotOf(rec, true);
      t.host[c] = rec.host === undefined ? undefined : detach(rec.host);
      t.port[c] = typeof rec.port === 'string' ? detach(rec.port) : rec.port;
      t.protocol[c] = rec.protocol;
      t.bytes[c] = rec.bytes;
      t.site[c] = rec.site.length === 0 ? '' : detach(rec.site);
      t.path[c] = rec.path.length === 0 ? '' : detach(rec.path);
      t.end[c] = end;
      t.internal[c] = internal ? 1 : 0;
      t.file[c] = file;
      t.line[c] = line;
    } else {
      this.joined++;
      t.bytes[c] = t.bytes[c]! + rec.bytes;
      if (end > t.end[c]! || Number.isNaN(t.end[c]!)) t.end[c] = end;
      if (t.host[c] === undefined && rec.host !== undefined) t.host[c] = detach(rec.host);
      // The order of last activity, oldest first.
      t.touch(c);
    }
    if (join === JOIN_END) {
      this.emit(c);
      t.remove(c);
    }
    if (end > this.now) this.now = end;
    // Looking at the oldest every 256 records is often enough (a connection stays open at most
    // 256 records past its window), and always when the table is full.
    if ((++this.pushes & 255) === 0 || t.size > this.opts.capacity) this.expire(window);
  }

  private expire(window: number): void {
    const t = this.open;
    const limit = this.now - window;
    while (t.head >= 0) {
      const c = t.head;
      if (t.size <= this.opts.capacity && !(t.end[c]! < limit)) break;
      this.emit(c);
      t.remove(c);
    }
  }

  private emit(c: number): void {
    const t = this.open;
    const r = this.scratch;
    const d4 = t.dst4(c);
    const ip = d4 >= 0 ? formatIPv4(d4) : t.ip[c]!;
    r.ip = ip;
    r.host = t.host[c];
    r.port = t.port[c];
    r.protocol = t.protocol[c];
    r.bytes = t.bytes[c]!;
    r.site = t.site[c]!;
    r.path = t.path[c]!;
    const err = this.agg.add(r);
    if (err !== null) this.agg.bad(t.file[c]!, t.line[c]!, err, JOINED_TEXT);
    else if (t.internal[c] === 1) this.countInternal(ip, r.bytes);
  }

  private countInternal(ip: string, bytes: number): void {
    const d = this.internalDest;
    d.flows++;
    d.bytes += bytes;
    if (d.examples.length < 5 && !d.examples.includes(ip)) d.examples.push(detach(ip));
  }

  /** Counts every connection still open (the end of the logs). */
  flush(): void {
    const t = this.open;
    while (t.head >= 0) {
      const c = t.head;
      this.emit(c);
      t.remove(c);
    }
  }
}

/** A port as one number (0 for none), -1 when its text is not the one spelling of a port number. */
function portNumber(p: string | number | undefined): number {
  if (p === undefined) return 0;
  const n = typeof p === 'number' ? p : Number(p);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) return -1;
  return typeof p === 'number' || String(n) === p ? n : -1;
}

export { EXTERNAL };
