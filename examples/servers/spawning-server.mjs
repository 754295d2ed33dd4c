// A Node HTTP server that runs a helper process for each request.
//   node spawning-server.mjs PORT           clean: the helper is awaited before the answer
//   node spawning-server.mjs PORT --leak    the bug: the helper is detached and never awaited or killed,
//                                           so it outlives the request and, on shutdown, the server
import { spawn } from 'node:child_process';
import http from 'node:http';

const port = Number(process.argv[2]);
const leak = process.argv.includes('--leak');

const server = http.createServer((req, res) => {
  const helper = spawn('sleep', [leak ? '300' : '0.01'], { stdio: 'ignore', detached: leak });
  if (leak) {
    helper.unref();
    res.end('started a helper\n');
  } else {
    helper.on('exit', () => res.end('helper done\n'));
  }
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
