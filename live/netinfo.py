"""Local addresses, the URLs an audience can open, and QR codes of them (no network calls)."""
import io
import ipaddress
import json
import shutil
import socket
import subprocess

import segno


def addresses_from_ip():
    """IPv4 addresses of the interfaces that are up, from `ip -j addr` (iproute2)."""
    ip = shutil.which("ip")
    if not ip:
        return []
    try:
        out = subprocess.run([ip, "-j", "-4", "addr", "show", "up"], capture_output=True,
                             text=True, timeout=5, check=True).stdout  # blocking
        interfaces = json.loads(out or "[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    return [info["local"] for iface in interfaces for info in iface.get("addr_info", [])
            if info.get("family") == "inet" and "local" in info]


def addresses_from_hostname():
    """IPv4 addresses the host name resolves to (from /etc/hosts or the local resolver)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return [info[4][0] for info in infos]


def local_ipv4():
    """Every local IPv4 address, non-loopback ones first, without duplicates."""
    found = dict.fromkeys(addresses_from_ip() or addresses_from_hostname())
    found.setdefault("127.0.0.1")
    return sorted(found, key=lambda a: (ipaddress.ip_address(a).is_loopback, a))


def audience_hosts(bind_host):
    """The hosts an audience can reach the app on, given the address it is bound to."""
    if bind_host in ("0.0.0.0", ""):
        hosts = local_ipv4()
        others = [h for h in hosts if not ipaddress.ip_address(h).is_loopback]
        return others or hosts
    return [bind_host]


def url_for_host(host, port, path="/"):
    """http://host:port/path, with brackets around an IPv6 literal."""
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{path}"


def audience_urls(bind_host, port):
    """The audience URL for every local address the app serves on."""
    return [url_for_host(host, port) for host in audience_hosts(bind_host)]


def local_host(bind_host):
    """A host this machine can connect to the app on (the presenter's own browser)."""
    return "127.0.0.1" if bind_host in ("0.0.0.0", "") else bind_host


def terminal_qr(url, out):
    """Print the QR code of `url` to the text stream `out` with half-block characters."""
    text = io.StringIO()
    segno.make(url, error="m").terminal(out=text, compact=True)
    try:
        out.write(text.getvalue())
    except UnicodeEncodeError:  # a terminal that is not UTF-8: the URLs above still work
        out.write("(the QR code needs a UTF-8 terminal)\n")


def svg_qr(url, scale=6):
    """The QR code of `url` as one line of inline SVG (no script, no external reference)."""
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=scale, dark="#000", light="#fff", title=url,
                         svgclass="audience-qr", lineclass=None)
