/**
 * PAC evaluation speed in pac-resolver (QuickJS, as a PAC engine runs it): the generated PAC
 * (exact-host object, suffix walk over the host's labels, shExpMatch only for the few patterns
 * no suffix can file) against a naive PAC of one shExpMatch per pattern with the same rules,
 * and against a PAC that returns a constant (pac-resolver's own cost per call), same run.
 *
 * Before timing, every PAC's answer for every host is checked against the engine's
 * ({ host, port: 443, protocol: 'tcp' }, specific-first); a disagreement aborts the run.
 * Figures: hosts/s over the whole host list, best of ROUNDS interleaved rounds.
 *
 * Run: npm run bench -- export (or, after npm run build, node dist/bench/export/pac.bench.js)
 */
import { performance } from 'node:perf_hooks';
import { createExportRegistry } from '../../src/export/builtins.js';
import { prepareExport } from '../../src/export/export-file.js';
import { pacRules, pruneRules } from '../../src/export/pac.js';
import { snapshotView } from '../../src/export/snapshot-view.js';
import { createClassifier, parseEndpointsResponse } from '../../src/index.js';
import { isFlowError, type Snapshot } from '../../src/core/types.js';
import { readRealResponseText, type RealResponse } from '../../test/support/data.js';
import { exportHosts } from '../../test/support/export-hosts.js';
import { loadPac, type LoadedPac } from '../../test/support/pac-eval.js';
import { renderNaivePac } from './naive-pac.js';

const PROXY = 'PROXY proxy.contoso.com:8080';
const ROUNDS = 3;
const DATASETS: ReadonlyArray<[label: string, file: RealResponse]> = [
  ['2019-01', 'worldwide-commit20190109.json'],
  ['2020-05', 'worldwide-commit20200531.json'],
  ['2025+', 'worldwide-noipv6-undated-cloudips-f6739cb.json'],
];

async function timeHosts(pac: LoadedPac, hosts: readonly string[]): Promise<number> {
  const t0 = performance.now();
  for (const h of hosts) await pac.find(h);
  return hosts.length / ((performance.now() - t0) / 1000);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const registry = createExportRegistry();
  console.log(`pac-resolver 9 on quickjs-wasi; PAC type 2 (Optimize and Allow direct); best of ${ROUNDS} rounds\n`);
  console.log('data      hosts  rules  generated hosts/s  naive hosts/s  constant hosts/s  generated/naive  shExpMatch per host (generated / naive)');
  let failed = false;
  for (const [label, file] of DATASETS) {
    const snapshot: Snapshot = parseEndpointsResponse(readRealResponseText(file));
    const hosts = exportHosts(snapshot, 21);
    const engine = createClassifier(snapshot, { precedence: 'specific-first' });
    const rules = pruneRules(pacRules(snapshotView(snapshot), { type: 2 }));
    let calls = 0;
    const count = (): void => {
      calls++;
    };
    const generatedText = await prepareExport(registry, 'pac', snapshot, { type: 2, proxy: PROXY }).renderText();
    const naiveText = renderNaivePac(rules, PROXY);
    const constantText = 'function FindProxyForURL(url, host) { return "DIRECT"; }';
    const counted = { generated: await loadPac(generatedText, count), naive: await loadPac(naiveText, count) };
    const calls0 = { generated: 0, naive: 0 };
    // Correctness first: both PACs must answer as the engine does, for every host.
    for (const kind of ['generated', 'naive'] as const) {
      calls = 0;
      for (const host of hosts) {
        const r = engine.classify({ host, port: 443, protocol: 'tcp' });
        if (isFlowError(r)) continue;
        const want = r.category === 'Optimize' || r.category === 'Allow' ? 'DIRECT' : PROXY;
        const got = await counted[kind].find(host);
        if (got !== want) {
          console.error(`${label}: ${kind} PAC answers ${got} for ${host}, the engine ${want}`);
          failed = true;
        }
      }
      calls0[kind] = calls / hosts.length;
      counted[kind].dispose();
    }
    if (failed) break;
    const pacs = { generated: await loadPac(generatedText), naive: await loadPac(naiveText), constant: await loadPac(constantText) };
    const best = { generated: 0, naive: 0, constant: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['generated', 'naive', 'constant'] as const) best[kind] = Math.max(best[kind], await timeHosts(pacs[kind], hosts));
    }
    for (const p of Object.values(pacs)) p.dispose();
    console.log(
      `${label.padEnd(8)} ${String(hosts.length).padStart(6)} ${String(rules.length).padStart(6)} ${fmt(best.generated).padStart(18)} ${fmt(best.naive).padStart(14)} ${fmt(best.constant).padStart(17)} ${`${(best.generated / best.naive).toFixed(1)}x`.padStart(16)}   ${calls0.generated.toFixed(2)} / ${calls0.naive.toFixed(1)}`,
    );
  }
  if (failed) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
