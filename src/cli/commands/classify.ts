import { parseArgs } from 'node:util';
import { createClassifier } from '../../match/create-classifier.js';
import { isFlowError, type Flow, type Precedence } from '../../core/types.js';
import { loadDataOption } from '../load-data.js';

const HELP = `usage: m365fc classify [--data FILE] [--precedence specific-first|category-first] [--tenant NAME]
                       [--ip A] [--host H] [--port N] [--protocol tcp|udp] [--explain]

Prints the classification of one flow as JSON. FILE is a web service response or an m365fc
snapshot; without --data the embedded bootstrap is used. Exit status: 0 classified, 1 invalid
data or flow (the coded error is printed), 2 bad usage.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      precedence: { type: 'string' },
      tenant: { type: 'string' },
      ip: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
      explain: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const classifier = createClassifier(loadDataOption(values.data), {
    precedence: values.precedence as Precedence | undefined,
    tenantName: values.tenant,
  });
  const flow: Flow = { ip: values.ip, host: values.host, port: values.port, protocol: values.protocol };
  const answer = values.explain ? classifier.explain(flow) : classifier.classify(flow);
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  return 'error' in answer && isFlowError(answer) ? 1 : 0;
}
