#!/usr/bin/env node
// Generates plugin-api/types.ts (the wire types vendors import) from openapi.yaml's
// components.schemas. `--check` writes nothing and exits 1 when the file is stale
// (test/unit/plugin-api/plugin-types.test.ts runs it). Plain JavaScript so that it runs without a build.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './generated-file.mjs';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = join(root, 'openapi.yaml');
const OUT = join(root, 'plugin-api', 'types.ts');

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function refName(ref) {
  const prefix = '#/components/schemas/';
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(prefix.length);
}

function doc(text, indent) {
  if (typeof text !== 'string' || text.trim() === '') return '';
  const lines = text.trim().replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} *${l.trim() === '' ? '' : ` ${l.trimEnd()}`}`).join('\n')}\n${indent} */\n`;
}

function union(parts) {
  const uniq = [...new Set(parts)];
  return uniq.length === 1 ? uniq[0] : uniq.map((p) => (p.includes(' & ') ? `(${p})` : p)).join(' | ');
}

function objectType(schema, indent) {
  const props = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const inner = `${indent}  `;
  const lines = Object.entries(props).map(([name, s]) => {
    const key = IDENT.test(name) ? name : JSON.stringify(name);
    return `${doc(s.description, inner)}${inner}${key}${required.has(name) ? '' : '?'}: ${tsType(s, inner)};`;
  });
  if (isObject(schema.additionalProperties)) lines.push(`${inner}[key: string]: ${tsType(schema.additionalProperties, inner)};`);
  if (lines.length === 0) return 'Record<string, unknown>';
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function tsType(schema, indent = '') {
  if (!isObject(schema)) return 'unknown';
  if (typeof schema.$ref === 'string') return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map((v) => JSON.stringify(v)));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) return union(alternatives.map((s) => tsType(s, indent)));
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map((s) => tsType(s, indent));
    return parts.length === 1 ? parts[0] : parts.join(' & ');
  }
  const types = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : isObject(schema.properties) ? ['object'] : [];
  if (types.length === 0) return 'unknown';
  return union(
    types.map((t) => {
      switch (t) {
        case 'string':
          return 'string';
        case 'integer':
        case 'number':
          return 'number';
        case 'boolean':
          return 'boolean';
        case 'null':
          return 'null';
        case 'array': {
          const item = tsType(schema.items, indent);
          if (schema.minItems !== undefined && schema.minItems === schema.maxItems && schema.maxItems <= 4) {
            return `[${Array.from({ length: schema.maxItems }, () => item).join(', ')}]`;
          }
          return `Array<${item}>`;
        }
        case 'object':
          return objectType(schema, indent);
        default:
          throw new Error(`unsupported type ${t}`);
      }
    }),
  );
}

export function generate(specText) {
  const spec = parse(specText);
  const schemas = spec?.components?.schemas;
  if (!isObject(schemas)) throw new Error('openapi.yaml has no components.schemas');
  const out = [
    '// Generated from openapi.yaml by scripts/gen-plugin-types.mjs: do not edit.',
    '// Regenerate with `npm run gen:plugin-types`; test/unit/plugin-api/plugin-types.test.ts fails when this file is stale.',
    `// OpenAPI document version ${spec.info?.version ?? 'unknown'}.`,
    '',
  ];
  for (const [name, schema] of Object.entries(schemas)) {
    const d = doc(schema.description, '');
    const isPlainObject = !schema.anyOf && !schema.oneOf && !schema.allOf && !schema.enum && (schema.type === 'object' || (schema.type === undefined && isObject(schema.properties)));
    if (isPlainObject && objectType(schema, '') !== 'Record<string, unknown>') out.push(`${d}export interface ${name} ${objectType(schema, '')}\n`);
    else {
      const t = tsType(schema);
      // A long top-level union reads better one member a line.
      const text = t.length > 100 && !t.includes('\n') && t.includes(' | ') ? `\n  | ${t.split(' | ').join('\n  | ')}` : ` ${t}`;
      out.push(`${d}export type ${name} =${text};\n`);
    }
  }
  const codes = schemas.ErrorCode?.enum;
  if (Array.isArray(codes)) {
    out.push(`/** Every code the service can answer with, in the registry's order. */\nexport const ERROR_CODES: readonly ErrorCode[] = [\n${codes.map((c) => `  ${JSON.stringify(c)},`).join('\n')}\n];\n`);
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeOrCheck({ root, out: OUT, text: generate(readFileSync(SPEC, 'utf8')), npmScript: 'gen:plugin-types' });
}
