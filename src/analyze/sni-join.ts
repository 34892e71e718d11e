import { detach } from './top-k.js';

/**
 * Zeek's ssl.log joined to conn.log on `uid`: ssl.log is read first and its server names kept
 * by uid; each conn.log record takes its name (and the entry is dropped). At most `capacity`
 * names are held (about 120 bytes each); beyond that the oldest are dropped and counted, and
 * their connections are counted without a name.
 */
export class SniJoin {
  private readonly names = new Map<string, string>();
  matched = 0;
  dropped = 0;

  constructor(readonly capacity = 1_000_000) {}

  add(uid: string, host: string): void {
    if (this.names.size >= this.capacity) {
      const oldest = this.names.keys().next();
      if (oldest.done !== true) this.names.delete(oldest.value);
      this.dropped++;
    }
    this.names.set(detach(uid), detach(host));
  }

  take(uid: string): string | undefined {
    const host = this.names.get(uid);
    if (host !== undefined) {
      this.names.delete(uid);
      this.matched++;
    }
    return host;
  }

  /** Names never taken by a conn.log record. */
  get unmatched(): number {
    return this.names.size;
  }
}
