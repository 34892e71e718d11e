/**
 * The baseline of the service benchmark: a bare fastify app whose routes return a constant
 * body of a given size, with nothing of ours in the path (no schema, no hooks, no parsing).
 *   GET  /bare?size=N  → N bytes of JSON
 *   POST /bare?size=N  → reads the body without parsing it, answers N bytes of JSON
 * Run as a child process: node bare-server.js PORT
 */
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const bodies = new Map<number, Buffer>();

/** JSON of exactly `size` bytes (size >= 12), as a Buffer: the cheapest thing to send, as ours are. */
function bodyOf(size: number): Buffer {
  let b = bodies.get(size);
  if (b === undefined) {
    b = Buffer.from(`{"pad":"${'x'.repeat(Math.max(0, size - 10))}"}`);
    bodies.set(size, b);
  }
  return b;
}

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, _body, done) => done(null, null));
app.get<{ Querystring: { size?: string } }>('/bare', (req, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(bodyOf(Number(req.query.size ?? 200)));
});
app.post<{ Querystring: { size?: string } }>('/bare', (req, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(bodyOf(Number(req.query.size ?? 200)));
});

await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
