/** The record readers, by kind of line (kept as one import for callers of the first version). */
export { emptyRecord, SKIP, type FlowRecord, type LogFields, type RecordParser } from './flow-record.js';
export { delimitedParser, parseBytes } from './delimited-parser.js';
export { jsonlParser } from './jsonl-parser.js';
