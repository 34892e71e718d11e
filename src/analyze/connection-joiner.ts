import type { Aggregator } from './aggregate.js';
import { emptyRecord, type FlowRecord } from './flow-record.js';
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
 * connections, about 200 bytes each.
 */

export const JOIN_NONE = 0;
export const JOIN = 1;
/** Join, and this record ends the connection (Azure E, D). */
export const JOIN_END = 2;

export const BAD_IP = 'M365FC_ERR_FLOW_BAD_IP';
const JOINED_TEXT = '(a connection joined from several records)';

interface Open {
  ip: string;
  host: string | undefined;
  port: string | number | undefined;
  protocol: 'tcp' | 'udp' | undefined;
  bytes: number;
  site: string;
  path: string;
  end: number;
  internal: boolean;
  file: string;
  line: number;
}

export interface JoinOptions {
  /** Seconds. */
  window: number;
  capacity: number;
}

export class ConnectionStage {
  /** Records that were added to a connection already open (replies, continuations). */
  joined = 0;
  readonly internalDest = { flows: 0, bytes: 0, examples: [] as string[] };
  private readonly open = new Map<string, Open>();
  private now = -Infinity;
  private pushes = 0;
  private readonly scratch = emptyRecord();

  constructor(
    private readonly agg: Aggregator,
    private readonly nets: InternalNets,
    private readonly opts: JoinOptions,
  ) {}

  /** Turns, joins or counts `rec`; returns why it cannot be counted, else null. */
  push(rec: FlowRecord, join: number, file: string, line: number, window = this.opts.window): string | null {
    if (rec.src === undefined && join === JOIN_NONE) {
      // A log of destinations only (generic CSV): nothing to turn. Microsoft's prefixes hold no
      // internal address, so only a flow that is not Microsoft 365 needs the check (measured: the
      // check on every record cost 7 points of the CSV bench's ratio).
      const err = this.agg.add(rec);
      if (err === null && !this.agg.lastM365 && rec.ip !== undefined && this.nets.isInternal(rec.ip)) this.countInternal(rec.ip, rec.bytes);
      return err;
    }
    let internal = false;
    if (rec.ip !== undefined) {
      // Counted at once, the engine checks the address itself; a joined record needs it valid for its key.
      let dk = join === JOIN_NONE ? (this.nets.isInternal(rec.ip) ? INTERNAL : EXTERNAL) : this.nets.kind(rec.ip);
      if (dk === INVALID) return BAD_IP;
      const port = typeof rec.port === 'number' ? rec.port : Number(rec.port ?? 0) || 0;
      const lowerSport = rec.sport > 0 && port > 0 && rec.sport < port;
      // An external destination stays one unless the source is external too and has the lower
      // port: the common case needs no look at the source (bench: 10% of a CSV log's time).
      if (rec.src !== undefined && (dk === INTERNAL || lowerSport)) {
        const sk = this.nets.kind(rec.src);
        const swap = sk !== INVALID && (sk !== dk ? dk === INTERNAL : lowerSport);
        if (swap) {
          const ip = rec.ip;
          rec.ip = rec.src;
          rec.src = ip;
          rec.port = rec.sport > 0 ? rec.sport : undefined;
          rec.sport = port;
          dk = sk;
        }
      }
      internal = dk === INTERNAL;
    }
    if (join === JOIN_NONE || rec.ip === undefined) {
      const err = this.agg.add(rec);
      if (err === null && internal) this.countInternal(rec.ip!, rec.bytes);
      return err;
    }
    this.joinRecord(rec, join, internal, file, line, window);
    return null;
  }

  private joinRecord(rec: FlowRecord, join: number, internal: boolean, file: string, line: number, window: number): void {
    const key = `${rec.protocol ?? ''} ${rec.src ?? ''} ${rec.sport} ${rec.ip} ${rec.port ?? ''}`;
    const start = rec.time;
    const end = Number.isNaN(rec.end) ? start : rec.end;
    let c = this.open.get(key);
    if (c !== undefined && !(start <= c.end + window) && !Number.isNaN(start)) {
      this.open.delete(key);
      this.emit(c);
      c = undefined;
    }
    if (c === undefined) {
      c = {
        ip: detach(rec.ip!),
        host: rec.host === undefined ? undefined : detach(rec.host),
        port: typeof rec.port === 'string' ? detach(rec.port) : rec.port,
        protocol: rec.protocol,
        bytes: rec.bytes,
        site: detach(rec.site),
        path: detach(rec.path),
        end,
        internal,
        file,
        line,
      };
    } else {
      this.joined++;
      this.open.delete(key);
      c.bytes += rec.bytes;
      if (end > c.end || Number.isNaN(c.end)) c.end = end;
      if (c.host === undefined && rec.host !== undefined) c.host = detach(rec.host);
    }
    if (join === JOIN_END) {
      this.emit(c);
    } else {
      // Re-inserted: the Map's order is the order of last activity, oldest first.
      this.open.set(key, c);
    }
    if (end > this.now) this.now = end;
    // Looking at the oldest costs an iterator: every 256 records is often enough (a connection
    // stays open at most 256 records past its window), and always when the table is full.
    if ((++this.pushes & 255) === 0 || this.open.size > this.opts.capacity) this.expire(window);
  }

  private expire(window: number): void {
    const limit = this.now - window;
    for (const [key, c] of this.open) {
      if (this.open.size <= this.opts.capacity && !(c.end < limit)) break;
      this.open.delete(key);
      this.emit(c);
    }
  }

  private emit(c: Open): void {
    const r = this.scratch;
    r.ip = c.ip;
    r.host = c.host;
    r.port = c.port;
    r.protocol = c.protocol;
    r.bytes = c.bytes;
    r.site = c.site;
    r.path = c.path;
    const err = this.agg.add(r);
    if (err !== null) this.agg.bad(c.file, c.line, err, JOINED_TEXT);
    else if (c.internal) this.countInternal(c.ip, c.bytes);
  }

  private countInternal(ip: string, bytes: number): void {
    const d = this.internalDest;
    d.flows++;
    d.bytes += bytes;
    if (d.examples.length < 5 && !d.examples.includes(ip)) d.examples.push(detach(ip));
  }

  /** Counts every connection still open (the end of the logs). */
  flush(): void {
    for (const c of this.open.values()) this.emit(c);
    this.open.clear();
  }
}

export { EXTERNAL };
