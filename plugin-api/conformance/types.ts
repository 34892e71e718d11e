/**
 * Types of the certification kit: what `runCertification` takes and the report it returns.
 * The kit imports nothing from the engine: the reference engine is injected.
 */

export type Verdict = 'pass' | 'fail' | 'skip';
export type Profile = 'quick' | 'full';
export type CheckGroup = 'contract' | 'correctness' | 'robustness' | 'performance' | 'freshness';

/** Microsoft's network connectivity principles for Microsoft 365 that a check gives evidence for. */
export type MicrosoftPrinciple = 'identify-and-differentiate' | 'egress-locally' | 'avoid-hairpins' | 'bypass-proxies-and-tls-inspection';

/**
 * What a check gives evidence for: one of Microsoft's principles, or `operations`, the kit's
 * own tag for checks about running the service (its contract, robustness and speed), which
 * none of Microsoft's principles speaks about.
 */
export type PrincipleTag = MicrosoftPrinciple | 'operations';

/** Who defines a principle tag: Microsoft's principles, or the kit's own. */
export type PrincipleSource = 'microsoft' | 'm365fc';

/**
 * How a probe or a check failed: `answer`, the target answered wrongly; `transport`, no answer
 * reached the kit (refused or reset connection, closed without an answer, timeout).
 */
export type FailureKind = 'answer' | 'transport';

/** A flow as the vectors send it. */
export interface ConformanceFlow {
  ip?: string;
  host?: string;
  port?: number | string;
  protocol?: string;
}

/** The engine's answer fields the suite compares. */
export interface ClassificationLike {
  readonly m365: boolean;
  readonly category: string | null;
  readonly serviceArea: string | null;
  readonly endpointSetId: number | null;
  readonly expressRoute: boolean | null;
  readonly required: boolean | null;
  readonly matchedBy: string | null;
  readonly matched: string | null;
  readonly action: string;
  readonly version?: string;
}

export interface FlowErrorLike {
  readonly error: { readonly code: string; readonly message: string };
}

export type AnswerLike = ClassificationLike | FlowErrorLike;

/** The reference: in the CLI, `createClassifier(...)` of the same data with specific-first precedence. */
export interface ReferenceEngine {
  classify(flow: ConformanceFlow): AnswerLike;
}

/** An inclusive port range as `/v1/endpoints` gives it. */
export type PortRangeLike = readonly [number, number];

/**
 * An endpoint set: as `GET /v1/endpoints` answers it (port lists as ranges) or as Microsoft's web
 * service publishes it (port lists as strings such as "80,443,3478-3481").
 */
export interface DataSet {
  readonly id: number;
  readonly category: string;
  readonly serviceArea?: string;
  readonly urls?: readonly string[];
  readonly ips?: readonly string[];
  readonly tcpPorts?: readonly PortRangeLike[] | string;
  readonly udpPorts?: readonly PortRangeLike[] | string;
  readonly expressRoute?: boolean;
  readonly required?: boolean;
}

/** The data the vectors are built from. */
export interface CertificationData {
  readonly version?: string;
  readonly instance?: string;
  /** The tenant name the target fills into tenant positions of patterns, when it has one. */
  readonly tenant?: string | null;
  readonly sets: readonly DataSet[];
}

export interface UpstreamOptions {
  /** Base URL of Microsoft's endpoint web service or a stand-in (`https://endpoints.office.com`). */
  readonly url: string;
  /** Default: the instance the target reports, else Worldwide. */
  readonly instance?: string;
  /**
   * Makes the upstream publish a newer version (a test upstream can). Without it the
   * "follows a new version" check is skipped: a real upstream cannot be asked to publish.
   */
  readonly publish?: () => unknown;
  /** How long the target may take to serve the upstream's latest version, ms. Default 30000. */
  readonly boundMs?: number;
  /** How often to ask the target while waiting, ms. Default 250. */
  readonly pollMs?: number;
}

export interface Thresholds {
  /** Minimum single-flow GET requests/s. */
  readonly rps?: number;
  /** Maximum single-flow GET p99 latency, ms. */
  readonly p99Ms?: number;
  /** Minimum flows/s through POST batches. */
  readonly batchFlowsPerSecond?: number;
  /** Minimum flows/s through WebSocket batches. */
  readonly streamFlowsPerSecond?: number;
}

export interface PerformanceOptions {
  /** Per scenario, ms. quick: 2000, full: 10000. */
  readonly durationMs?: number;
  /** Requests in flight. quick: 8, full: 32. */
  readonly concurrency?: number;
  /** Flows per POST / WebSocket batch. quick: 100, full: 1000. */
  readonly batchSize?: number;
}

