import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ERROR_NUMBERS } from '../../src/core/errors.js';
import { REPO_ROOT } from '../support/data.js';

/** asyncapi.yaml (AsyncAPI 3) parses without a diagnostic and agrees with the error registry. */

const PATH = join(REPO_ROOT, 'asyncapi.yaml');

describe('asyncapi.yaml', () => {
  it('parses with @asyncapi/parser with no error or warning, its $refs into openapi.yaml resolved', async () => {
    const { document, diagnostics } = await fromFile(new Parser(), PATH).parse();
    expect(diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
    const doc = document!;
    expect(doc.version()).toMatch(/^3\./);
    expect(doc.channels().all().map((c) => c.id()).sort()).toEqual(['binaryTcp', 'stream']);
    const byName = new Map(doc.messages().all().flatMap((m) => [[m.id(), m] as const, [m.name() ?? m.id(), m] as const]));
    for (const kind of ['RequestFrame', 'AnswerFrame', 'ErrorFrame', 'HelloFrame', 'HelloOkFrame']) {
      expect(byName.get(kind)?.contentType(), kind).toBe('application/octet-stream');
    }
    // The JSON messages are openapi.yaml's schemas, resolved, not copies.
    const classify = byName.get('classify')?.payload()?.json() as { required?: string[]; properties?: Record<string, unknown> };
    expect(classify.required).toEqual(['flows']);
    expect(Object.keys(classify.properties ?? {})).toEqual(['id', 'flows']);
  });

  it('lists every error number of the registry, with its code, and no other', () => {
    const spec = parse(readFileSync(PATH, 'utf8')) as { components: { schemas: { ErrorNumber: { oneOf: Array<{ const: number; title: string }> } } } };
    const listed = spec.components.schemas.ErrorNumber.oneOf.map((o) => [o.title, o.const]);
    expect(new Map(listed as Array<[string, number]>)).toEqual(ERROR_NUMBERS);
    expect(new Set(listed.map(([, n]) => n)).size).toBe(listed.length);
  });
});
