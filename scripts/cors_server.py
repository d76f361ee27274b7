#!/usr/bin/env python3
"""A static file server for the browser suite: serves DIR on 127.0.0.1:PORT
with `Access-Control-Allow-Origin: *`, so the test page (served by
wasm-bindgen-test-runner on another port) may fetch the model and references.

Usage: cors_server.py DIR PORT
"""
import functools
import http.server
import sys


class CorsHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, *args):
        pass


def main():
    directory, port = sys.argv[1], int(sys.argv[2])
    handler = functools.partial(CorsHandler, directory=directory)
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main()
