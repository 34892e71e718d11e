#!/usr/bin/env node
/** m365fc: dispatches `m365fc <command> [options]` to src/cli/commands/<command>.ts. */
import { isM365Error } from '../core/errors.js';

type Command = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  classify: { summary: 'classify one flow and print the answer as JSON', load: () => import('./commands/classify.js') },
  snapshot: { summary: 'write the project snapshot of a web service response', load: () => import('./commands/snapshot.js') },
  export: { summary: 'write a PAC file, split-tunnel routes, firewall lists, CSV or squid ACLs', load: () => import('./commands/export.js') },
  serve: { summary: 'run the classifier service (HTTP and WebSocket, see openapi.yaml)', load: () => import('./commands/serve.js') },
  update: { summary: "check Microsoft's web service once and update the state dir", load: () => import('./commands/update.js') },
  diff: { summary: 'show what changed between two versions of the endpoint data', load: () => import('./commands/diff.js') },
  certify: { summary: 'run the conformance checks against a service and write the reports', load: () => import('./commands/certify.js') },
  analyze: { summary: 'read flow logs and report Microsoft 365 traffic (summary.json, report.html)', load: () => import('./commands/analyze.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: m365fc <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nm365fc <command> --help for a command's options\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`m365fc: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await entry.load()).run(rest);
}

// A reader that goes away (`m365fc export list | head`) is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isM365Error(err)) {
      process.stderr.write(`m365fc: ${err.code}: ${err.message}\n`);
    } else {
      process.stderr.write(`m365fc: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exitCode = 1;
  },
);
