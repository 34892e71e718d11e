import { contains, parseAddress } from './addresses.js';
import { inRanges, type DataModel, type ModelSet } from './data-model.js';
import type { ConformanceFlow } from './types.js';

/**
 * Which endpoint sets could decide a flow: a plain scan over every pattern and prefix. The suite
 * never takes its expected answers from here (the reference engine gives those); it uses the
 * count to file a vector under the check it concerns: a flow two sets compete for is a
 * precedence case, whatever else it tests.
 */
export class CandidateScan {
  private readonly regexes = new Map<string, RegExp>();

  constructor(private readonly model: DataModel) {}

  globMatches(pattern: string, host: string): boolean {
    if (!pattern.includes('*')) return pattern === host;
    let re = this.regexes.get(pattern);
    if (re === undefined) {
      const body = pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      re = new RegExp(`^${body}$`);
      this.regexes.set(pattern, re);
    }
    return re.test(host);
  }

  private eligible(s: ModelSet, port: number, proto: 'tcp' | 'udp' | null): boolean {
    const list = proto === 'udp' ? s.udp : s.tcp;
    if (port > 0) return inRanges(list, port);
    if (proto !== null) return list.length > 0;
    return true;
  }

  /**
   * Distinct ids of the eligible sets of the deciding verdict (host first, then ip).
   * `ignorePorts` treats every set as eligible.
   */
  setsFor(flow: ConformanceFlow, ignorePorts = false): number[] {
    const port = ignorePorts || flow.port === undefined ? 0 : Number(flow.port);
    const p = ignorePorts ? undefined : flow.protocol?.toLowerCase();
    const proto = p === 'tcp' || p === 'udp' ? p : null;
    const sets = this.model.sets.filter((s) => this.eligible(s, port, proto));
    if (flow.host !== undefined) {
      const host = flow.host.toLowerCase().replace(/\.$/, '');
      const byHost = sets.filter((s) => s.patterns.some((pat) => this.globMatches(pat, host))).map((s) => s.id);
      if (byHost.length > 0) return byHost;
    }
    if (flow.ip !== undefined) {
      const a = parseAddress(flow.ip);
      if (a !== null) return sets.filter((s) => (a.family === 4 ? s.v4 : s.v6).some((pf) => contains(pf, a))).map((s) => s.id);
    }
    return [];
  }
}