export interface ProgressEvent {
  readonly phase: 'start' | 'done';
  readonly checkId: string;
  readonly title: string;
  /** 1-based position of this check in the run. */
  readonly index: number;
  readonly total: number;
  readonly verdict?: Verdict;
}

export interface CertificationOptions {
  /** Base URL of the service under test, e.g. http://127.0.0.1:8365. */
  readonly target: string;
  /** Bearer token for lookup routes, when the target requires one. */
  readonly token?: string;
  /** The reference engine, or a factory given the data the vectors are built from. */
  readonly reference: ReferenceEngine | ((data: CertificationData) => ReferenceEngine | Promise<ReferenceEngine>);
  /** The data to build vectors from; default: the target's own `GET /v1/endpoints`. */
  readonly data?: CertificationData;
  /** Enables the freshness checks. */
  readonly upstream?: string | UpstreamOptions;
  readonly profile?: Profile;
  /** In the quick profile only these fail a check; the full profile has defaults. */
  readonly thresholds?: Thresholds;
  readonly performance?: PerformanceOptions;
  /** Seed of the random addresses; default a fixed seed so that two runs send the same vectors. */
  readonly seed?: number;
  /** OpenAPI document text to validate against; default the package's own openapi.yaml, else the target's. */
  readonly openapi?: string;
  /** Per request, ms. Default 10000. */
  readonly requestTimeoutMs?: number;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** One wrong answer: the flow, what the reference says, what the target said. */
export interface Mismatch {
  readonly vector: string;
  readonly flow: unknown;
  readonly expected: unknown;
  readonly actual: unknown;
  /** Fields that differ. */
  readonly fields?: readonly string[];
}

/** One probe that did not behave: what was sent, what was expected, what came back. */
export interface Problem {
  readonly probe: string;
  readonly expected: string;
  readonly actual: string;
  /** Absent: `answer`. */
  readonly kind?: FailureKind;
}

export interface LatencyStats {
  readonly count: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Log-spaced histogram: upper bound of each bucket (ms) and its count. */
  readonly histogram: ReadonlyArray<{ readonly leMs: number; readonly count: number }>;
}

export interface Measurement {
  readonly scenario: string;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly flowsPerRequest: number;
  readonly requests: number;
  readonly flows: number;
  readonly errors: number;
  readonly requestsPerSecond: number;
  readonly flowsPerSecond: number;
  readonly latency: LatencyStats;
}

export interface Evidence {
  readonly notes?: readonly string[];
  readonly counts?: Readonly<Record<string, number>>;
  readonly mismatches?: readonly Mismatch[];
  readonly problems?: readonly Problem[];
  readonly measurement?: Measurement;
}

export interface CheckResult {
  readonly id: string;
  readonly group: CheckGroup;
  readonly title: string;
  readonly principle: PrincipleTag;
  readonly verdict: Verdict;
  /** For a fail: `transport` when no probe got a wrong answer, only none; else `answer`. Null otherwise. */
  readonly failure: FailureKind | null;
  /** Whether a fail of this check fails the run. */
  readonly required: boolean;
  /** One line a person reads first. */
  readonly summary: string;
  readonly evidence: Evidence;
  readonly durationMs: number;
}

export interface CertificationReport {
  readonly format: 'm365fc-certification-report';
  readonly formatVersion: 1;
  /** What this report is and is not. */
  readonly framing: string;
  readonly tool: { readonly name: string; readonly kit: string };
  readonly target: string;
  readonly profile: Profile;
  readonly seed: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** What the target says about itself (GET /v1/version), when it answered. */
  readonly targetInfo: Readonly<Record<string, unknown>> | null;
  readonly data: { readonly source: 'given' | 'target' | 'none'; readonly version: string | null; readonly sets: number };
  readonly upstream: string | null;
  readonly summary: {
    readonly total: number;
    readonly passed: number;
    readonly failed: number;
    readonly skipped: number;
    readonly requiredFailed: number;
    /** Failed checks whose failure is `transport`: the target gave no answer, not a wrong one. */
    readonly transportFailed: number;
    /** True when every required check passed: the exit status is 0 exactly then. */
    readonly ok: boolean;
  };
  readonly principles: ReadonlyArray<{ readonly tag: PrincipleTag; readonly title: string; readonly source: PrincipleSource; readonly checks: number; readonly failed: number }>;
  readonly checks: readonly CheckResult[];
}
