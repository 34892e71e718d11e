import { performance } from 'node:perf_hooks';
import { parseIPv4, parseIPv6 } from '../core/addresses.js';
import type { Action, Category, Classification, EndpointSet, MatchedBy, Precedence, Snapshot } from '../core/types.js';
import { buildHostMatcher, hostMatcherBytes, type HostMatcher } from './host-matcher.js';
import { buildPortTable, type PortTable } from './port-table.js';
import { CATEGORY_RANK, compareRank, hostSpecificity, type RankKey } from './precedence.js';
import { buildPrefixTrie, trieBytes, type PrefixTrie, type TriePrefix } from './prefix-trie.js';
import { tenantPatterns } from './tenant.js';

export interface CompileOptions {
  readonly precedence: Precedence;
  readonly tenantName?: string | undefined;
}

/**
 * The immutable index a Classifier looks up in. Pair ids are ranks: lower is better.
 *
 * Layout:
 *   hostPairSet / ipPairSet          Int32Array   pair id → set index in `sets`
 *   hostPairPattern / ipPairPrefix   string[]     pair id → the pattern or canonical prefix
 *   answers.host / hostIp / ip       frozen Classification per pair id, built here so a lookup allocates nothing
 */
export interface CompiledIndex {
  readonly version: string;
  readonly precedence: Precedence;
  readonly tenantName: string | undefined;
  readonly sets: readonly EndpointSet[];
  readonly ports: PortTable;
  readonly hosts: HostMatcher;
  readonly v4: PrefixTrie;
  readonly v6: PrefixTrie;
  readonly hostPairSet: Int32Array;
  readonly hostPairPattern: readonly string[];
  readonly ipPairSet: Int32Array;
  readonly ipPairPrefix: readonly string[];
  readonly answers: {
    readonly host: readonly Classification[];
    readonly hostIp: readonly Classification[];
    readonly ip: readonly Classification[];
    readonly none: Classification;
  };
  /** Bytes held by the index (typed arrays exactly; strings and objects estimated). */
  readonly memoryBytes: number;
  readonly buildMs: number;
}

const ACTION: Readonly<Record<Category, Action>> = { Optimize: 'bypass', Allow: 'direct', Default: 'default' };

function answer(set: EndpointSet, matchedBy: MatchedBy, matched: string, version: string): Classification {
  return Object.freeze({
    m365: true,
    category: set.category,
    serviceArea: set.serviceArea,
    endpointSetId: set.id,
    expressRoute: set.expressRoute,
    required: set.required,
    matchedBy,
    matched,
    action: ACTION[set.category],
    version,
  });
}

export function notM365(version: string): Classification {
  return Object.freeze({
    m365: false,
    category: null,
    serviceArea: null,
    endpointSetId: null,
    expressRoute: null,
    required: null,
    matchedBy: null,
    matched: null,
    action: 'none',
    version,
  });
}

// A pair is its own rank key: one object per pair keeps the build's garbage down.
interface HostPair extends RankKey {
  readonly set: number;
  readonly pattern: string;
}
interface IpPair extends RankKey {
  readonly set: number;
  readonly prefix: string;
  readonly family: 4 | 6;
  readonly words: Uint32Array;
}

/** Builds the index from a validated snapshot. Pays everything here so the lookup never has to. */
export function compileIndex(snapshot: Snapshot, options: CompileOptions): CompiledIndex {
  const t0 = performance.now();
  const { precedence } = options;
  const tenant = options.tenantName;
  const sets = snapshot.sets;
  const version = snapshot.version;

  const hostPairs: HostPair[] = [];
  const ipPairs: IpPair[] = [];
  sets.forEach((s, set) => {
    const category = CATEGORY_RANK[s.category];
    const patterns = new Set(s.urls.flatMap((u) => tenantPatterns(u, tenant)));
    for (const pattern of patterns) {
      hostPairs.push({ set, pattern, specificity: hostSpecificity(pattern), category, setId: s.id, text: pattern });
    }
    for (const prefix of s.ips) {
      const slash = prefix.indexOf('/');
      const addr = prefix.slice(0, slash);
      const words = new Uint32Array(4);
      const family = addr.includes(':') ? 6 : 4;
      if (family === 6) parseIPv6(addr, words);
      else words[0] = parseIPv4(addr);
      ipPairs.push({ set, prefix, family, words, specificity: Number(prefix.slice(slash + 1)), category, setId: s.id, text: '' });
    }
  });
  const cmp = compareRank(precedence);
  hostPairs.sort(cmp);
  ipPairs.sort(cmp);

  const pairsByPattern = new Map<string, number[]>();
  hostPairs.forEach((p, id) => {
    const list = pairsByPattern.get(p.pattern);
    if (list) list.push(id);
    else pairsByPattern.set(p.pattern, [id]);
  });
  const v4Prefixes: TriePrefix[] = [];
  const v6Prefixes: TriePrefix[] = [];
  ipPairs.forEach((p, pair) => (p.family === 4 ? v4Prefixes : v6Prefixes).push({ words: p.words, length: p.specificity, pair }));
  const hosts = buildHostMatcher(pairsByPattern);
  const ports = buildPortTable(sets);
  const ipPairSet = Int32Array.from(ipPairs, (p) => p.set);
  const v4 = buildPrefixTrie(v4Prefixes, ports, ipPairSet);
  const v6 = buildPrefixTrie(v6Prefixes, ports, ipPairSet);

  const answers = {
    host: hostPairs.map((p) => answer(sets[p.set]!, 'host', p.pattern, version)),
    hostIp: hostPairs.map((p) => answer(sets[p.set]!, 'host+ip', p.pattern, version)),
    ip: ipPairs.map((p) => answer(sets[p.set]!, 'ip', p.prefix, version)),
    none: notM365(version),
  };
  const hostPairSet = Int32Array.from(hostPairs, (p) => p.set);
  // ~200 bytes per frozen answer object (10 properties, shared strings)
  const memoryBytes =
    trieBytes(v4) +
    trieBytes(v6) +
    hostMatcherBytes(hosts) +
    ports.portColumn.byteLength +
    ports.setBits.byteLength +
    hostPairSet.byteLength +
    ipPairSet.byteLength +
    (2 * hostPairs.length + ipPairs.length) * 200;

  return {
    version,
    precedence,
    tenantName: tenant,
    sets,
    ports,
    hosts,
    v4,
    v6,
    hostPairSet,
    hostPairPattern: hostPairs.map((p) => p.pattern),
    ipPairSet,
    ipPairPrefix: ipPairs.map((p) => p.prefix),
    answers,
    memoryBytes,
    buildMs: performance.now() - t0,
  };
}
