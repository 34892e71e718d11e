import cluster from 'node:cluster';
import { runPrimary, runUntilSignal } from '../../serve/cluster.js';
import { optionsHelp, resolveServeConfig, SERVE_OPTIONS, type ServeConfig } from '../../serve/config.js';
import { expandBooleanFlags, FOLLOW_OPTIONS, followConfig, usableDefaultStateDir } from '../../follow/options.js';
import { Follower } from '../../follow/follower.js';
import { startServer } from '../../serve/server.js';

const HELP = `usage: m365fc serve [options]

Runs the classifier service (HTTP and WebSocket, described by openapi.yaml). Each option can
also come from its environment variable or from the JSON file of --config (camelCase keys);
a flag beats the environment, which beats the file. SIGTERM or SIGINT drains and stops.
SIGHUP re-reads the state dir (or the --data file) through the same gates as an update; what a
gate refuses is logged and the data in use stays.

options:                      environment:
${optionsHelp(SERVE_OPTIONS)}

following Microsoft's web service (by default; not with --offline, and with --data only when
--upstream is given too, and then the file is only the starting data). Without --state-dir the
state is kept in $XDG_STATE_HOME/m365fc, else ~/.local/state/m365fc. Without network the service
starts on its last-known-good or embedded data, says why updates fail, and keeps trying:
${optionsHelp(FOLLOW_OPTIONS)}
`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = resolveServeConfig(expandBooleanFlags(argv, FOLLOW_OPTIONS), process.env, FOLLOW_OPTIONS);
  if (config.workers > 1 && cluster.isPrimary) {
    // The primary has no data: it hands SIGHUP to every worker, which re-reads for itself.
    const hup = (): void => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    };
    process.on('SIGHUP', hup);
    try {
      return await runPrimary(config);
    } finally {
      process.off('SIGHUP', hup);
    }
  }
  try {
    return await serve(config);
  } catch (err) {
    // A worker's IPC channel would keep it alive after a failed start; the primary waits for its exit.
    if (cluster.isWorker) cluster.worker?.disconnect();
    throw err;
  }
}

async function serve(config: ServeConfig): Promise<number> {
  // Following upstream (src/follow/follower.ts): the starting data, the updater, webhooks.
  // The default state dir only when following without one (--offline and --data touch nothing).
  const fallback = config.extra['stateDir'] === null && config.extra['offline'] !== true && (config.data === null || config.extra['upstream'] !== null);
  const byDefault = fallback ? usableDefaultStateDir(process.env) : { dir: null, warning: null };
  const follow = followConfig(config.extra, { tenant: config.tenant, data: config.data, defaultStateDir: byDefault.dir });
  if (byDefault.warning !== null) process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg: byDefault.warning })}\n`);
  // systemd's ExecReload: re-read through the gates; lookups and WebSockets carry on. Installed
  // first, so that a SIGHUP during start-up does not kill the process (it is ignored then).
  let follower: Follower | null = null;
  const hup = (): void => {
    void follower?.reload('signal').catch((err: unknown) => process.stderr.write(`m365fc serve: reload failed: ${String(err)}\n`));
  };
  process.on('SIGHUP', hup);
  try {
    follower = await Follower.open({ data: config.data, precedence: config.precedence, follow });
  } catch (err) {
    process.off('SIGHUP', hup);
    throw err;
  }
  const server = await startServer(config, { liveIndex: follower.liveIndex }).catch(async (err: unknown) => {
    process.off('SIGHUP', hup);
    await follower?.stop();
    throw err;
  });
  follower.start(server.app.log);
  try {
    return await runUntilSignal(server);
  } finally {
    process.off('SIGHUP', hup);
    await follower.stop();
  }
}
