import type { CandidateScan } from './candidates.js';
import type { ContractDoc } from './contract-doc.js';
import type { DataModel } from './data-model.js';
import type { TargetHttp } from './http.js';
import type { StreamClient } from './stream-client.js';
import type { CorrectnessCheckId, Vector } from './vectors.js';
import type {
  CertificationData,
  CheckGroup,
  Evidence,
  Mismatch,
  PrincipleTag,
  Profile,
  ReferenceEngine,
  Thresholds,
  UpstreamOptions,
  Verdict,
} from './types.js';

/** What a profile sets; options override each field. */
export interface ProfileSettings {
  readonly randomPerPrefix: number;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly batchSize: number;
  /** Thresholds that apply without being given. */
  readonly defaultThresholds: Thresholds;
  /** Every n-th vector is also sent over GET and over the WebSocket. */
  readonly sampleEvery: number;
}

export const PROFILES: Readonly<Record<Profile, ProfileSettings>> = {
  quick: { randomPerPrefix: 2, durationMs: 2000, concurrency: 8, batchSize: 100, defaultThresholds: {}, sampleEvery: 25 },
  // Defaults of the full profile: modest figures any edge classifier should reach on one core.
  full: {
    randomPerPrefix: 16,
    durationMs: 10_000,
    concurrency: 32,
    batchSize: 1000,
    defaultThresholds: { rps: 2000, p99Ms: 50, batchFlowsPerSecond: 100_000, streamFlowsPerSecond: 100_000 },
    sampleEvery: 5,
  },
};

/** Per correctness check: how many vectors and comparisons, and what went wrong. */
export interface CorrectnessTally {
  vectors: number;
  comparisons: number;
  readonly mismatches: Mismatch[];
}

export interface RunContext {
  readonly target: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly http: TargetHttp;
  readonly profile: Profile;
  readonly settings: ProfileSettings;
  readonly seed: number;
  readonly contract: ContractDoc | null;
  readonly contractNotes: readonly string[];
  /** GET /v1/version of the target at the start, when it answered 200. */
  readonly targetInfo: Readonly<Record<string, unknown>> | null;
  readonly data: CertificationData | null;
  readonly dataSource: 'given' | 'target' | 'none';
  readonly dataNotes: readonly string[];
  readonly model: DataModel | null;
  readonly scan: CandidateScan | null;
  readonly vectors: readonly Vector[];
  readonly setsWithoutPortVectors: number;
  readonly reference: ReferenceEngine | null;
  readonly upstream: UpstreamOptions | null;
  readonly thresholds: Thresholds;
  /** Opens a WebSocket to /v1/stream whose messages are kept for contract.responses. */
  openStream(): Promise<StreamClient | { error: string; status?: number }>;
  /** Every WebSocket message received (text), for contract.responses. */
  readonly streamMessages: Array<{ readonly text: string; readonly body: unknown }>;
  /** Filled by the first correctness check, read by the others. */
  correctness: Map<CorrectnessCheckId, CorrectnessTally> | null;
}

export interface CheckOutcome {
  readonly verdict: Verdict;
  readonly summary: string;
  readonly evidence: Evidence;
  /** Overrides the spec's `required` (a check may only count when it could run). */
  readonly required?: boolean;
}

export interface CheckSpec {
  readonly id: string;
  readonly group: CheckGroup;
  readonly title: string;
  readonly principle: PrincipleTag;
  readonly required: boolean;
  run(ctx: RunContext): Promise<CheckOutcome>;
}

export function skip(summary: string, notes: readonly string[] = []): CheckOutcome {
  return { verdict: 'skip', summary, evidence: { notes }, required: false };
}
