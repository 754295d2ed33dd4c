import t from 'tap';
import { decodeIpv4, decodeIpv6, formatEndpoint, parseNetTcp, tcpStateName } from '../../src/harness/probes/parse-net-tcp.js';
import { captured, fixture } from './fixtures.js';

t.test('captured /proc/net/tcp: listener, both ends of a connection, TIME_WAIT without inode', async (t) => {
  const rows = parseNetTcp(fixture('net-tcp.txt'));
  t.equal(rows.length, 6);
  t.same(
    rows.find((r) => r.inode === 13681),
    { localAddress: '127.0.0.1', localPort: captured.p4, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN', inode: 13681 },
  );
  t.same(
    rows.find((r) => r.inode === 13683),
    {
      localAddress: '127.0.0.1',
      localPort: captured.c4,
      remoteAddress: '127.0.0.1',
      remotePort: captured.p4,
      state: 'ESTABLISHED',
      inode: 13683,
    },
  );
  t.match(
    rows.find((r) => r.inode === 13685),
    { localPort: captured.p4, remotePort: captured.c4, state: 'ESTABLISHED' },
  );
  t.equal(rows.filter((r) => r.state === 'TIME_WAIT' && r.inode === 0).length, 2);
});

t.test('captured /proc/net/tcp6 on ::1', async (t) => {
  const rows = parseNetTcp(fixture('net-tcp6.txt'));
  t.same(
    rows.find((r) => r.inode === 13682),
    { localAddress: '::1', localPort: captured.p6, remoteAddress: '::', remotePort: 0, state: 'LISTEN', inode: 13682 },
  );
  t.match(
    rows.find((r) => r.inode === 13684),
    { localAddress: '::1', localPort: captured.c6, remoteAddress: '::1', remotePort: captured.p6, state: 'ESTABLISHED' },
  );
});

t.test('hand-made tcp6: v4-mapped, global and link-local addresses, unknown state, malformed row', async (t) => {
  const rows = parseNetTcp(fixture('net-tcp6-handmade.txt'));
  t.equal(rows.length, 4, 'malformed row skipped');
  t.same(rows[0], {
    localAddress: '::ffff:127.0.0.1',
    localPort: 8080,
    remoteAddress: '::ffff:127.0.0.1',
    remotePort: 54321,
    state: 'CLOSE_WAIT',
    inode: 5001,
  });
  t.match(rows[1], { localAddress: '2001:db8::1', localPort: 80, remoteAddress: 'fe80::1:2', remotePort: 50000, state: 'CLOSING' });
  t.match(rows[2], { localAddress: '::', localPort: 22, state: 'LISTEN' });
  t.equal(rows[3]!.state, 'UNKNOWN');
});

t.test('inode filter skips rows before decoding', async (t) => {
  const rows = parseNetTcp(fixture('net-tcp.txt') + fixture('net-tcp6.txt').split('\n').slice(1).join('\n'), new Set([13683, 13686]));
  t.same(rows.map((r) => r.inode).sort(), [13683, 13686]);
});

t.test('decoders and names', async (t) => {
  t.equal(decodeIpv4('0100007F'), '127.0.0.1');
  t.equal(decodeIpv4('00000000'), '0.0.0.0');
  t.equal(decodeIpv4('0101A8C0'), '192.168.1.1');
  t.equal(decodeIpv6('00000000000000000000000000000000'), '::');
  t.equal(decodeIpv6('B80D0120000000000000000001000000'), '2001:db8::1');
  t.equal(tcpStateName('0a'), 'LISTEN');
  t.equal(tcpStateName('08'), 'CLOSE_WAIT');
  t.equal(tcpStateName('0C'), 'NEW_SYN_RECV');
  t.equal(formatEndpoint('::1', 80), '[::1]:80');
  t.equal(formatEndpoint('127.0.0.1', 80), '127.0.0.1:80');
  t.same(parseNetTcp(''), []);
  t.same(parseNetTcp('header only\n'), []);
});
