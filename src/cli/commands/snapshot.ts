import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkInstance, checkVersion } from '../../ingest/parse-endpoints.js';
import { readDataFile, serializeSnapshot } from '../../ingest/snapshot-file.js';

const HELP = `usage: m365fc snapshot --data FILE --out FILE [--version YYYYMMDDNN] [--instance NAME]
                       [--fetched-at ISO-DATE] [--origin TEXT]

Validates a web service response (or a snapshot) and writes it in the project's compact,
normalized snapshot format. A response carries no version of its own: give --version when it
is known; otherwise the snapshot says 0000000000 (unknown), which any live version replaces.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      version: { type: 'string' },
      instance: { type: 'string' },
      'fetched-at': { type: 'string' },
      origin: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.data === undefined || values.out === undefined) {
    process.stderr.write(HELP);
    return 2;
  }
  const snapshot = readDataFile(values.data, {
    version: values.version === undefined ? undefined : checkVersion(values.version),
    instance: values.instance === undefined ? undefined : checkInstance(values.instance),
    fetchedAt: values['fetched-at'] ?? null,
    ...(values.origin !== undefined ? { origin: values.origin } : {}),
  });
  writeFileSync(values.out, serializeSnapshot(snapshot));
  const ips = snapshot.sets.reduce((n, s) => n + s.ips.length, 0);
  const urls = snapshot.sets.reduce((n, s) => n + s.urls.length, 0);
  process.stderr.write(`m365fc: wrote ${values.out}: ${snapshot.instance} version ${snapshot.version}, ${snapshot.sets.length} sets, ${ips} prefixes, ${urls} urls\n`);
  return 0;
}
