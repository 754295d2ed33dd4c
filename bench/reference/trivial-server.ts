// The trivial loopback server the generator headroom is measured against (ours vs wrk): the cheapest
// response node:http can give, so the client side is what saturates first. Prints `listening HOST:PORT`.
//   node dist/bench/reference/trivial-server.js
import http from 'node:http';

const body = Buffer.from('ok\n');
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`listening 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
