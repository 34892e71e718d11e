import cluster from 'node:cluster';
import { runPrimary, runUntilSignal } from '../../serve/cluster.js';
import { optionsHelp, resolveServeConfig, SERVE_OPTIONS } from '../../serve/config.js';
import { startServer } from '../../serve/server.js';

const HELP = `usage: m365fc serve [options]

Runs the classifier service (HTTP and WebSocket, described by openapi.yaml). Each option can
also come from its environment variable or from the JSON file of --config (camelCase keys);
a flag beats the environment, which beats the file. SIGTERM or SIGINT drains and stops.

options:                      environment:
${optionsHelp(SERVE_OPTIONS)}
`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = resolveServeConfig(argv, process.env);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config);
  return runUntilSignal(await startServer(config));
}
