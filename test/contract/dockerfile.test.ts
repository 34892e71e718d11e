/**
 * The Dockerfile, checked as far as a machine without a Docker engine or an image registry can:
 * it cannot be built here, so the test does what each stage does with the same files. It reads
 * the instructions; builds dist/ with the compiler from only the files the build stage copies
 * (and .dockerignore lets through); checks that the built code imports nothing beyond the
 * production dependencies `npm ci --omit=dev` installs; assembles the final stage's files, runs
 * its ENTRYPOINT and CMD (offline, on a free port) and its HEALTHCHECK command against it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVE_OPTIONS } from '../../src/serve/config.js';
import { REPO_ROOT } from '../support/data.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly stage: number;
}

/** Instructions with continuation lines joined, comments dropped, each with its stage index. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    if (pending === '' && /^\s*#/.test(raw)) continue;
    const line = raw.replace(/\\\s*$/, '');
    pending += (pending === '' ? '' : ' ') + line.trim();
    if (/\\\s*$/.test(raw)) continue;
    if (pending !== '') {
      const m = /^(\S+)\s*(.*)$/.exec(pending)!;
      const op = m[1]!.toUpperCase();
      if (op === 'FROM') stage++;
      out.push({ op, args: m[2]!, stage });
    }
    pending = '';
  }
  return out;
}

/** .dockerignore: the last pattern that matches a path decides (a leading ! re-includes). */
function dockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const glob = negate ? p.slice(1) : p;
    const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`);
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

const all = instructions(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const last = Math.max(...all.map((i) => i.stage));
const final = all.filter((i) => i.stage === last);
const stageNames = all.filter((i) => i.op === 'FROM').map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1] ?? null);
const json = (args: string): string[] => JSON.parse(args) as string[];
const copies = all.filter((i) => i.op === 'COPY').map((i) => {
  const parts = i.args.split(/\s+/);
  const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length) ?? null;
  const paths = parts.filter((p) => !p.startsWith('--'));
  return { stage: i.stage, from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
});

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
function temp(): string {
  const t = mkdtempSync(join(tmpdir(), 'm365fc-docker-'));
  temps.push(t);
  return t;
}

describe('Dockerfile: what it says', () => {
  it('is multi-stage on the official Node 20 slim image', () => {
    const bases = all.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const b of bases) expect(b).toMatch(/^node:20(\.\d+)*-(bookworm-|bullseye-)?slim$/);
  });

  it('installs production dependencies only for the image: npm ci --omit=dev', () => {
    const fromDeps = copies.filter((c) => c.stage === last && c.sources.includes('/app/node_modules'));
    expect(fromDeps).toHaveLength(1);
    const depsStage = stageNames.indexOf(fromDeps[0]!.from);
    expect(all.filter((i) => i.stage === depsStage && i.op === 'RUN').map((i) => i.args)).toContain('npm ci --omit=dev --no-audit --no-fund');
  });

  it('runs as a user that is not root, keeps the state dir as a volume', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1)!.args;
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    const k8s = parse(readFileSync(join(REPO_ROOT, 'deploy/kubernetes/deployment.yaml'), 'utf8')) as { spec: { template: { spec: { securityContext: { runAsUser: number } } } } };
    expect(Number(user.split(':')[0])).toBe(k8s.spec.template.spec.securityContext.runAsUser);
    const env = final.find((i) => i.op === 'ENV')!.args;
    const stateDir = /M365FC_STATE_DIR=(\S+)/.exec(env)![1]!;
    expect(stateDir).toBe('/var/lib/m365fc');
    expect(json(final.find((i) => i.op === 'VOLUME')!.args)).toEqual([stateDir]);
    // The directory exists and belongs to that user before the volume is mounted over it.
    expect(final.find((i) => i.op === 'RUN')!.args).toContain(`chown ${user} ${stateDir}`);
  });

  it('exposes the default port and runs the built CLI', () => {
    expect(final.find((i) => i.op === 'EXPOSE')!.args).toBe(String(SERVE_OPTIONS.find((s) => s.key === 'port')!.default));
    const command = [...json(final.find((i) => i.op === 'ENTRYPOINT')!.args), ...json(final.find((i) => i.op === 'CMD')!.args)];
    expect(command).toEqual(['node', 'dist/src/cli/main.js', 'serve']);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(`./${command[1]}`).toBe(pkg.bin['m365fc']);
  });

  it('every file it copies from the context exists and passes .dockerignore', () => {
    const sources = copies.filter((c) => c.from === null).flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) {
      expect(existsSync(join(REPO_ROOT, s)), s).toBe(true);
      for (const f of filesUnder(join(REPO_ROOT, s))) expect(dockerIgnored(ignore, relative(REPO_ROOT, f)), f).toBe(false);
    }
    // And the context leaves out what must not go in.
    for (const p of ['node_modules/undici/package.json', 'dist/src/cli/main.js', '.git/HEAD', 'test/fixtures/m365-data/PROVENANCE.md']) expect(dockerIgnored(ignore, p), p).toBe(true);
  });
});

describe('Dockerfile: its stages, done here without Docker', () => {
  it('builds, imports only production dependencies, and the final stage serves and passes its HEALTHCHECK', async () => {
    // Build stage: only its copied files, the compiler from the repository's node_modules.
    const build = temp();
    for (const c of copies.filter((x) => x.stage === stageNames.indexOf('build'))) for (const s of c.sources) cpSync(join(REPO_ROOT, s), join(build, s), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(build, 'node_modules'));
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: build, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(existsSync(join(build, 'dist/src/cli/main.js'))).toBe(true);

    // What `npm ci --omit=dev` installs is enough for every import of the built code.
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const seen = new Set<string>();
    for (const f of filesUnder(join(build, 'dist')).filter((x) => x.endsWith('.js'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/g)) {
        const spec = (m[1] ?? m[2])!.replace(/^node:/, '');
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        expect(allowed, `${relative(build, f)} imports ${spec}`).toContain(name);
        seen.add(name);
      }
    }
    // The scan sees the imports (a regex that matched nothing would pass anything).
    for (const dep of ['fastify', 'undici', 'prom-client', 'fs']) expect(seen, dep).toContain(dep);

    // Final stage: its files only (node_modules stands in for the deps stage's).
    const app = temp();
    for (const c of copies.filter((x) => x.stage === last)) {
      for (const s of c.sources) {
        if (c.from === 'build') cpSync(join(build, s.replace(/^\/app\//, '')), join(app, c.dest.replace(/^\.\//, '')), { recursive: true });
        else if (c.from === null) cpSync(join(REPO_ROOT, s), join(app, c.dest.endsWith('/') ? s : c.dest.replace(/^\.\//, '')), { recursive: true });
      }
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'));
    const command = [...json(final.find((i) => i.op === 'ENTRYPOINT')!.args), ...json(final.find((i) => i.op === 'CMD')!.args)];
    // No network in a test: the image's command, offline, on a free port, state in a temp dir.
    const child = spawn(process.execPath, [...command.slice(1), '--offline'], {
      cwd: app,
      env: { PATH: process.env['PATH'] ?? '', M365FC_PORT: '0', M365FC_HOST: '127.0.0.1', M365FC_STATE_DIR: join(app, 'state') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const health = /CMD\s+(\[.*\])$/.exec(final.find((i) => i.op === 'HEALTHCHECK')!.args)![1]!;
      const [program, ...args] = json(health);
      expect(program).toBe('node');
      const run = (p: string) => spawnSync(process.execPath, args, { env: { M365FC_PORT: p }, encoding: 'utf8', timeout: 10_000 });
      expect(run(port).status).toBe(0);
      // The check is real: nothing listening fails it.
      expect(run('1').status).toBe(1);
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);
});
