import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/serve/app.js';
import { loadLiveIndex } from '../../src/serve/server.js';
import { resolveServeConfig } from '../../src/serve/config.js';
import { OPENAPI } from '../support/openapi.js';

/** The routes the app registers and the operations openapi.yaml declares are the same set. */

let app: FastifyInstance;

beforeAll(async () => {
  app = buildApp({ liveIndex: loadLiveIndex(resolveServeConfig([], {})), defaultMetrics: false, underPressure: false });
  await app.ready();
});
afterAll(() => app.close());

function registered(): string[] {
  const out: string[] = [];
  // printRoutes draws a tree: with GET / registered, the other routes print as its children
  // ("    ├── v1/classify"), 4 characters of indent per level, each relative to its parent.
  const parents: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([ │]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (parents[depth - 1] ?? '') + m[2]!;
    parents[depth] = path;
    // fastify writes path parameters as :name, OpenAPI as {name}
    if (m[3] !== undefined) for (const method of m[3].split(', ')) out.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
  }
  return out.sort();
}

function declared(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(OPENAPI['paths'] as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) {
      if (['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) out.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return out.sort();
}

describe('routes vs openapi.yaml', () => {
  it('every registered route is documented and every documented route is registered', () => {
    expect(registered().length).toBeGreaterThan(5);
    expect(registered()).toEqual(declared());
  });

  it('every operation documents its error responses with the Error schema', () => {
    for (const [path, item] of Object.entries(OPENAPI['paths'] as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses);
        expect(statuses.some((s) => s.startsWith('2') || s === '101'), `${method} ${path}`).toBe(true);
        if (path !== '/healthz' && path !== '/openapi.yaml') {
          expect(statuses.some((s) => s === 'default' || s.startsWith('4') || s.startsWith('5')), `${method} ${path}`).toBe(true);
        }
      }
    }
  });
});
