"""A bare WebSocket client for benches and tests: the handshake over a plain socket, a frame
parser that does no more than split frames, and masked client frames. Cheap enough that a
thousand followers in one process cost the machine far less than the app they measure."""
import base64
import os
import socket
import struct

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
KEY = base64.b64encode(b"bench-raw-client").decode()


def request(host, port, origin=None, cookie=None, path="/ws", deflate=False):
    """The bytes of an upgrade request (`deflate`: offer permessage-deflate, as browsers do)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if deflate:
        lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def split_head(data):
    """(status, the bytes after the head) once `data` holds a whole response head, else None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, data[end + 4:]


def connect(host, port, origin=None, cookie=None, source=None, rcvbuf=None, timeout=10.0):
    """A blocking socket past a 101 answer, and the bytes that came after it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source:
        sock.bind((source, 0))
    sock.settimeout(timeout)
    try:
        sock.connect((host, port))
        sock.sendall(request(host, port, origin, cookie))
        data = b""
        while (head := split_head(data)) is None:
            chunk = sock.recv(4096)  # blocking
            if not chunk:
                raise ConnectionError("closed during the handshake")
            data += chunk
    except BaseException:
        sock.close()
        raise
    if head[0] != 101:
        sock.close()
        raise ConnectionError(f"handshake answered {head[0]}: {data[:200]!r}")
    return sock, head[1]


def frame(opcode, payload=b""):
    """A masked client frame (FIN set)."""
    if isinstance(payload, str):
        payload = payload.encode()
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Frames:
    """Splits server frames (unmasked) out of a byte stream: feed(data) -> [(opcode, payload)].
    Raises ValueError on anything a correct server never sends."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, data):
        self.buffer += data
        out, at, buf = [], 0, self.buffer
        while len(buf) - at >= 2:
            first, second = buf[at], buf[at + 1]
            if first & 0x70 or second & 0x80:
                raise ValueError(f"bad frame header {bytes(buf[at:at + 2]).hex()} at {at}")
            size, start = second & 0x7F, at + 2
            if size == 126:
                if len(buf) - at < 4:
                    break
                size, start = struct.unpack_from("!H", buf, at + 2)[0], at + 4
            elif size == 127:
                if len(buf) - at < 10:
                    break
                size, start = struct.unpack_from("!Q", buf, at + 2)[0], at + 10
            if len(buf) < start + size:
                break
            opcode = first & 0x0F
            if opcode not in (TEXT, BINARY, CLOSE, PING, PONG) or not first & 0x80:
                raise ValueError(f"unexpected frame {first:#x} at {at}")
            out.append((opcode, bytes(buf[start:start + size])))
            at = start + size
        del buf[:at]
        return out
