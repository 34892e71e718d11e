import { CandidateScan } from './candidates.js';
import { CONTRACT } from './checks/contract.js';
import { CORRECTNESS } from './checks/correctness.js';
import { FRESHNESS } from './checks/freshness.js';
import { createPerformanceChecks } from './checks/performance.js';
import { ROBUSTNESS } from './checks/robustness.js';
import { ContractDoc, packageOpenApiText, packageVersion } from './contract-doc.js';
import { PROFILES, type CheckSpec, type RunContext } from './context.js';
import { buildModel } from './data-model.js';
import { outcome, TargetHttp } from './http.js';
import { StreamClient, streamUrl } from './stream-client.js';
import { FRAMING, PRINCIPLE_SOURCES, PRINCIPLES } from './principles.js';
import type { CertificationData, CertificationOptions, CertificationReport, CheckResult, Evidence, FailureKind, PrincipleTag, ReferenceEngine, UpstreamOptions, Verdict } from './types.js';
import { generateVectors } from './vectors.js';

export const DEFAULT_SEED = 0x6d333635; // "m365"

/** A wrong option; `code` as in the project's error registry. */
export class CertificationOptionError extends Error {
  readonly code = 'M365FC_ERR_CONFIG_BAD_OPTION';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function loadContract(http: TargetHttp, given: string | undefined): Promise<{ doc: ContractDoc | null; notes: string[] }> {
  const notes: string[] = [];
  const tryDoc = (text: string, source: 'given' | 'package' | 'target'): ContractDoc | null => {
    try {
      return new ContractDoc(text, source);
    } catch (err) {
      notes.push(`the ${source} openapi.yaml does not load: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  };
  if (given !== undefined) return { doc: tryDoc(given, 'given'), notes };
  const served = await http.get('/openapi.yaml', { auth: false });
  const own = packageOpenApiText();
  const ownDoc = own === null ? null : tryDoc(own, 'package');
  if (served.status === 200) {
    const targetDoc = tryDoc(served.text, 'target');
    if (targetDoc !== null && ownDoc !== null && targetDoc.sha256 !== ownDoc.sha256) notes.push(`the target serves a different openapi.yaml (${targetDoc.title}, sha256 ${targetDoc.sha256.slice(0, 12)})`);
    if (ownDoc === null) return { doc: targetDoc, notes };
  } else {
    notes.push(`GET /openapi.yaml: ${outcome(served)}`);
  }
  return { doc: ownDoc, notes };
}

async function loadData(http: TargetHttp, o: CertificationOptions, info: Record<string, unknown> | null): Promise<{ data: CertificationData | null; source: 'given' | 'target' | 'none'; notes: string[] }> {
  const tenant = typeof info?.['tenant'] === 'string' ? info['tenant'] : null;
  if (o.data !== undefined) return { data: { ...o.data, tenant: o.data.tenant ?? tenant }, source: 'given', notes: ['vectors from the data given'] };
  const a = await http.get('/v1/endpoints');
  if (a.status !== 200 || !isObject(a.body) || !Array.isArray(a.body['sets'])) {
    return { data: null, source: 'none', notes: [`GET /v1/endpoints: ${outcome(a)}; no data to build vectors from`] };
  }
  const body = a.body;
  const data: CertificationData = {
    sets: body['sets'] as CertificationData['sets'],
    tenant,
    ...(typeof body['version'] === 'string' ? { version: body['version'] } : {}),
    ...(typeof body['instance'] === 'string' ? { instance: body['instance'] } : {}),
  };
  return { data, source: 'target', notes: [`vectors from the target's GET /v1/endpoints (${data.sets.length} sets)`] };
}

function upstreamOf(o: CertificationOptions): UpstreamOptions | null {
  if (o.upstream === undefined) return null;
  return typeof o.upstream === 'string' ? { url: o.upstream } : o.upstream;
}

function checkOptions(o: CertificationOptions): void {
  try {
    const u = new URL(o.target);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new CertificationOptionError(`target must be an http(s) URL, not "${o.target}"`);
  }
  if (o.profile !== undefined && !(o.profile in PROFILES)) throw new CertificationOptionError(`profile must be quick or full, not "${String(o.profile)}"`);
  if (o.upstream !== undefined) {
    const url = typeof o.upstream === 'string' ? o.upstream : o.upstream.url;
    if (!/^https?:\/\//.test(url)) throw new CertificationOptionError(`upstream must be an http(s) URL, not "${url}"`);
  }
}

/**
 * Runs every check against `target` and returns the report. Never throws for what the target
 * does (that is evidence); throws CertificationOptionError for wrong options.
 */
export async function runCertification(o: CertificationOptions): Promise<CertificationReport> {
  checkOptions(o);
  const startedAt = new Date();
  const t0 = performance.now();
  const profile = o.profile ?? 'quick';
  const settings = PROFILES[profile];
  const timeoutMs = o.requestTimeoutMs ?? 10_000;
  const http = new TargetHttp(o.target, o.token, timeoutMs);
  try {
    const versionAnswer = await http.get('/v1/version');
    const targetInfo = versionAnswer.status === 200 && isObject(versionAnswer.body) ? versionAnswer.body : null;
    const contract = await loadContract(http, o.openapi);
    const data = await loadData(http, o, targetInfo);
    let reference: ReferenceEngine | null = null;
    const dataNotes = [...data.notes];
    if (data.data !== null) {
      try {
        reference = typeof o.reference === 'function' ? await o.reference(data.data) : o.reference;
      } catch (err) {
        dataNotes.push(`the reference engine could not be built from the data: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const model = data.data === null ? null : buildModel(data.data);
    if (model !== null && model.unreadable.length > 0) dataNotes.push(`entries the suite could not read: ${model.unreadable.slice(0, 10).join('; ')}`);
    const scan = model === null ? null : new CandidateScan(model);
    const seed = o.seed ?? DEFAULT_SEED;
    const plan = model !== null && scan !== null ? generateVectors(model, scan, { seed, randomPerPrefix: settings.randomPerPrefix }) : { vectors: [], setsWithoutPortVectors: 0 };
    const streamMessages: Array<{ text: string; body: unknown }> = [];
    const ctx: RunContext = {
      target: o.target,
      token: o.token,
      timeoutMs,
      http,
      profile,
      settings,
      seed,
      contract: contract.doc,
      contractNotes: contract.notes,
      targetInfo,
      data: data.data,
      dataSource: data.source,
      dataNotes,
      model,
      scan,
      vectors: plan.vectors,
      setsWithoutPortVectors: plan.setsWithoutPortVectors,
      reference,
      upstream: upstreamOf(o),
      thresholds: o.thresholds ?? {},
      streamMessages,
      openStream: () => StreamClient.open(streamUrl(o.target), o.token, timeoutMs, (text, body) => streamMessages.push({ text, body })),
      correctness: null,
    };
    const specs: CheckSpec[] = [...CONTRACT, ...CORRECTNESS, ...ROBUSTNESS, ...createPerformanceChecks(o.performance), ...FRESHNESS];
    // contract.responses validates every answer of the correctness and robustness checks, so it
    // runs after them; freshness runs last because making the upstream publish changes the data.
    const late = new Set(['contract.responses']);
    const runOrder = [...specs.filter((c) => !late.has(c.id) && c.group !== 'performance' && c.group !== 'freshness'), ...specs.filter((c) => late.has(c.id)), ...specs.filter((c) => c.group === 'performance' || c.group === 'freshness')];
    const checks: CheckResult[] = [];
    for (const [i, spec] of runOrder.entries()) {
      const base = { checkId: spec.id, title: spec.title, index: i + 1, total: specs.length };
      o.onProgress?.({ phase: 'start', ...base });
      const c0 = performance.now();
      let result: CheckResult;
      try {
        const out = await spec.run(ctx);
        result = {
          id: spec.id,
          group: spec.group,
          title: spec.title,
          principle: spec.principle,
          verdict: out.verdict,
          failure: failureOf(out.verdict, out.evidence),
          required: out.required ?? spec.required,
          summary: out.summary,
          evidence: out.evidence,
          durationMs: Math.round(performance.now() - c0),
        };
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        result = { id: spec.id, group: spec.group, title: spec.title, principle: spec.principle, verdict: 'fail', failure: 'answer', required: spec.required, summary: 'The check could not complete', evidence: { notes: [message] }, durationMs: Math.round(performance.now() - c0) };
      }
      checks.push(result);
      o.onProgress?.({ phase: 'done', ...base, verdict: result.verdict });
    }
    // The report lists the checks by group, whatever order they ran in.
    checks.sort((a, b) => specs.findIndex((c) => c.id === a.id) - specs.findIndex((c) => c.id === b.id));
    return buildReport({ o, profile, seed, startedAt, durationMs: performance.now() - t0, targetInfo, data: data.data, dataSource: data.source, checks });
  } finally {
    await http.close();
  }
}

/** A fail is `transport` when every problem listed is one and nothing else went wrong. */
function failureOf(verdict: Verdict, e: Evidence): FailureKind | null {
  if (verdict !== 'fail') return null;
  const problems = e.problems ?? [];
  const onlyTransport = problems.length > 0 && problems.every((p) => p.kind === 'transport') && (e.mismatches ?? []).length === 0;
  return onlyTransport ? 'transport' : 'answer';
}

function buildReport(r: {
  o: CertificationOptions;
  profile: CertificationReport['profile'];
  seed: number;
  startedAt: Date;
  durationMs: number;
  targetInfo: Record<string, unknown> | null;
  data: CertificationData | null;
  dataSource: 'given' | 'target' | 'none';
  checks: CheckResult[];
}): CertificationReport {
  const count = (v: string): number => r.checks.filter((c) => c.verdict === v).length;
  const requiredFailed = r.checks.filter((c) => c.required && c.verdict === 'fail').length;
  const up = upstreamOf(r.o);
  return {
    format: 'm365fc-certification-report',
    formatVersion: 1,
    framing: FRAMING,
    tool: { name: 'm365-flow-classifier conformance kit', kit: packageVersion() },
    target: r.o.target,
    profile: r.profile,
    seed: r.seed,
    startedAt: r.startedAt.toISOString(),
    finishedAt: new Date(r.startedAt.getTime() + Math.round(r.durationMs)).toISOString(),
    durationMs: Math.round(r.durationMs),
    targetInfo: r.targetInfo,
    data: { source: r.dataSource, version: r.data?.version ?? null, sets: r.data?.sets.length ?? 0 },
    upstream: up?.url ?? null,
    summary: { total: r.checks.length, passed: count('pass'), failed: count('fail'), skipped: count('skip'), requiredFailed, transportFailed: r.checks.filter((c) => c.failure === 'transport').length, ok: requiredFailed === 0 },
    principles: (Object.keys(PRINCIPLES) as PrincipleTag[]).map((tag) => ({
      tag,
      title: PRINCIPLES[tag],
      source: PRINCIPLE_SOURCES[tag],
      checks: r.checks.filter((c) => c.principle === tag).length,
      failed: r.checks.filter((c) => c.principle === tag && c.verdict === 'fail').length,
    })),
    checks: r.checks,
  };
}
