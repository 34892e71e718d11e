import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { prefixInterval } from '../../src/core/prefixes.js';
import { ROUTE_UP_MARK } from '../../src/export/tunnel-configs.js';
import { addressText } from './addresses.js';
import { describeWithTools, realData, renderText, run, tempDir, toolPath } from './tools.js';

/**
 * The OpenVPN form of the split-tunnel export in OpenVPN 2.6 itself: a client (static key, no
 * peer needed for its routes) runs in a network namespace with a LAN default route on a veth link
 * and a full tunnel (0.0.0.0/1, 128.0.0.0/1, 2000::/3 into tun0), includes the exported file, and
 * `ip route get` shows where the Optimize prefixes go: the IPv4 ones by the file's route lines,
 * the IPv6 ones by the file's route-up script, all on the LAN, none into tun0. A control shows what
 * the issue measured: `route-ipv6 PREFIX GATEWAY` goes into tun0 whatever the gateway.
 */

const LAN = ['ip link set lo up', 'ip link add lan0 type veth peer name lan1', 'ip link set lan1 up', 'ip addr add 198.51.100.2/30 dev lan0', 'ip link set lan0 up', 'ip route add default via 198.51.100.1', 'ip -6 addr add 2001:db8:1::2/64 dev lan0 nodad', 'ip -6 route add default via 2001:db8:1::1'];

describeWithTools(
  'OpenVPN 2.6 reads the openvpn split-tunnel export and routes its Optimize prefixes outside the tunnel',
  ['openvpn', 'ip', 'unshare'],
  () => {
    const tmp = tempDir('openvpn');
    afterAll(tmp.remove);
    const openvpn = toolPath('openvpn')!;
    const unshare = toolPath('unshare')!;
    const key = join(tmp.dir, 'static.key');

    /**
     * Runs a client with `routes` included and a route-up script of `upLines`; answers OpenVPN's log
     * and `ip route get` of each probe. The route-up script runs once OpenVPN has added its routes
     * (static-key mode needs no peer for that; "Initialization Sequence Completed" would), so its
     * marker file is the signal to look.
     */
    async function runClient(label: string, routes: string, probes: readonly string[], upLines: readonly string[] = []): Promise<{ log: string; route: (addr: string) => string | undefined }> {
      const routesFile = join(tmp.dir, `${label}.routes.conf`);
      writeFileSync(routesFile, routes);
      const conf = join(tmp.dir, `${label}.client.conf`);
      const log = join(tmp.dir, `${label}.log`);
      const pid = join(tmp.dir, `${label}.pid`);
      const marker = join(tmp.dir, `${label}.routes-up`);
      const upScript = join(tmp.dir, `${label}.up.sh`);
      writeFileSync(upScript, ['#!/bin/sh', ...upLines.filter((l) => !l.startsWith('#!')), `touch "${marker}"`, ''].join('\n'));
      chmodSync(upScript, 0o755);
      writeFileSync(
        conf,
        ['dev tun', 'proto udp', 'remote 203.0.113.7 1194', 'nobind', 'ifconfig 10.8.0.2 10.8.0.1', 'ifconfig-ipv6 fd99::2/64 fd99::1', `secret ${key}`, 'cipher AES-256-CBC', 'route 0.0.0.0 128.0.0.0', 'route 128.0.0.0 128.0.0.0', 'route-ipv6 2000::/3', 'script-security 2', `route-up ${upScript}`, `config ${routesFile}`, ''].join('\n'),
      );
      writeFileSync(join(tmp.dir, `${label}.probes`), `${probes.map((a) => `route get ${a}`).join('\n')}\n`);
      const script = [
        ...LAN,
        `"${openvpn}" --config "${conf}" --verb 4 --writepid "${pid}" > "${log}" 2>&1 &`,
        `for i in $(seq 600); do [ -e "${marker}" ] && break; kill -0 $! 2>/dev/null || break; sleep 0.1; done`,
        `[ -e "${marker}" ] || { echo "route-up never ran" >&2; kill $! 2>/dev/null; exit 1; }`,
        `ip -batch "${join(tmp.dir, `${label}.probes`)}"`,
        `kill $(cat "${pid}") 2>/dev/null; wait`,
      ].join('\n');
      const r = await run(unshare, ['-n', 'bash', '-c', script], { timeoutMs: 120_000 });
      const text = readFileSync(log, 'utf8');
      expect(r.code, `${r.stderr}\n${text.slice(-2000)}`).toBe(0);
      const lines = r.stdout.split('\n');
      return { log: text, route: (addr) => lines.find((l) => l.startsWith(`${addr} `))?.match(/ dev (\S+)/)?.[1] };
    }

    it('generates its static key', async () => {
      const r = await run(openvpn, ['--genkey', 'secret', key]);
      expect(r.code, r.stderr).toBe(0);
    });

    for (const { name, snapshot } of realData()) {
      it(`${name}: OpenVPN reads it without a complaint, adds every route line, and the Optimize prefixes (IPv4 by route lines, IPv6 by its route-up script) leave on the LAN`, async () => {
        const routes = await renderText('split-tunnel', snapshot, { format: 'openvpn' });
        expect(routes).not.toMatch(/^route-ipv6/m);
        const up = routes.split('\n').filter((l) => l.startsWith(ROUTE_UP_MARK)).map((l) => l.slice(ROUTE_UP_MARK.length));
        const bypass = (await renderText('split-tunnel', snapshot, {})).trim().split('\n');
        const optimize = bypass.flatMap((c) => {
          const p = prefixInterval(c);
          return [addressText(p.family, p.lo), addressText(p.family, p.hi)];
        });
        const { log, route } = await runClient(name, routes, ['8.8.8.8', '2001:4860::1', ...optimize], up);
        expect(log.split('\n').filter((l) => /Options error|cannot parse|ERROR|WARNING: .*route/i.test(l))).toEqual([]);
        const routeLines = routes.split('\n').filter((l) => l.startsWith('route '));
        // Every route line of the file added (plus the two of the full tunnel).
        expect(log.split('\n').filter((l) => / net_route_v4_add: /.test(l)).length).toBe(routeLines.length + 2);
        expect(route('8.8.8.8')).toBe('tun0');
        expect(route('2001:4860::1')).toBe('tun0');
        const wrong = optimize.filter((a) => route(a) !== 'lan0');
        expect(wrong.slice(0, 5), `${wrong.length} of ${optimize.length} Optimize addresses not on lan0`).toEqual([]);
      }, 150_000);
    }

    it('control: route-ipv6 PREFIX GATEWAY goes into tun0 even with a LAN gateway (why the file has no such line)', async () => {
      const { log, route } = await runClient('control', 'route-ipv6 2603:1006::/40 2001:db8:1::1\n', ['2603:1006::1']);
      expect(log).toMatch(/net_route_v6_add: 2603:1006::\/40 via :: dev tun0/);
      expect(route('2603:1006::1')).toBe('tun0');
    }, 150_000);
  },
  { netns: true },
);
