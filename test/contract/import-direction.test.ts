import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/data.js';

/**
 * The layout's one rule (README "Layout", DESIGN.md section 4): imports point down the stages,
 * never up. core < ingest < compile < match < (follow, export, analyze) < serve < cli. Stages of
 * one rank do not import each other; nothing in src/ imports the package entry src/index.ts;
 * core imports nothing of ours; plugin-api/ imports nothing from src/.
 */
const RANK: Readonly<Record<string, number>> = { core: 0, ingest: 1, compile: 2, match: 3, follow: 4, export: 4, analyze: 4, serve: 5, cli: 6 };

interface Edge {
  /** Repository-relative, with forward slashes. */
  readonly from: string;
  readonly to: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f.split(sep).join('/')}`);
}

/** Every relative import of a file (static, re-export, side-effect, dynamic with a literal). */
function edgesOf(file: string): Edge[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const out: Edge[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const to = normalize(join(dirname(file), m[1]!)).split(sep).join('/').replace(/\.js$/, '.ts');
    out.push({ from: file, to });
  }
  return out;
}

/** The stage of a path: `core` for src/core/..., `index` for src/index.ts, `plugin-api`, or null outside both. */
function stageOf(path: string): string | null {
  if (path.startsWith('plugin-api/')) return 'plugin-api';
  if (!path.startsWith('src/')) return null;
  const rest = path.slice('src/'.length);
  return rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : rest.replace(/\.ts$/, '');
}

/** What is wrong with one edge, or null. */
function violation(e: Edge): string | null {
  const a = stageOf(e.from);
  const b = stageOf(e.to);
  if (a === 'plugin-api') return b === null || b === 'plugin-api' ? null : 'plugin-api imports nothing from src/';
  if (a === null || a === b) return null;
  if (a === 'index') return null; // the package entry wires every stage
  if (!(a in RANK)) return `src/${a} is not a stage of the layout (add it to RANK and the README)`;
  if (b === 'index') return 'nothing in src/ imports the package entry src/index.ts';
  if (a === 'core') return 'core imports nothing of ours';
  if (b === 'plugin-api') return null; // the vendor contract sits beside src/, below every stage but core
  if (b === null || !(b in RANK)) return `imports ${e.to}, outside the stages`;
  if (RANK[b]! >= RANK[a]!) return `${a} (rank ${RANK[a]}) imports ${b} (rank ${RANK[b]}): imports point down the stages only`;
  return null;
}

function violations(edges: readonly Edge[]): string[] {
  return edges.flatMap((e) => {
    const why = violation(e);
    return why === null ? [] : [`${e.from} -> ${e.to}: ${why}`];
  });
}

describe('import direction', () => {
  it('no import in src/ or plugin-api/ points the wrong way', () => {
    const files = [...tsFiles('src'), ...tsFiles('plugin-api')];
    const edges = files.flatMap(edgesOf);
    // the scan sees the imports at all: every stage of src/ is present and imports something
    for (const stage of Object.keys(RANK).filter((s) => s !== 'follow')) expect(edges.some((e) => stageOf(e.from) === stage), stage).toBe(true);
    expect(violations(edges)).toEqual([]);
  });

  it('catches each kind of wrong import', () => {
    const bad: Edge[] = [
      { from: 'src/ingest/diff.ts', to: 'src/match/lookup.ts' },
      { from: 'src/export/pac.ts', to: 'src/analyze/summary.ts' },
      { from: 'src/serve/app.ts', to: 'src/index.ts' },
      { from: 'src/core/ports.ts', to: 'plugin-api/plugin.ts' },
      { from: 'plugin-api/client.ts', to: 'src/core/errors.ts' },
      { from: 'src/newstage/x.ts', to: 'src/core/errors.ts' },
    ];
    expect(violations(bad)).toHaveLength(bad.length);
    const good: Edge[] = [
      { from: 'src/match/lookup.ts', to: 'src/compile/compile-index.ts' },
      { from: 'src/cli/main.ts', to: 'src/serve/server.ts' },
      { from: 'src/export/pac.ts', to: 'plugin-api/plugin.ts' },
      { from: 'src/index.ts', to: 'src/serve/server.ts' },
    ];
    expect(violations(good)).toEqual([]);
  });
});
