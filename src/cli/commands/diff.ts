import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { M365Error } from '../../core/errors.js';
import { parseJsonText } from '../../ingest/decode-text.js';
import { diffSnapshots, formatDiff } from '../../ingest/diff.js';
import { checkVersion } from '../../ingest/parse-endpoints.js';
import { readDataFile } from '../../ingest/snapshot-file.js';
import type { ChangeRecord } from '../../ingest/change-records.js';

const HELP = `usage: m365fc diff OLD NEW [--json] [--old-version V] [--new-version V] [--changes FILE]

Prints what changed between two versions of the endpoint data: sets added, removed and
changed; prefixes and hosts added and removed per set; ports, categories and flags changed;
and how much of the IPv4 and IPv6 address space and of the host patterns the new version no
longer covers (what the updater's shrink gate measures). OLD and NEW are web service
responses or m365fc snapshots (the state dir's last-known-good.json is one).

  --json             the diff as JSON (the shape of the change events)
  --old-version V    the version of OLD when it is a bare response (YYYYMMDDNN)
  --new-version V    the same for NEW
  --changes FILE     a saved /changes response: records between the two versions are
                     attached to their sets (impact, effectiveDate)

Exit status: 0 no difference, 1 the data differs, 2 bad usage or unreadable data (as diff(1)).
`;

function readChanges(path: string): ChangeRecord[] {
  const data = parseJsonText(readFileSync(path));
  if (!Array.isArray(data)) throw new M365Error('M365FC_ERR_UPSTREAM_BAD_RESPONSE', `${path} is not a JSON array of change records`, { path });
  return data.filter(
    (r): r is ChangeRecord =>
      typeof r === 'object' && r !== null && typeof (r as ChangeRecord).endpointSetId === 'number' && typeof (r as ChangeRecord).version === 'string',
  ).map((r) => ({ ...r, impact: typeof r.impact === 'string' ? r.impact : null }));
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean' },
        'old-version': { type: 'string' },
        'new-version': { type: 'string' },
        changes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`m365fc diff: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(HELP);
    return 2;
  }
  const [oldPath, newPath] = positionals as [string, string];
  try {
    const version = (v: string | undefined): { version?: string } => (v === undefined ? {} : { version: checkVersion(v) });
    const before = readDataFile(oldPath, version(values['old-version']));
    const after = readDataFile(newPath, version(values['new-version']));
    const records = values.changes === undefined ? [] : readChanges(values.changes);
    const d = diffSnapshots(before, after, records);
    process.stdout.write(values.json ? `${JSON.stringify(d, null, 2)}\n` : formatDiff(d));
    const t = d.totals;
    return t.setsAdded + t.setsRemoved + t.setsChanged === 0 ? 0 : 1;
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`m365fc diff: ${e.code !== undefined ? `${e.code}: ` : ''}${e.message}\n`);
    return 2;
  }
}
