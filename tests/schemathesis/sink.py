"""A loopback SMS endpoint for the schemathesis run: answers every POST
with 200 and a message id, so the http-sms connector's sends succeed.
Writes its port to the file named by its first argument."""

import http.server
import itertools
import json
import sys

counter = itertools.count(1)


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = json.dumps({"id": f"sink-{next(counter)}"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
with open(sys.argv[1], "w") as out:
    out.write(str(server.server_address[1]))
server.serve_forever()
