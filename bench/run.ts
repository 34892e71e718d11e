/**
 * Runs every compiled benchmark (dist/bench/**\/*.bench.js), each in its own Node process so no
 * case inherits another's JIT state or heap (as find-my-way does), one after another so they do
 * not compete for cores. Arguments filter by path: `npm run bench -- match` runs bench/match only.
 * Exits non-zero when a benchmark fails (a wrong answer aborts one before it times anything).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function findBenches(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findBenches(path));
    else if (entry.name.endsWith('.bench.js')) out.push(path);
  }
  return out.sort();
}

const filters = process.argv.slice(2);
const benches = findBenches(here).filter((p) => filters.length === 0 || filters.some((f) => relative(here, p).includes(f)));
if (benches.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`);
  process.exit(1);
}

let failed = 0;
const started = Date.now();
for (const path of benches) {
  const name = relative(here, path);
  console.log(`\n=== ${name} ===`);
  const t0 = Date.now();
  // --expose-gc lets the build bench cross-check index size against heap growth.
  const r = spawnSync(process.execPath, ['--expose-gc', path], { stdio: 'inherit' });
  const status = r.status ?? 1;
  console.log(`=== ${name}: ${status === 0 ? 'ok' : `FAILED (exit ${status}${r.signal ? `, ${r.signal}` : ''})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s ===`);
  if (status !== 0) failed++;
}
console.log(`\n${benches.length - failed}/${benches.length} benchmarks ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed > 0 ? 1 : 0);
