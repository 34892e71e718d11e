import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithTools, pool, realData, renderText, run, tempDir, toolPath } from './tools.js';

/** `dnsmasq --test` reads the dnsmasq export (nftset= and ipset= forms, with and without a tenant) as dnsmasq would at start. */

const VARIANTS: Array<Record<string, string>> = [{}, { setType: 'ipset' }, { tenant: 'contoso', category: 'Optimize,Allow' }, { family: 'ipv4', table: 'o365' }];

describeWithTools('dnsmasq --test accepts the dnsmasq export', ['dnsmasq'], () => {
  const tmp = tempDir('dnsmasq');
  afterAll(tmp.remove);
  const dnsmasq = toolPath('dnsmasq')!;

  it('refuses a malformed line (the check can fail)', async () => {
    const file = join(tmp.dir, 'control.conf');
    // dnsmasq 2.90 reads the set list leniently; an empty one is an error.
    writeFileSync(file, 'nftset=/outlook.office.com/\n');
    const r = await run(dnsmasq, ['--test', '-C', file]);
    expect(r.code).not.toBe(0);
  });

  for (const { name, snapshot } of realData()) {
    it(`${name}: every variant passes the syntax check`, async () => {
      const results = await pool(VARIANTS, 2, async (options, k) => {
        const text = await renderText('dnsmasq', snapshot, options);
        expect(text).toMatch(/^(nftset|ipset)=\//m);
        const file = join(tmp.dir, `${name}-${k}.conf`);
        writeFileSync(file, text);
        const r = await run(dnsmasq, ['--test', '-C', file]);
        return { options, code: r.code, out: (r.stdout + r.stderr).trim() };
      });
      for (const r of results) expect(r, JSON.stringify(r.options)).toMatchObject({ code: 0, out: 'dnsmasq: syntax check OK.' });
    });
  }
});
