import type { CompiledIndex } from '../compile/compile-index.js';
import { CATEGORY_RANK } from '../compile/precedence.js';
import { globToRegExp, literalCount } from '../core/globs.js';
import { formatPorts } from '../core/ports.js';
import { isFlowError, type Category, type Classification, type EndpointSet, type Flow, type FlowError } from '../core/types.js';
import type { Classifier } from './classifier.js';
import { setHasColumn } from '../compile/port-table.js';
import { portColumn, PROTO_UDP, trieListV4, trieListV6 } from './lookup.js';
import { normalizeHost } from './normalize-host.js';
import { isIPv4Mapped, parseIPv4, parseIPv6 } from '../core/addresses.js';
import { parsePortField, parseProtocolField } from './flow-fields.js';

export interface Candidate {
  readonly endpointSetId: number;
  readonly category: Category;
  readonly serviceArea: string;
  readonly matchedBy: 'host' | 'ip';
  readonly matched: string;
  readonly eligible: boolean;
  readonly won: boolean;
  readonly reason: string;
}

export interface Explanation {
  readonly result: Classification;
  readonly flow: { ip: string | null; host: string | null; port: number | null; protocol: 'tcp' | 'udp' | null };
  readonly candidates: Candidate[];
}

// Compiled globs per index, for the explain path only (not the lookup path).
const globCache = new WeakMap<CompiledIndex, RegExp[]>();

function globsOf(ix: CompiledIndex): RegExp[] {
  let g = globCache.get(ix);
  if (!g) {
    g = ix.hostPairPattern.map(globToRegExp);
    globCache.set(ix, g);
  }
  return g;
}

function ineligibleReason(set: EndpointSet, port: number, proto: number): string {
  const field = proto === PROTO_UDP ? 'udpPorts' : 'tcpPorts';
  const ranges = proto === PROTO_UDP ? set.udpPorts : set.tcpPorts;
  const listed = ranges.length ? formatPorts(ranges) : 'none';
  if (port === 0) return `set lists no ${proto === PROTO_UDP ? 'udp' : 'tcp'} port`;
  return `port ${port}/${proto === PROTO_UDP ? 'udp' : 'tcp'} not in ${field} (${listed})`;
}

function lostTo(loser: Candidate, winner: Candidate, precedence: string): string {
  const w = `set ${winner.endpointSetId} ${winner.matched}`;
  if (loser.matchedBy !== winner.matchedBy) return `the host verdict (${w}) decides before any ip match`;
  const catWin = CATEGORY_RANK[winner.category] < CATEGORY_RANK[loser.category];
  let specific: string | null = null;
  if (loser.matchedBy === 'host') {
    const we = !winner.matched.includes('*');
    const le = !loser.matched.includes('*');
    if (we && !le) specific = 'an exact host beats any wildcard';
    else if (!we && !le && literalCount(winner.matched) > literalCount(loser.matched)) {
      specific = `more literal characters (${literalCount(winner.matched)} > ${literalCount(loser.matched)})`;
    }
  } else {
    const wl = Number(winner.matched.split('/')[1]);
    const ll = Number(loser.matched.split('/')[1]);
    if (wl > ll) specific = `longer prefix (/${wl} > /${ll})`;
  }
  const category = catWin ? `higher category (${winner.category} > ${loser.category})` : null;
  const why = precedence === 'category-first' ? (category ?? specific) : (specific ?? category);
  return `outranked by ${w}: ${why ?? 'same rank, lower set id wins'}`;
}

/**
 * Every candidate set for a flow and why it won or lost. Off the lookup path: allocates freely.
 */
export function explainFlow(c: Classifier, flow: Flow): Explanation | FlowError {
  const result = c.classify(flow);
  if (isFlowError(result)) return result;
  const ix = c.index;
  const port = parsePortField(flow.port);
  const proto = parseProtocolField(flow.protocol);
  const column = portColumn(ix.ports, port, proto);
  const host = typeof flow.host === 'string' ? (normalizeHost(flow.host) as string) : null;
  const candidates: Candidate[] = [];
  const make = (set: EndpointSet, matchedBy: 'host' | 'ip', matched: string, ok: boolean, won: boolean, reason: string): Candidate => ({
    endpointSetId: set.id,
    category: set.category,
    serviceArea: set.serviceArea,
    matchedBy,
    matched,
    eligible: ok,
    won,
    reason,
  });
  const wonBy = (kind: 'host' | 'ip', matched: string, setId: number): boolean =>
    result.m365 && result.endpointSetId === setId && result.matched === matched && (result.matchedBy === kind || (kind === 'host' && result.matchedBy === 'host+ip'));

  if (host !== null) {
    const globs = globsOf(ix);
    ix.hostPairPattern.forEach((pattern, pair) => {
      if (!globs[pair]!.test(host)) return;
      const set = ix.sets[ix.hostPairSet[pair]!]!;
      const ok = setHasColumn(ix.ports, ix.hostPairSet[pair]!, column);
      const won = ok && wonBy('host', pattern, set.id);
      candidates.push(make(set, 'host', pattern, ok, won, ok ? (won ? 'best-ranked eligible host match' : '') : ineligibleReason(set, port, proto)));
    });
  }
  let ipText: string | null = null;
  if (typeof flow.ip === 'string') {
    ipText = flow.ip;
    const words = new Uint32Array(4);
    let list = 0;
    let trie = ix.v4;
    if (!flow.ip.includes(':')) list = trieListV4(ix.v4, parseIPv4(flow.ip));
    else if (parseIPv6(flow.ip, words) && isIPv4Mapped(words)) list = trieListV4(ix.v4, words[3]!);
    else {
      trie = ix.v6;
      list = trieListV6(ix.v6, words);
    }
    for (let k = trie.listStart[list]!; k < trie.listStart[list + 1]!; k++) {
      const pair = trie.listPairs[k]!;
      const set = ix.sets[ix.ipPairSet[pair]!]!;
      const prefix = ix.ipPairPrefix[pair]!;
      const ok = setHasColumn(ix.ports, ix.ipPairSet[pair]!, column);
      const won = ok && wonBy('ip', prefix, set.id);
      candidates.push(make(set, 'ip', prefix, ok, won, ok ? (won ? 'best-ranked eligible ip match' : '') : ineligibleReason(set, port, proto)));
    }
  }
  const winner = candidates.find((x) => x.won);
  const explained = candidates.map((x) =>
    x.eligible && !x.won ? { ...x, reason: winner ? lostTo(x, winner, ix.precedence) : 'not chosen' } : x,
  );
  return {
    result,
    flow: { ip: ipText, host, port: port === 0 ? null : port, protocol: proto === 0 ? null : proto === PROTO_UDP ? 'udp' : 'tcp' },
    candidates: explained,
  };
}
