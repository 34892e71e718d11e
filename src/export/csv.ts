import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { CATEGORY_OPTION, SERVICE_AREA_OPTION, filterSets } from './filters.js';

/**
 * The endpoint sets in the layout of the web service's `format=CSV` answer: one header line,
 * one row per set, `urls` and `ips` comma-joined inside one quoted field, booleans `True`/`False`,
 * empty fields for absent values, CRLF line ends (RFC 4180 quoting).
 */

export const CSV_COLUMNS = ['id', 'serviceArea', 'serviceAreaDisplayName', 'urls', 'ips', 'tcpPorts', 'udpPorts', 'expressRoute', 'category', 'required', 'notes'] as const;

export interface CsvOptions {
  readonly category: readonly CategoryName[];
  readonly serviceArea?: readonly string[];
}

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const bool = (b: boolean): string => (b ? 'True' : 'False');

export function renderCsv(view: SnapshotView, options: CsvOptions): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const s of filterSets(view.sets, options)) {
    const cells = [String(s.id), s.serviceArea, s.serviceAreaDisplayName, s.urls.join(','), s.ips.join(','), s.tcpPorts, s.udpPorts, bool(s.expressRoute), s.category, bool(s.required), s.notes ?? ''];
    rows.push(cells.map(field).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}

/** RFC 4180 records (quoted fields, doubled quotes, CRLF or LF line ends). */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      records.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    records.push(row);
  }
  return records;
}

/** The rows of a CSV in this layout, back in the web service's JSON shape (empty fields omitted). */
export function parseEndpointsCsv(text: string): Array<Record<string, unknown>> {
  const [header, ...rows] = parseCsvRecords(text);
  if (header === undefined) return [];
  return rows.map((cells) => {
    const out: Record<string, unknown> = {};
    header.forEach((name, k) => {
      const v = cells[k] ?? '';
      if (name === 'id') out[name] = Number(v);
      else if (name === 'expressRoute' || name === 'required') out[name] = v.toLowerCase() === 'true';
      else if (name === 'urls' || name === 'ips') {
        if (v !== '') out[name] = v.split(',');
      } else if (v !== '') out[name] = v;
    });
    return out;
  });
}

export const csvExporter = defineExporter<CsvOptions>({
  name: 'csv',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/csv; charset=utf-8',
  fileExtension: 'csv',
  version: '1',
  description: "The endpoint sets in the web service's CSV layout.",
  optionsSchema: {
    type: 'object',
    properties: { category: CATEGORY_OPTION, serviceArea: SERVICE_AREA_OPTION },
    additionalProperties: false,
  },
  examples: [{}, { category: 'Optimize,Allow' }],
  render: renderCsv,
});
