// The smallest honest inline forward proxy on node:http: the yardstick for what `--strategy inline` pays for
// its policy, header hygiene, Via and bookkeeping. Absolute-form http:// requests only, loopback origins only,
// keep-alive both ways. Prints `listening HOST:PORT` like `handoff serve`.
//   node dist/bench/reference/minimal-proxy.js [port]
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

const server = http.createServer((req, res) => {
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    res.writeHead(400).end('absolute-form requests only\n');
    return;
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
    res.writeHead(403).end('loopback http:// origins only\n');
    return;
  }
  const headers = { ...req.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  const upstream = http.request(
    { host: url.hostname, port: url.port || 80, method: req.method, path: url.pathname + url.search, headers, agent },
    (up) => {
      const out = { ...up.headers };
      for (const name of HOP_BY_HOP) delete out[name];
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
    },
  );
  upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end('origin failed\n')));
  req.pipe(upstream);
});
server.keepAliveTimeout = 5_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`listening 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
