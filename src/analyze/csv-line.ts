/**
 * One CSV line into cells (RFC 4180 quoting within a line). Flow logs do not put line breaks
 * inside fields, so a record is one line; an unterminated quote makes the line bad rather than
 * swallowing the lines after it.
 */

/** Splits `line` on `delim`; returns null when a quote is not terminated or text follows a closing quote. */
export function splitCsvLine(line: string, delim: string): string[] | null {
  // Fast path: most flow-log lines have no quotes at all.
  if (line.indexOf('"') < 0) return line.split(delim);
  const cells: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return null;
        cell += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          cell += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      cells.push(cell);
      if (i === n) return cells;
      if (line[i] !== delim) return null;
      i++;
    } else {
      const d = line.indexOf(delim, i);
      if (d < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, d));
      i = d + 1;
    }
  }
}

/**
 * Whether `text` holds `word` at `at`. A loop of char reads: String.prototype.startsWith with a
 * position on a line (a slice of readline's chunk) cost more than slicing the cell out (profile
 * of the CSV bench: its hottest line).
 */
export function holdsAt(text: string, at: number, word: string): boolean {
  const n = word.length;
  if (at + n > text.length) return false;
  for (let i = 0; i < n; i++) if (text.charCodeAt(at + i) !== word.charCodeAt(i)) return false;
  return true;
}

/** The delimiter a header line uses: comma unless the header has tabs or semicolons and no commas. */
export function detectDelimiter(header: string): string {
  if (header.includes(',')) return ',';
  if (header.includes('\t')) return '\t';
  if (header.includes(';')) return ';';
  return ',';
}
