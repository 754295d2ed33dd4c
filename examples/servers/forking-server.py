# The classic process-per-connection server: Python's stdlib ForkingMixIn, the parent accepts, a child serves.
#   python3 forking-server.py PORT             clean: the parent closes its copy of each socket after the fork
#   python3 forking-server.py PORT --leak      the textbook bug: the parent keeps its copy, so a client never
#                                              sees EOF from the child alone and the parent's fds grow
import http.server, socketserver, sys

port = int(sys.argv[1])
leak = '--leak' in sys.argv
kept = []

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        body = b'hello from pid-per-connection\n'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

class Server(socketserver.ForkingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    def close_request(self, request):
        # ForkingMixIn calls this in the parent right after the fork: skipping it is the leak
        if leak:
            kept.append(request)
        else:
            super().close_request(request)

with Server(('127.0.0.1', port), Handler) as server:
    server.serve_forever()
