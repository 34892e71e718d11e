import type { FollowLogger } from '../../src/follow/follower.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

/** A logger that keeps its lines, so a test can wait for one instead of sleeping. */
export class LogLines implements FollowLogger {
  readonly lines: LogLine[] = [];
  private waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];

  debug(obj: object, msg: string): void {
    this.add('debug', obj, msg);
  }
  info(obj: object, msg: string): void {
    this.add('info', obj, msg);
  }
  warn(obj: object, msg: string): void {
    this.add('warn', obj, msg);
  }
  error(obj: object, msg: string): void {
    this.add('error', obj, msg);
  }

  /** The first line (already logged or still to come) that `pred` accepts. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such log line in ${timeoutMs} ms; got ${JSON.stringify(this.lines.map((l) => l.msg))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  withCode(code: string): LogLine[] {
    return this.lines.filter((l) => l.obj['code'] === code);
  }

  private add(level: LogLine['level'], obj: object, msg: string): void {
    const line: LogLine = { level, obj: obj as Record<string, unknown>, msg };
    this.lines.push(line);
    const hit = this.waiters.filter((w) => w.pred(line));
    this.waiters = this.waiters.filter((w) => !w.pred(line));
    for (const w of hit) w.resolve(line);
  }
}
