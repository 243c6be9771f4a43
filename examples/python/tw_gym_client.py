#!/usr/bin/env python3
"""A TerminalWorld gym client on Python's standard library alone (Debian's python3, no pip).

It speaks OpenEnv's protocol, as `tw gym serve` serves it:

  WebSocket /ws:  {"type": "reset"|"step"|"state"|"close", "data": {...}}
                  -> {"type": "observation"|"state"|"error", "data": {...}}
  HTTP:           POST /reset, POST /step {action, session_id, request_id}, GET /state, /health, /schema

With OpenEnv installed (pip install openenv-core) its own client works the same way:

  from openenv.core.generic_client import GenericEnvClient
  with GenericEnvClient(base_url="http://127.0.0.1:8000").sync() as env:
      r = env.reset(seed=1)
      r = env.step({"command": "ls"})

Run as a script it plays one scripted episode over WebSocket and one over HTTP and prints a JSON
summary (used by the gym's tests):

  python3 examples/python/tw_gym_client.py --url http://127.0.0.1:8000 [--token T] [--task any]
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class GymError(Exception):
    """An error reply: .code is the protocol's code (CAPACITY_REACHED, VALIDATION_ERROR, ...)."""

    def __init__(self, data):
        super().__init__(f"{data.get('code')}: {data.get('message')}")
        self.code = data.get("code")
        self.data = data


class WebSocket:
    """The smallest RFC 6455 client that OpenEnv's messages need: text frames, ping/pong, close."""

    def __init__(self, url, token=None, timeout=60.0):
        u = urllib.parse.urlparse(url)
        port = u.port or (443 if u.scheme == "wss" else 80)
        if u.scheme == "wss":
            raise ValueError("this minimal client speaks ws:// only (put TLS in front with a proxy)")
        self.sock = socket.create_connection((u.hostname, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        headers = [
            f"GET {path} HTTP/1.1",
            f"Host: {u.hostname}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if token:
            headers.append(f"Authorization: Bearer {token}")
        self.sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("connection closed during the WebSocket handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin1").split("\r\n")
        if " 101 " not in lines[0]:
            raise ConnectionError(f"WebSocket handshake refused: {lines[0]} {self.buf.decode(errors='replace')}")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if not any(l.lower() == f"sec-websocket-accept: {accept.lower()}" for l in lines[1:]):
            raise ConnectionError("bad Sec-WebSocket-Accept")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        """The next text message, or None when the server closed the connection."""
        parts = []
        while True:
            b1, b2 = self._read(2)
            opcode, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read(8))
            payload = self._read(n)
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
            elif opcode == 0x8:  # close
                return None
            elif opcode in (0x0, 0x1, 0x2):
                parts.append(payload)
                if b1 & 0x80:
                    return b"".join(parts).decode()

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class WSEnv:
    """One session over /ws: reset(**params), step(action), state(), close()."""

    def __init__(self, base_url, token=None):
        u = urllib.parse.urlparse(base_url)
        self.ws = WebSocket(f"ws://{u.netloc}/ws", token)

    def _call(self, msg):
        self.ws.send(json.dumps(msg))
        raw = self.ws.recv()
        if raw is None:
            raise ConnectionError("server closed the session")
        reply = json.loads(raw)
        if reply["type"] == "error":
            raise GymError(reply["data"])
        return reply["data"]

    def reset(self, **params):
        return self._call({"type": "reset", "data": params})

    def step(self, action, request_id=None):
        data = dict(action)
        if request_id is not None:
            data["request_id"] = request_id
        return self._call({"type": "step", "data": data})

    def state(self):
        return self._call({"type": "state"})

    def close(self):
        try:
            self.ws.send(json.dumps({"type": "close"}))
        finally:
            self.ws.close()


class HTTPEnv:
    """A stateful HTTP session (for clients without WebSocket): /reset returns a session_id."""

    def __init__(self, base_url, token=None):
        self.base = base_url.rstrip("/")
        self.token = token
        self.session_id = None

    def _req(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"content-type": "application/json"})
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise GymError(json.loads(e.read() or b"{}")) from None

    def health(self):
        return self._req("GET", "/health")

    def reset(self, **params):
        r = self._req("POST", "/reset", params)
        self.session_id = r["observation"]["session_id"]
        return r

    def step(self, action, request_id=None):
        body = {"action": action, "session_id": self.session_id}
        if request_id is not None:
            body["request_id"] = request_id
        return self._req("POST", "/step", body)

    def state(self):
        return self._req("GET", "/state?session_id=" + urllib.parse.quote(self.session_id))

    def close(self):
        if self.session_id:
            self._req("POST", "/close", {"session_id": self.session_id})
            self.session_id = None


def episode(env, task):
    """A scripted episode: look around, write a file, read it back, (re-send a step: deduplicated), submit."""
    params = {"seed": 7}
    if task:
        params["task"] = task
    r = env.reset(**params)
    steps = [r]
    steps.append(env.step({"command": "cd /tmp && echo hello > greet.txt"}))
    steps.append(env.step({"command": "cat greet.txt"}, request_id="r-1"))
    again = env.step({"command": "cat greet.txt"}, request_id="r-1")  # a retry: answered once
    steps.append(env.step({"keystrokes": "pwd\n", "duration": 0.1}))
    st = env.state()
    end = env.step({"submit": True})
    return {
        "instruction": r["observation"].get("instruction"),
        "outputs": [s["observation"]["output"] for s in steps[1:]],
        "exits": [s["observation"]["exit"] for s in steps[1:]],
        "retry_same_step": again["observation"]["step"] == steps[2]["observation"]["step"],
        "state_step_count": st["step_count"],
        "done": end["done"],
        "reward": end["reward"],
        "terminal": end["observation"].get("terminal", ""),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--token", default=os.environ.get("TW_GYM_TOKEN"))
    ap.add_argument("--task", default=None, help='a task family, or "any"')
    a = ap.parse_args()
    out = {"health": HTTPEnv(a.url, a.token).health()}
    ws = WSEnv(a.url, a.token)
    try:
        out["ws"] = episode(ws, a.task)
    finally:
        ws.close()
    http = HTTPEnv(a.url, a.token)
    try:
        out["http"] = episode(http, a.task)
    finally:
        http.close()
    bad = WSEnv(a.url, a.token)
    try:
        bad.step({"cmd": "ls"})
    except GymError as e:
        out["bad_action_code"] = e.code
    finally:
        bad.close()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
