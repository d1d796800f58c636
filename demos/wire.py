"""Just enough HTTP on a bare socket for the book's servers: read a request,
answer like the slow server (same query, body and X-Server-* headers; the
worker is the name of the thread that serves it).
"""
import argparse
import socket
import sys
import threading
import time
from http import HTTPStatus
from urllib.parse import urlsplit

from demos.slow_server import read_query

MAX_HEAD = 65536


def read_target(client):
    """The request target ('/?delay=1'); ValueError if the head is bad."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = client.recv(4096)  # blocking
        if not chunk or len(head) > MAX_HEAD:
            raise ValueError("incomplete request head")
        head += chunk
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) != 3:
        raise ValueError("malformed request line")
    return parts[1].decode("latin-1")


def respond(client, start, status, body):
    data = body.encode()
    head = (f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\n"
            "Connection: close\r\n"
            f"X-Worker: {threading.current_thread().name}\r\n"
            f"X-Server-Start: {start!r}\r\n"
            f"X-Server-End: {time.perf_counter()!r}\r\n\r\n")
    client.sendall(head.encode() + data)


def handle(client):
    """Serve one connection like demos/slow_server.py. Never raises: a
    failed client is logged and the server goes on with the others."""
    start = time.perf_counter()
    try:
        with client:
            client.settimeout(10)  # a silent client must not hold a worker
            try:
                target = urlsplit(read_target(client))
                delay, status = read_query(target.query)
                body = "This is a slow web api"
            except ValueError as error:
                delay, status = 0, HTTPStatus.BAD_REQUEST
                body = f"bad request: {error}\n"
            time.sleep(delay)  # blocking: this thread serves nobody else
            respond(client, start, status, body)
    except OSError as error:
        print(f"{threading.current_thread().name}: {error}", file=sys.stderr)


def listening_socket(port, fd=None):
    """An inherited listening socket (`fd`), or a new one on loopback."""
    if fd is not None:
        return socket.socket(fileno=fd)
    return socket.create_server(("127.0.0.1", port), backlog=128)


def main(serve, argv=None):
    parser = argparse.ArgumentParser(description="A slow socket server.")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--fd", type=int, help="an inherited listening socket")
    parser.add_argument("--workers", type=int, default=3,
                        help="pool size (server_pool)")
    args = parser.parse_args(argv)
    with listening_socket(args.port, args.fd) as server_socket:
        if args.fd is None:
            address = "http://%s:%d/" % server_socket.getsockname()[:2]
            print("serving on", address, flush=True)
        if serve.__code__.co_argcount == 2:
            serve(server_socket, args.workers)
        else:
            serve(server_socket)
