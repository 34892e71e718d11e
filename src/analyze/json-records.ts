/**
 * Splits a JSON document of the shape `{"records": [ {...}, {...} ]}` (or a bare array of
 * records) into the text of each record, fed piece by piece: memory holds one record, never the
 * document. Azure writes a flow-log blob as one such document, often on a single line.
 */
export class JsonRecordSplitter {
  private depth = 0;
  /** Depth at which a record object opens: 2 inside {"records": [...]}, 1 inside a bare array. */
  private recordDepth = 2;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];
  private capturing = false;

  constructor(private readonly onRecord: (json: string) => void) {}

  feed(text: string): void {
    let from = -1;
    if (this.capturing) from = 0;
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        // Most of a record is inside strings (the tuples): jump to the next quote, and count the
        // backslashes before it to tell an escaped one (a run never reaches back before i).
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        const q = text.indexOf('"', i);
        const stop = q < 0 ? n : q;
        let k = stop;
        while (k > i && text.charCodeAt(k - 1) === 92 /* \ */) k--;
        const odd = ((stop - k) & 1) === 1;
        if (q < 0) {
          // The piece ends inside the string, perhaps on an escape.
          this.escaped = odd;
          break;
        }
        if (!odd) this.inString = false;
        i = q + 1;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 34) {
        this.inString = true;
      } else if (c === 123 /* { */ || c === 91 /* [ */) {
        if (this.depth === 0) this.recordDepth = c === 91 ? 1 : 2;
        if (c === 123 && this.depth === this.recordDepth) {
          this.capturing = true;
          from = i;
        }
        this.depth++;
      } else if (c === 125 /* } */ || c === 93 /* ] */) {
        this.depth--;
        if (this.capturing && this.depth === this.recordDepth) {
          this.parts.push(text.slice(from, i + 1));
          const json = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
          this.parts = [];
          this.capturing = false;
          from = -1;
          this.onRecord(json);
        }
        if (this.depth < 0) this.depth = 0;
      }
      i++;
    }
    if (this.capturing && from >= 0) this.parts.push(text.slice(from));
  }

  /** True when the input ended inside a record (a truncated document). */
  get incomplete(): boolean {
    return this.capturing || this.depth > 0;
  }
}
