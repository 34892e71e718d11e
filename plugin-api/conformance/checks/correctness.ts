import { differingFields, essentials } from '../compare.js';
import type { CheckOutcome, CheckSpec, CorrectnessTally, RunContext } from '../context.js';
import { skip } from '../context.js';
import { flowQuery, outcome } from '../http.js';
import { StreamClient } from '../stream-client.js';
import type { PrincipleTag, ReferenceEngine } from '../types.js';
import { CORRECTNESS_CHECKS, type CorrectnessCheckId, type Vector } from '../vectors.js';

// A batch this size stays far below the contract's 10000 and any sane body limit.
const BATCH = 1000;

class Tallies {
  readonly byCheck = new Map<CorrectnessCheckId, CorrectnessTally>(CORRECTNESS_CHECKS.map((c) => [c, { vectors: 0, comparisons: 0, mismatches: [] }]));

  constructor(private readonly reference: ReferenceEngine) {}

  compare(v: Vector, transport: string, actual: unknown): void {
    const t = this.byCheck.get(v.check)!;
    t.comparisons++;
    const expected = this.reference.classify(v.flow);
    const fields = differingFields(expected, actual);
    if (fields.length > 0) t.mismatches.push({ vector: `${v.label} (${transport})`, flow: v.flow, expected: essentials(expected), actual: essentials(actual), fields });
  }
}

/** Sends every vector once through POST batches and a sample over GET and the WebSocket. */
async function collect(ctx: RunContext, reference: ReferenceEngine): Promise<Map<CorrectnessCheckId, CorrectnessTally>> {
  const tallies = new Tallies(reference);
  for (const v of ctx.vectors) tallies.byCheck.get(v.check)!.vectors++;
  for (let i = 0; i < ctx.vectors.length; i += BATCH) {
    const chunk = ctx.vectors.slice(i, i + BATCH);
    const a = await ctx.http.post('/v1/classify', { flows: chunk.map((v) => v.flow) });
    const results = a.status === 200 && typeof a.body === 'object' && a.body !== null ? (a.body as { results?: unknown }).results : undefined;
    chunk.forEach((v, k) => {
      const actual = Array.isArray(results) && results.length === chunk.length ? results[k] : { http: outcome(a), note: 'the batch was not answered with one result per flow' };
      tallies.compare(v, 'POST batch', actual);
    });
  }
  // Every check gets its first vector and every n-th one over GET and the WebSocket too.
  const firstOf = new Set<CorrectnessCheckId>();
  const sample = ctx.vectors.filter((v, i) => {
    const first = !firstOf.has(v.check);
    firstOf.add(v.check);
    return first || i % ctx.settings.sampleEvery === 0;
  });
  for (let i = 0; i < sample.length; i += 8) {
    const part = sample.slice(i, i + 8);
    const answers = await Promise.all(part.map((v) => ctx.http.get('/v1/classify', { query: flowQuery(v.flow) })));
    part.forEach((v, k) => {
      const a = answers[k]!;
      tallies.compare(v, 'GET', a.status === 200 ? a.body : { http: outcome(a) });
    });
  }
  const ws = await ctx.openStream();
  if (ws instanceof StreamClient) {
    for (let i = 0; i < sample.length; i += BATCH) {
      const part = sample.slice(i, i + BATCH);
      const id = `certify-${i}`;
      const e = await ws.request({ id, flows: part.map((v) => v.flow) }, ctx.timeoutMs);
      const results = e.kind === 'message' && typeof e.body === 'object' && e.body !== null ? (e.body as { results?: unknown }).results : undefined;
      part.forEach((v, k) => {
        const actual = Array.isArray(results) && results.length === part.length ? results[k] : { stream: e.kind === 'message' ? e.text.slice(0, 200) : e.kind };
        tallies.compare(v, 'WebSocket', actual);
      });
    }
    await ws.close();
  }
  return tallies.byCheck;
}

const SPECS: ReadonlyArray<{ id: CorrectnessCheckId; title: string; principle: PrincipleTag }> = [
  { id: 'correctness.ipv4-prefixes', title: 'IPv4 prefixes: first, last, random and just-outside addresses', principle: 'egress-locally' },
  { id: 'correctness.ipv6-prefixes', title: 'IPv6 prefixes: first, last, random and just-outside addresses', principle: 'egress-locally' },
  { id: 'correctness.ipv4-mapped', title: 'IPv4-mapped IPv6 addresses answer as their IPv4 address', principle: 'egress-locally' },
  { id: 'correctness.hosts', title: 'Hosts made from every pattern, alone and with an ip', principle: 'identify-and-differentiate' },
  { id: 'correctness.wildcard-apex', title: 'The apex of a *. pattern is not matched by it', principle: 'bypass-proxies-and-tls-inspection' },
  { id: 'correctness.near-misses', title: 'Near misses (evilsharepoint.com) are not Microsoft 365 by mistake', principle: 'bypass-proxies-and-tls-inspection' },
  { id: 'correctness.host-case', title: 'Host case and one trailing dot do not change the answer', principle: 'identify-and-differentiate' },
  { id: 'correctness.ports', title: 'Ports inside, at the edges of and outside every set\'s lists', principle: 'egress-locally' },
  { id: 'correctness.tcp-udp', title: 'TCP against UDP: a port counts only for its protocol', principle: 'egress-locally' },
  { id: 'correctness.precedence', title: 'Specific-first precedence among competing sets (hosts, IPv4)', principle: 'bypass-proxies-and-tls-inspection' },
  { id: 'correctness.precedence-ipv6', title: 'Specific-first precedence among competing IPv6 prefixes', principle: 'bypass-proxies-and-tls-inspection' },
];

async function runOne(ctx: RunContext, id: CorrectnessCheckId): Promise<CheckOutcome> {
  if (ctx.reference === null || ctx.model === null) {
    return { verdict: 'fail', summary: 'No data to build vectors from', evidence: { notes: [...ctx.dataNotes] } };
  }
  ctx.correctness ??= await collect(ctx, ctx.reference);
  const t = ctx.correctness.get(id)!;
  const notes: string[] = [];
  if (id === 'correctness.ports' && ctx.setsWithoutPortVectors > 0) {
    notes.push(`${ctx.setsWithoutPortVectors} set(s) with ports have no host or IPv4 address that no set of another category also matches; their ports are not tested here`);
  }
  if (id.startsWith('correctness.precedence')) {
    const declared = ctx.targetInfo?.['precedence'];
    if (typeof declared === 'string') notes.push(`the target declares precedence "${declared}"; the reference uses specific-first`);
  }
  if (t.vectors === 0) return skip('No vectors: the data has nothing this check can test', notes);
  const counts = { vectors: t.vectors, comparisons: t.comparisons, mismatches: t.mismatches.length };
  if (t.mismatches.length === 0) {
    return { verdict: 'pass', summary: `${t.vectors} vectors, ${t.comparisons} answers equal to the reference`, evidence: { counts, notes } };
  }
  return {
    verdict: 'fail',
    summary: `${t.mismatches.length} of ${t.comparisons} answers differ from the reference`,
    evidence: { counts, notes, mismatches: t.mismatches },
  };
}

export const CORRECTNESS: readonly CheckSpec[] = SPECS.map((s) => ({
  ...s,
  group: 'correctness',
  required: true,
  run: (ctx: RunContext) => runOne(ctx, s.id),
}));
