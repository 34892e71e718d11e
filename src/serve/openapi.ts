import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../ingest/bootstrap.js';

/**
 * openapi.yaml is the source of truth: the server reads it at start-up and derives its route
 * schemas from it, so the routes cannot drift from the document they serve.
 */

export type JsonSchema = { [key: string]: unknown };

export interface OpenApiDocument {
  /** The file as written, served at GET /openapi.yaml. */
  readonly text: string;
  readonly doc: JsonSchema;
}

export type HttpMethod = 'get' | 'post';

export function openApiPath(): string {
  return join(packageRoot(), 'openapi.yaml');
}

export function loadOpenApi(path: string = openApiPath()): OpenApiDocument {
  const text = readFileSync(path, 'utf8');
  const doc = parse(text) as unknown;
  if (!isObject(doc) || !isObject(doc['paths']) || !isObject(doc['components'])) {
    throw new Error(`${path}: not an OpenAPI document`);
  }
  return { text, doc };
}

export function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pointer(doc: JsonSchema, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`openapi.yaml: only local $ref is supported, got ${ref}`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) throw new Error(`openapi.yaml: unresolved $ref ${ref}`);
    node = node[key];
  }
  return node;
}

/** A deep copy of `node` with every local `$ref` inlined (our schemas are not recursive). */
export function resolveRefs(doc: JsonSchema, node: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(doc, n, seen));
  if (!isObject(node)) return node;
  const ref = node['$ref'];
  if (typeof ref === 'string') {
    if (seen.includes(ref)) throw new Error(`openapi.yaml: recursive $ref ${ref}`);
    const { $ref: _dropped, ...siblings } = node;
    const target = resolveRefs(doc, pointer(doc, ref), [...seen, ref]);
    // OpenAPI 3.1 allows siblings next to $ref (description mostly); they win.
    return isObject(target) ? { ...target, ...(resolveRefs(doc, siblings, seen) as JsonSchema) } : target;
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) out[k] = resolveRefs(doc, v, seen);
  return out;
}

export function operation(api: OpenApiDocument, path: string, method: HttpMethod): JsonSchema {
  const item = (api.doc['paths'] as JsonSchema)[path];
  const op = isObject(item) ? item[method] : undefined;
  if (!isObject(op)) throw new Error(`openapi.yaml: no ${method.toUpperCase()} ${path}`);
  return op;
}

export function componentSchema(api: OpenApiDocument, name: string): JsonSchema {
  const s = resolveRefs(api.doc, { $ref: `#/components/schemas/${name}` });
  if (!isObject(s)) throw new Error(`openapi.yaml: schema ${name} is not an object`);
  return s;
}

/** The query parameters of an operation as one object schema; unknown parameters are refused. */
export function querySchema(api: OpenApiDocument, path: string, method: HttpMethod): JsonSchema {
  const params = operation(api, path, method)['parameters'];
  const properties: JsonSchema = {};
  const required: string[] = [];
  for (const p of Array.isArray(params) ? params : []) {
    const param = resolveRefs(api.doc, p);
    if (!isObject(param) || param['in'] !== 'query' || typeof param['name'] !== 'string') continue;
    properties[param['name']] = param['schema'] ?? {};
    if (param['required'] === true) required.push(param['name']);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The application/json request body schema of an operation. */
export function bodySchema(api: OpenApiDocument, path: string, method: HttpMethod): JsonSchema {
  const schema = resolveRefs(api.doc, operation(api, path, method)['requestBody']);
  const json = isObject(schema) ? dig(schema, 'content', 'application/json', 'schema') : undefined;
  if (!isObject(json)) throw new Error(`openapi.yaml: ${method.toUpperCase()} ${path} has no JSON body`);
  return json;
}

/** The application/json schema of one response status of an operation, or null. */
export function responseSchema(api: OpenApiDocument, path: string, method: HttpMethod, status: string): JsonSchema | null {
  const responses = operation(api, path, method)['responses'];
  if (!isObject(responses)) return null;
  const resolved = resolveRefs(api.doc, responses[status]);
  const json = isObject(resolved) ? dig(resolved, 'content', 'application/json', 'schema') : undefined;
  return isObject(json) ? json : null;
}

/**
 * A copy of an array schema without its `items`: a batch's items are checked by the engine,
 * which answers a bad flow in place instead of failing the whole batch.
 */
export function withoutItems(schema: JsonSchema, property: string): JsonSchema {
  const props = schema['properties'];
  if (!isObject(props) || !isObject(props[property])) throw new Error(`openapi.yaml: no property ${property}`);
  const { items: _dropped, ...array } = props[property];
  return { ...schema, properties: { ...props, [property]: array } };
}

function dig(node: JsonSchema, ...keys: string[]): unknown {
  let cur: unknown = node;
  for (const k of keys) cur = isObject(cur) ? cur[k] : undefined;
  return cur;
}

/** Every `path method` pair the document declares, e.g. `GET /v1/classify`. */
export function declaredRoutes(api: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(api.doc['paths'] as JsonSchema)) {
    if (!isObject(item)) continue;
    for (const m of Object.keys(item)) if (['get', 'post', 'put', 'delete', 'patch'].includes(m)) out.push(`${m.toUpperCase()} ${path}`);
  }
  return out.sort();
}
