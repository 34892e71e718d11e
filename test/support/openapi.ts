import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { REPO_ROOT } from './data.js';

/**
 * Validates responses against openapi.yaml with ajv (JSON Schema 2020-12, as OpenAPI 3.1).
 * Independent of src/serve/openapi.ts: the whole document is given to ajv, which resolves the
 * schema $refs itself; only the response-level $ref (not a schema) is followed here.
 */

type Node = { [k: string]: unknown };

export const OPENAPI_TEXT = readFileSync(join(REPO_ROOT, 'openapi.yaml'), 'utf8');
export const OPENAPI = parse(OPENAPI_TEXT) as Node;
const DOC_ID = 'https://m365fc.invalid/openapi.json';

const ajv = new Ajv2020({ strict: false, allErrors: true });
// ISO 8601 date-time as Date.toISOString() writes it (and RFC 3339 in general).
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
ajv.addSchema(OPENAPI, DOC_ID);

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function at(pointer: string): unknown {
  let node: unknown = OPENAPI;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Node)[key] : undefined;
  }
  return node;
}

const cache = new Map<string, ValidateFunction>();

function compilePointer(pointer: string): ValidateFunction {
  let v = cache.get(pointer);
  if (!v) {
    v = ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
    cache.set(pointer, v);
  }
  return v;
}

/** The JSON pointer of the schema of `status` (or `default`) of an operation's response. */
export function responseSchemaPointer(path: string, method: string, status: number | string, contentType = 'application/json'): string {
  const op = `/paths/${escape(path)}/${method.toLowerCase()}/responses`;
  const responses = at(op) as Node | undefined;
  if (!responses) throw new Error(`openapi.yaml: no ${method} ${path}`);
  const key = Object.hasOwn(responses, String(status)) ? String(status) : 'default';
  let ptr = `${op}/${escape(key)}`;
  const node = at(ptr) as Node | undefined;
  if (!node) throw new Error(`openapi.yaml: ${method} ${path} does not document status ${status}`);
  if (typeof node['$ref'] === 'string') ptr = node['$ref'].slice(1);
  ptr = `${ptr}/content/${escape(contentType)}/schema`;
  if (at(ptr) === undefined) throw new Error(`openapi.yaml: ${method} ${path} ${status} has no ${contentType} schema`);
  return ptr;
}

/** Throws with ajv's errors unless `body` matches the documented response of the operation. */
export function expectResponse(path: string, method: string, status: number, body: unknown, contentType = 'application/json'): void {
  const v = compilePointer(responseSchemaPointer(path, method, status, contentType));
  if (!v(body)) {
    throw new Error(`${method} ${path} ${status}: response does not match openapi.yaml: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** Throws unless `value` matches components/schemas/<name>. */
export function expectSchema(name: string, value: unknown): void {
  const v = compilePointer(`/components/schemas/${escape(name)}`);
  if (!v(value)) throw new Error(`${name}: does not match openapi.yaml: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value).slice(0, 500)}`);
}

/** The ErrorCode enum of openapi.yaml. */
export function errorCodeEnum(): string[] {
  return ((OPENAPI['components'] as Node)['schemas'] as Record<string, Node>)['ErrorCode']!['enum'] as string[];
}
