import type { CompiledIndex } from '../compile/compile-index.js';
import { ERRORS, type ErrorCode } from '../core/errors.js';
import type { Classification, ClassifyResult, Flow, FlowError, Precedence, Snapshot } from '../core/types.js';
import { bestExactPair, bestHostPair, bestInList, listHasSet, portColumn, PROTO_NONE, trieListV4, trieListV6 } from './lookup.js';
import { HOST_BAD, HOST_HAS_PORT, HOST_IS_IP, HOST_TOO_LONG, normalizeHost } from './normalize-host.js';
import { isIPv4Mapped, parseIPv4, parseIPv6 } from '../core/addresses.js';
import { explainFlow, type Explanation } from './explain.js';
import { parsePortField, parseProtocolField } from './flow-fields.js';

function flowError(code: ErrorCode): FlowError {
  return Object.freeze({ error: Object.freeze({ code, message: ERRORS[code].message }) });
}

// One frozen object per code: an invalid flow costs no allocation either.
const E_NOT_OBJECT = flowError('M365FC_ERR_FLOW_NOT_OBJECT');
const E_NO_TARGET = flowError('M365FC_ERR_FLOW_NO_TARGET');
const E_BAD_IP = flowError('M365FC_ERR_FLOW_BAD_IP');
const E_BAD_PORT = flowError('M365FC_ERR_FLOW_BAD_PORT');
const E_BAD_PROTOCOL = flowError('M365FC_ERR_FLOW_BAD_PROTOCOL');
const HOST_ERRORS: Readonly<Record<number, FlowError>> = {
  [HOST_BAD]: flowError('M365FC_ERR_FLOW_BAD_HOST'),
  [HOST_HAS_PORT]: flowError('M365FC_ERR_FLOW_HOST_HAS_PORT'),
  [HOST_IS_IP]: flowError('M365FC_ERR_FLOW_HOST_IS_IP'),
  [HOST_TOO_LONG]: flowError('M365FC_ERR_FLOW_HOST_TOO_LONG'),
};

/**
 * Answers flows from one immutable CompiledIndex. `classify` never throws: an invalid flow gets a
 * `{ error: { code, message } }` result. Answers are shared frozen objects.
 */
export class Classifier {
  readonly index: CompiledIndex;
  readonly snapshot: Snapshot;
  readonly version: string;
  readonly precedence: Precedence;
  // Scratch for IPv6 text parsing; lookups are synchronous, so one per classifier is enough.
  private readonly words = new Uint32Array(4);

  constructor(snapshot: Snapshot, index: CompiledIndex) {
    this.snapshot = snapshot;
    this.index = index;
    this.version = index.version;
    this.precedence = index.precedence;
  }

  classify(flow: Flow): ClassifyResult {
    if (typeof flow !== 'object' || flow === null || Array.isArray(flow)) return E_NOT_OBJECT;
    const port = parsePortField(flow.port);
    if (port < 0) return E_BAD_PORT;
    const proto = parseProtocolField(flow.protocol);
    if (proto < 0) return E_BAD_PROTOCOL;
    const ip = flow.ip;
    const rawHost = flow.host;
    const hasIp = ip !== undefined && ip !== null;
    const hasHost = rawHost !== undefined && rawHost !== null;
    if (!hasIp && !hasHost) return E_NO_TARGET;

    // family 0: no ip; 4: v4 holds it; 6: this.words holds it
    let family = 0;
    let v4 = 0;
    if (hasIp) {
      if (typeof ip !== 'string') return E_BAD_IP;
      if (ip.indexOf(':') < 0) {
        v4 = parseIPv4(ip);
        if (v4 < 0) return E_BAD_IP;
        family = 4;
      } else {
        if (!parseIPv6(ip, this.words)) return E_BAD_IP;
        if (isIPv4Mapped(this.words)) {
          v4 = this.words[3]!;
          family = 4;
        } else {
          family = 6;
        }
      }
    }
    if (hasHost && typeof rawHost !== 'string') return HOST_ERRORS[HOST_BAD]!;
    return this.decide(family, v4, this.words, port, proto, hasHost ? (rawHost as string) : null);
  }

  /**
   * The binary wire protocol's path: the address already in binary, family 0 none, 4 (`v4`
   * holds it) or 6 (`words` holds it; IPv4-mapped goes to IPv4); port 0 none; proto PROTO_*;
   * host null when absent. Validates the host as classify does; never throws.
   */
  classifyBinary(family: number, v4: number, words: Uint32Array, port: number, proto: number, host: string | null): ClassifyResult {
    if (family === 0 && host === null) return E_NO_TARGET;
    if (family === 6 && isIPv4Mapped(words)) return this.decide(4, words[3]!, words, port, proto, host);
    return this.decide(family, v4 >>> 0, words, port, proto, host);
  }

  private decide(family: number, v4: number, words: Uint32Array, port: number, proto: number, rawHost: string | null): ClassifyResult {
    const ix = this.index;
    const column = portColumn(ix.ports, port, proto);
    if (rawHost !== null) {
      // A published exact host decides before the host is walked (bench/match/hosts, realistic
      // workload: 40 % exact hosts, engine against the Map.get probe 59 → 66 %).
      let pair = ix.precedence === 'specific-first' ? bestExactPair(ix, rawHost, column) : -1;
      if (pair < 0) {
        const host = normalizeHost(rawHost);
        if (typeof host === 'number') return HOST_ERRORS[host]!;
        // the normal form is the raw string itself unless it had upper case or a trailing dot
        pair = bestHostPair(ix, host, column, host === rawHost && ix.precedence === 'specific-first');
      }
      if (pair >= 0) {
        if (family === 0) return ix.answers.host[pair]!;
        const set = ix.hostPairSet[pair]!;
        const has = family === 4 ? listHasSet(ix, ix.v4, trieListV4(ix.v4, v4), set) : listHasSet(ix, ix.v6, trieListV6(ix.v6, words), set);
        return has ? ix.answers.hostIp[pair]! : ix.answers.host[pair]!;
      }
    }
    let pair = -1;
    if (family === 4) pair = bestInList(ix.v4, trieListV4(ix.v4, v4), column);
    else if (family === 6) pair = bestInList(ix.v6, trieListV6(ix.v6, words), column);
    return pair < 0 ? ix.answers.none : ix.answers.ip[pair]!;
  }

  /** Every candidate set for the flow and why it won or lost (for people; not the fast path). */
  explain(flow: Flow): Explanation | FlowError {
    return explainFlow(this, flow);
  }

  /** Binary IPv4 (uint32) fast path. port 0 = none; proto 0 none, 1 tcp, 2 udp. */
  classifyIPv4(addr: number, port = 0, proto = PROTO_NONE): Classification {
    const ix = this.index;
    const pair = bestInList(ix.v4, trieListV4(ix.v4, addr >>> 0), portColumn(ix.ports, port, proto));
    return pair < 0 ? ix.answers.none : ix.answers.ip[pair]!;
  }

  /** Binary IPv6 fast path: four 32-bit words, most significant first. IPv4-mapped goes to IPv4. */
  classifyIPv6(addr: Uint32Array, port = 0, proto = PROTO_NONE): Classification {
    if (isIPv4Mapped(addr)) return this.classifyIPv4(addr[3]!, port, proto);
    const ix = this.index;
    const pair = bestInList(ix.v6, trieListV6(ix.v6, addr), portColumn(ix.ports, port, proto));
    return pair < 0 ? ix.answers.none : ix.answers.ip[pair]!;
  }
}
