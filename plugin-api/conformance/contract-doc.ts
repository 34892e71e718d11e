import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

type Json = { [key: string]: unknown };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const PACKAGE_NAME = 'm365-flow-classifier';

/** The root of the package this kit ships in (source tree or dist/), or null. */
export function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === PACKAGE_NAME) return dir;
      } catch {
        // an unreadable package.json: keep walking up
      }
    }
    dir = dirname(dir);
  }
  return null;
}

/** The package's own openapi.yaml, the contract vendors implement, or null when not found. */
export function packageOpenApiText(): string | null {
  const root = packageRoot();
  const path = root === null ? null : join(root, 'openapi.yaml');
  return path !== null && existsSync(path) ? readFileSync(path, 'utf8') : null;
}

export function packageVersion(): string {
  const root = packageRoot();
  if (root === null) return 'unknown';
  const v = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown }).version;
  return typeof v === 'string' ? v : 'unknown';
}

// RFC 3339 date-time, as OpenAPI's `format: date-time` means it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 5).map((e) => `${e.instancePath === '' ? '(body)' : e.instancePath} ${e.message ?? e.keyword}`);
}

/**
 * The OpenAPI 3.1 document the target is checked against. Its schemas are JSON Schema 2020-12,
 * so the whole document is added to ajv once and each response is validated by a pointer into it.
 */
export class ContractDoc {
  readonly doc: Json;
  readonly sha256: string;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private static readonly ID = 'm365fc-openapi.json';

  constructor(
    readonly text: string,
    readonly source: 'package' | 'target' | 'given',
  ) {
    const doc = parse(text) as unknown;
    if (!isObject(doc) || !isObject(doc['paths']) || !isObject(doc['components'])) throw new Error('not an OpenAPI document');
    this.doc = doc;
    this.sha256 = createHash('sha256').update(text).digest('hex');
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    this.ajv.addFormat('date-time', DATE_TIME);
    this.ajv.addSchema(doc, ContractDoc.ID);
  }

  get title(): string {
    const info = this.doc['info'];
    return isObject(info) ? `${String(info['title'])} ${String(info['version'])}` : 'untitled';
  }

  /** Every `METHOD /path` the document declares. */
  routes(): Array<{ method: string; path: string }> {
    const out: Array<{ method: string; path: string }> = [];
    for (const [path, item] of Object.entries(this.doc['paths'] as Json)) {
      if (!isObject(item)) continue;
      for (const m of ['get', 'post', 'put', 'delete', 'patch']) if (isObject(item[m])) out.push({ method: m.toUpperCase(), path });
    }
    return out;
  }

  /** True when the operation is marked `x-m365fc-optional`: an implementation may leave it out. */
  isOptional(method: string, path: string): boolean {
    const item = (this.doc['paths'] as Json)[path];
    const op = isObject(item) ? item[method.toLowerCase()] : undefined;
    return isObject(op) && op['x-m365fc-optional'] === true;
  }

  /**
   * The declared path a concrete path answers to (`/v1/export/pac` → `/v1/export/{name}`), or
   * null. Exact paths win over templates.
   */
  matchPath(method: string, concrete: string): string | null {
    const declared = this.routes().filter((r) => r.method === method.toUpperCase());
    if (declared.some((r) => r.path === concrete)) return concrete;
    for (const r of declared) {
      if (!r.path.includes('{')) continue;
      const re = new RegExp(`^${r.path.split(/\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);
      if (re.test(concrete)) return r.path;
    }
    return null;
  }

  /** An example value for each path parameter of a templated route, or null when one has none. */
  pathExample(method: string, path: string): string | null {
    const item = (this.doc['paths'] as Json)[path];
    const op = isObject(item) ? item[method.toLowerCase()] : undefined;
    const params = [...(isObject(item) && Array.isArray(item['parameters']) ? item['parameters'] : []), ...(isObject(op) && Array.isArray(op['parameters']) ? op['parameters'] : [])];
    let out = path;
    for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')) {
      const p = params.map((x) => this.resolve(x).node).find((x) => isObject(x) && x['in'] === 'path' && x['name'] === name);
      const schema = isObject(p) ? this.resolve(p['schema']).node : undefined;
      const examples = isObject(p) && isObject(p['examples']) ? Object.values(p['examples']).map((e) => (isObject(e) ? e['value'] : undefined)) : [];
      const candidates = [isObject(p) ? p['example'] : undefined, ...examples, ...(isObject(schema) && Array.isArray(schema['enum']) ? schema['enum'] : []), isObject(schema) ? schema['example'] : undefined];
      const value = candidates.find((v) => typeof v === 'string' || typeof v === 'number');
      if (value === undefined) return null;
      out = out.replace(`{${name}}`, encodeURIComponent(String(value)));
    }
    return out;
  }

  /** The codes of the ErrorCode schema. */
  errorCodes(): Set<string> {
    const s = (this.doc['components'] as Json)['schemas'];
    const codes = isObject(s) && isObject(s['ErrorCode']) ? s['ErrorCode']['enum'] : undefined;
    return new Set(Array.isArray(codes) ? codes.filter((c): c is string => typeof c === 'string') : []);
  }

  private resolve(node: unknown): { node: unknown; pointer: string | null } {
    if (isObject(node) && typeof node['$ref'] === 'string' && node['$ref'].startsWith('#/')) {
      let cur: unknown = this.doc;
      for (const raw of node['$ref'].slice(2).split('/')) cur = isObject(cur) ? cur[raw.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
      return { node: cur, pointer: node['$ref'] };
    }
    return { node, pointer: null };
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.validators.get(pointer);
    if (v === undefined) {
      v = this.ajv.compile({ $ref: `${ContractDoc.ID}${pointer}` });
      this.validators.set(pointer, v);
    }
    return v;
  }

  /** Validates a value against a component schema. Returns the problems (empty when valid). */
  validateSchema(name: string, value: unknown): string[] {
    const v = this.validator(`#/components/schemas/${escapePointer(name)}`);
    return v(value) ? [] : formatErrors(v.errors);
  }

  /**
   * Validates one answer against the response the document declares for its route and status
   * (or `default`). Returns the problems; an undeclared status is one.
   */
  validateResponse(method: string, path: string, status: number, contentType: string, body: unknown): string[] {
    const item = (this.doc['paths'] as Json)[path];
    const op = isObject(item) ? item[method.toLowerCase()] : undefined;
    if (!isObject(op) || !isObject(op['responses'])) return [`${method} ${path} is not in the document`];
    const responses = op['responses'];
    const key = String(status) in responses ? String(status) : 'default' in responses ? 'default' : null;
    if (key === null) return [`status ${status} is not documented for ${method} ${path}`];
    const { node, pointer } = this.resolve(responses[key]);
    const base = pointer ?? `#/paths/${escapePointer(path)}/${method.toLowerCase()}/responses/${escapePointer(key)}`;
    const content = isObject(node) ? node['content'] : undefined;
    if (!isObject(content)) return [];
    if (!isObject(content['application/json'])) {
      const declared = Object.keys(content);
      return declared.some((t) => contentType.startsWith(t)) || declared.length === 0 ? [] : [`content type "${contentType}" is not one of ${declared.join(', ')}`];
    }
    if (!contentType.includes('json')) return [`content type "${contentType}" is not application/json`];
    if (body === undefined) return ['the body is not JSON'];
    const v = this.validator(`${base}/content/application~1json/schema`);
    return v(body) ? [] : formatErrors(v.errors);
  }
}
