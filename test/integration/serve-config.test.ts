import { describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createClassifier, readDataFile } from '../../src/index.js';
import { isM365Error } from '../../src/core/errors.js';
import { resolveServeConfig, type OptionSpec } from '../../src/serve/config.js';
import { realResponsePath } from '../support/data.js';
import { expectResponse } from '../support/openapi.js';
import { call, startTestServer, tempFile } from './helpers.js';

/** `m365fc serve` options: flags beat the environment, which beats the config file. */

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return isM365Error(err) ? err.code : `not coded: ${String(err)}`;
  }
}

describe('resolveServeConfig', () => {
  it('has the documented defaults', () => {
    const c = resolveServeConfig([], {});
    expect(c).toMatchObject({ port: 8365, host: '127.0.0.1', workers: 1, data: null, precedence: 'specific-first', tenant: null, tokenFile: null, adminTokenFile: null });
    expect(c.limits.bodyBytes).toBe(2 * 1024 * 1024);
  });

  it('flag > environment > config file > default', () => {
    const file = tempFile('serve.json', JSON.stringify({ port: 9002, host: '0.0.0.0', tenant: 'contoso', workers: 3 }));
    expect(resolveServeConfig(['--config', file], {})).toMatchObject({ port: 9002, host: '0.0.0.0', tenant: 'contoso', workers: 3 });
    expect(resolveServeConfig([], { M365FC_CONFIG: file, M365FC_PORT: '9000' })).toMatchObject({ port: 9000, host: '0.0.0.0' });
    expect(resolveServeConfig(['--port', '9001'], { M365FC_CONFIG: file, M365FC_PORT: '9000' })).toMatchObject({ port: 9001 });
    expect(resolveServeConfig(['--port=9003', '--workers', '2'], {})).toMatchObject({ port: 9003, workers: 2 });
  });

  it('refuses bad values with M365FC_ERR_CONFIG_BAD_OPTION', () => {
    const bad: Array<[string[], Record<string, string>]> = [
      [['--port', '70000'], {}],
      [['--port', 'http'], {}],
      [['--workers', '0'], {}],
      [['--precedence', 'loudest-first'], {}],
      [['--nope'], {}],
      [['serve'], {}],
      [[], { M365FC_PORT: '-1' }],
      [[], { M365FC_LOG_LEVEL: 'chatty' }],
      [['--config', tempFile('bad.json', '{"port": 1, "typo": 2}')], {}],
      [['--config', tempFile('bad.json', '[1]')], {}],
      [['--config', tempFile('bad.json', 'port=1')], {}],
      [['--config', '/nonexistent/serve.json'], {}],
      [['--config', tempFile('bad.json', '{"port": "8365x"}')], {}],
    ];
    for (const [argv, env] of bad) expect(codeOf(() => resolveServeConfig(argv, env)), JSON.stringify([argv, env])).toBe('M365FC_ERR_CONFIG_BAD_OPTION');
  });

  it('passes extra options through for the updater wiring', () => {
    const extra: OptionSpec[] = [{ key: 'stateDir', flag: 'state-dir', env: 'M365FC_STATE_DIR', kind: 'string', default: null, help: 'x' }];
    expect(resolveServeConfig(['--state-dir', '/var/lib/m365fc'], {}, extra).extra).toEqual({ stateDir: '/var/lib/m365fc' });
    expect(resolveServeConfig([], {}, extra).extra).toEqual({ stateDir: null });
    expect(() => resolveServeConfig([], {}, [{ ...extra[0]!, flag: 'port' }])).toThrow();
  });
});

describe('data, precedence and tenant options', () => {
  it('serves --data with --precedence and --tenant as the engine built the same way', async () => {
    const path = realResponsePath('worldwide-commit20200531.json');
    const server = await startTestServer(['--data', path, '--precedence', 'category-first', '--tenant', 'contoso']);
    const pool = new Pool(server.url);
    try {
      const engine = createClassifier(readDataFile(path), { precedence: 'category-first', tenantName: 'contoso' });
      const v = await call(pool, 'GET', '/v1/version');
      expectResponse('/v1/version', 'GET', 200, v.body);
      expect(v.body).toMatchObject({ source: 'file', precedence: 'category-first', tenant: 'contoso', sets: engine.snapshot.sets.length });
      for (const host of ['contoso.sharepoint.com', 'contoso-my.sharepoint.com', 'autodiscover.contoso.onmicrosoft.com', 'outlook.office.com']) {
        const r = await call(pool, 'GET', `/v1/classify?host=${host}&port=443`);
        expect(r.body, host).toEqual(engine.classify({ host, port: 443 }));
      }
    } finally {
      await pool.close();
      await server.close();
    }
  });

  it('a bad data file stops the start with its ingest code', async () => {
    const err = await startTestServer(['--data', tempFile('bad.json', '[{"id": 1}')]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isM365Error(err) && err.code.startsWith('M365FC_ERR_INGEST_')).toBe(true);
  });
});
