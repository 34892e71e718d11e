import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { prefixInterval } from '../../src/core/prefixes.js';
import { addressText } from './addresses.js';
import { describeWithTools, realData, renderText, run, tempDir, toolPath } from './tools.js';

/**
 * The WireGuard form of the split-tunnel export in wireguard-tools: `wg-quick strip` reads the
 * whole config, `wg setconf` on a wireguard-go interface takes the AllowedIPs exactly as exported,
 * and in a network namespace with a default route on a veth link, `wg-quick up` routes the peer's
 * endpoint, the --exclude ranges and the Optimize prefixes outside the tunnel and the rest into it
 * (`ip route get`). A control without --endpoint shows the endpoint going into the tunnel.
 */

const IFACE = 'm365wg';
const ENDPOINT = '203.0.113.7';

function allowedOf(conf: string): string[] {
  return conf
    .split('\n')
    .filter((l) => l.startsWith('AllowedIPs = '))
    .flatMap((l) => l.slice('AllowedIPs = '.length).split(', '));
}

describeWithTools(
  'wg-quick and wg accept the WireGuard split-tunnel export, and its routes keep the endpoint outside the tunnel',
  ['wg', 'wg-quick', 'wireguard-go', 'ip', 'unshare'],
  () => {
    const tmp = tempDir('wg');
    afterAll(tmp.remove);
    const wg = toolPath('wg')!;
    const unshare = toolPath('unshare')!;

    async function config(peer: string, withEndpoint = true): Promise<string> {
      const priv = (await run(wg, ['genkey'])).stdout.trim();
      const peerPub = (await run('sh', ['-c', `"${wg}" genkey | "${wg}" pubkey`])).stdout.trim();
      return ['[Interface]', `PrivateKey = ${priv}`, 'Address = 10.99.0.2/32', '', '[Peer]', `PublicKey = ${peerPub}`, ...(withEndpoint ? [`Endpoint = ${ENDPOINT}:51820`] : []), peer].join('\n');
    }

    for (const { name, snapshot } of realData()) {
      it(`${name}: wg-quick strip reads it; wg setconf on wireguard-go holds exactly the exported AllowedIPs`, async () => {
        const peer = await renderText('split-tunnel', snapshot, { format: 'wireguard', endpoint: `${ENDPOINT}:51820`, exclude: '192.168.0.0/16,fd00::/8' });
        // wg-quick wants FILE named INTERFACE.conf.
        mkdirSync(join(tmp.dir, name));
        const file = join(tmp.dir, name, `${IFACE}.conf`);
        writeFileSync(file, await config(peer), { mode: 0o600 });
        const stripped = await run(toolPath('wg-quick')!, ['strip', file]);
        expect(stripped.code, stripped.stderr).toBe(0);
        const strippedFile = join(tmp.dir, `${name}.stripped.conf`);
        writeFileSync(strippedFile, stripped.stdout, { mode: 0o600 });
        const wgGo = toolPath('wireguard-go')!;
        const r = await run(unshare, ['-n', 'sh', '-c', `"${wgGo}" ${IFACE} 2>/dev/null && "${wg}" setconf ${IFACE} "${strippedFile}" && "${wg}" show ${IFACE} allowed-ips; s=$?; ip link del ${IFACE}; exit $s`]);
        expect(r.code, r.stderr).toBe(0);
        const held = r.stdout.trim().split(/\s+/).slice(1);
        expect(new Set(held)).toEqual(new Set(allowedOf(peer)));
      });
    }

    it('2020-05 data in a namespace: wg-quick up keeps the endpoint, --exclude and every Optimize prefix out of the tunnel; without --endpoint the endpoint goes in', async () => {
      const { snapshot } = realData()[2]!;
      const dir = join(tmp.dir, 'route');
      const control = join(tmp.dir, 'control');
      mkdirSync(dir);
      mkdirSync(control);
      const peer = await renderText('split-tunnel', snapshot, { format: 'wireguard', endpoint: `${ENDPOINT}:51820`, exclude: '192.168.0.0/16' });
      const noEndpoint = await renderText('split-tunnel', snapshot, { format: 'wireguard' });
      writeFileSync(join(dir, `${IFACE}.conf`), await config(peer), { mode: 0o600 });
      writeFileSync(join(control, `${IFACE}.conf`), await config(noEndpoint), { mode: 0o600 });
      chmodSync(dir, 0o700);
      // First and last address of every bypass prefix, an excluded one, the endpoint, and two others.
      const bypass = (await renderText('split-tunnel', snapshot, {})).trim().split('\n');
      const optimize = bypass.flatMap((c) => {
        const p = prefixInterval(c);
        return [addressText(p.family, p.lo), addressText(p.family, p.hi)];
      });
      const probes = [ENDPOINT, '192.168.1.1', '8.8.8.8', '2001:4860::1', ...optimize];
      writeFileSync(join(dir, 'probes'), `${probes.map((a) => `route get ${a}`).join('\n')}\n`);
      const script = [
        'set -e',
        'ip link set lo up',
        'ip link add lan0 type veth peer name lan1',
        'ip link set lan1 up',
        // The endpoint is off-link (a /30 LAN), so only the routes decide where its packets go.
        'ip addr add 198.51.100.2/30 dev lan0',
        'ip link set lan0 up',
        'ip route add default via 198.51.100.1',
        'ip -6 addr add 2001:db8:1::2/64 dev lan0 nodad',
        'ip -6 route add default via 2001:db8:1::1',
        'export WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go',
        `wg-quick up "${join(dir, `${IFACE}.conf`)}" > "${join(dir, 'up.log')}" 2>&1`,
        `ip -batch "${join(dir, 'probes')}"`,
        'echo ---',
        `wg-quick down "${join(dir, `${IFACE}.conf`)}" > /dev/null 2>&1`,
        `wg-quick up "${join(control, `${IFACE}.conf`)}" > "${join(control, 'up.log')}" 2>&1`,
        `ip route get ${ENDPOINT}`,
        `wg-quick down "${join(control, `${IFACE}.conf`)}" > /dev/null 2>&1`,
      ].join('\n');
      const r = await run(unshare, ['-n', 'bash', '-c', script], { timeoutMs: 150_000 });
      expect(r.code, r.stderr).toBe(0);
      const [routed, controlOut] = r.stdout.split('---\n');
      const lines = routed!.trim().split('\n').filter((l) => !/^\s*cache/.test(l));
      const dev = (addr: string): string | undefined => lines.find((l) => l.startsWith(`${addr} `))?.match(/ dev (\S+)/)?.[1];
      expect(dev(ENDPOINT)).toBe('lan0');
      expect(dev('192.168.1.1')).toBe('lan0');
      expect(dev('8.8.8.8')).toBe(IFACE);
      expect(dev('2001:4860::1')).toBe(IFACE);
      const inTunnel = optimize.filter((a) => dev(a) !== 'lan0');
      expect(inTunnel.slice(0, 5), `${inTunnel.length} of ${optimize.length} Optimize addresses not on lan0`).toEqual([]);
      // The control: the old export (no endpoint) routes the tunnel's own packets into the tunnel.
      expect(controlOut).toMatch(new RegExp(`^${ENDPOINT.replace(/\./g, '\\.')} dev ${IFACE} `));
    }, 180_000);
  },
  { netns: true },
);
