import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBootstrapSnapshot } from '../../src/ingest/bootstrap.js';
import type { RunningServer } from '../../src/serve/server.js';
import { call, startTestServer, tempFile } from './helpers.js';

/** `m365fc serve --plugins PATH,...`: exporter plugins served by /v1/export beside the built-ins. */

const IDS_PLUGIN = `export default { name: 'ids', apiVersion: '^1.0.0', contentType: 'text/plain',
  optionsSchema: { type: 'object', properties: { sep: { type: 'string', default: ',' } }, additionalProperties: false },
  render: (view, options) => view.sets.map((s) => s.id).join(options.sep) };\n`;
const WRONG_PLUGIN = `export default { name: 'wrong', apiVersion: '^7.0.0', contentType: 'text/plain',
  optionsSchema: { type: 'object' }, render: () => '' };\n`;

describe('serve --plugins', () => {
  let server: RunningServer | undefined;
  let pool: Pool | undefined;
  afterAll(async () => {
    await pool?.close();
    await server?.close();
  });

  it('serves a plugin exporter with its options, and the built-ins still', async () => {
    server = await startTestServer(['--plugins', tempFile('ids.mjs', IDS_PLUGIN)]);
    pool = new Pool(server.url);
    const ids = loadBootstrapSnapshot().sets.map((s) => s.id);
    const r = await call(pool, 'GET', '/v1/export/ids?sep=%20');
    expect(r.status).toBe(200);
    expect(r.text).toBe(ids.join(' '));
    expect(r.headers['etag']).toBeTypeOf('string');
    const bad = await call(pool, 'GET', '/v1/export/ids?nope=1');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' });
    expect((await call(pool, 'GET', '/v1/export/list')).status).toBe(200);
  });

  it('refuses to start with a plugin of another API version, with its code', async () => {
    await expect(startTestServer(['--plugins', tempFile('wrong.mjs', WRONG_PLUGIN)])).rejects.toMatchObject({ code: 'M365FC_ERR_PLUGIN_API_VERSION' });
  });
});
