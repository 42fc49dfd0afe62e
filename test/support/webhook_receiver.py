#!/usr/bin/env python3
"""A real HTTP receiver for webhook tests: appends each POST body as one
line to FILE and answers 200, except the first FAIL requests (answered
500) and, with --slow S, each answer delayed by S seconds.
Usage: webhook_receiver.py PORT FILE [--fail N] [--slow S]"""
import argparse
import http.server
import time

p = argparse.ArgumentParser()
p.add_argument("port", type=int)
p.add_argument("file")
p.add_argument("--fail", type=int, default=0)
p.add_argument("--slow", type=float, default=0)
args = p.parse_args()
seen = {"n": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen["n"] += 1
        time.sleep(args.slow)
        if seen["n"] <= args.fail:
            self.send_response(500)
            self.end_headers()
            return
        with open(args.file, "ab") as f:
            f.write(self.headers.get("Content-Type", "").encode() + b" " + body + b"\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


with open(args.file + ".ready", "w") as f:
    pass
http.server.HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
