# A tiny forward proxy for `handoff compare --cmd "python3 tiny-proxy.py {port}"` (proxy mode): forwards
# absolute-form GET requests to loopback origins and relays the response. With --leave-child, the first
# real request starts a `sleep` child that is never waited for nor stopped (it outlives the proxy).
import http.client, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

port = int(sys.argv[1])
leave_child = '--leave-child' in sys.argv[2:]
children = []
lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        url = urlsplit(self.path)
        if url.scheme != 'http' or url.hostname not in ('127.0.0.1', 'localhost'):
            self.send_error(403)
            return
        if leave_child and 'warmup' not in self.path:
            with lock:
                if not children:
                    children.append(subprocess.Popen(['sleep', '60']))
        upstream = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
        try:
            upstream.request('GET', url.path + ('?' + url.query if url.query else ''), headers={'Host': url.netloc})
            res = upstream.getresponse()
            body = res.read()
        finally:
            upstream.close()
        self.send_response(res.status)
        self.send_header('Content-Type', res.getheader('Content-Type', 'text/plain'))
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
