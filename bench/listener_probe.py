#!/usr/bin/env python3
# What a shoald's listeners hold for connections that never authenticate:
# starts one shoald on 127.0.0.1 (Release build), opens 300 peer-stream
# connections that send a hello naming a random key, then 300 that say
# nothing, then 40 control connections whose length header claims 8 MiB
# but send 1 KB, and prints how many the daemon still holds, and its RSS,
# over time. Traffic goes to loopback only; ends the daemon it started.
# Usage: bench/listener_probe.py   (run from anywhere; works in a temp dir)
import os, shutil, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
WORK = tempfile.mkdtemp(prefix="shoal-probe-")
os.chdir(WORK)
import socket, subprocess, time, sys, select
B = os.path.join(HERE, "..", "build", "Release", "daemon", "shoald")
subprocess.run([B, "--generate-key", "key"], check=True, capture_output=True)
tok = subprocess.run([B, "--generate-token", "admin"], check=True, capture_output=True, text=True).stdout
open("tokens", "w").write(tok); os.chmod("tokens", 0o600)
port, ctl = 27311, 27312
d = subprocess.Popen([B, "--config", "/dev/null", "--name", "probe", "--bind", f"127.0.0.1:{port}", "--key-file", "key",
                      "--state-dir", "state", "--preset", "lan", "--control", f"127.0.0.1:{ctl}", "--tokens-file", "tokens",
                      "--enforcer", "off", "--log-level", "warn"], stderr=open("log", "w"))
time.sleep(2)
def rss():
    for l in open(f"/proc/{d.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) // 1024
def held(socks):
    n = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if not r: n += 1; continue
        try:
            if s.recv(1, socket.MSG_PEEK) != b"": n += 1
        except OSError: pass
    return n
print("rss before MB", rss())
socks = []
for i in range(300):
    s = socket.socket(); s.connect(("127.0.0.1", port)); socks.append(s)
    s.send(b"SHS\x02" + os.urandom(44))   # a hello naming a random key id, or nothing more
time.sleep(0.5)
print("peer streams: 300 hellos with random bytes; held after 0.5 s:", held(socks), "rss MB", rss())
for s in socks: s.close()
socks = []
for i in range(300):
    s = socket.socket(); s.connect(("127.0.0.1", port)); socks.append(s)  # silent
time.sleep(0.5)
print("peer streams: 300 silent connections; held after 0.5 s:", held(socks), "rss MB", rss())
time.sleep(3.5)
print("  held after 4 s:", held(socks), "rss MB", rss())
for s in socks: s.close()
socks = []
for i in range(40):
    s = socket.socket(); s.connect(("127.0.0.1", ctl)); socks.append(s)
    s.send(b"\x00\x7f\xff\xff" + b"x" * 1000)   # claims 8 MiB, sends 1 KB
time.sleep(0.5)
print("control: 40 connections claiming 8 MiB each; held:", held(socks), "rss MB", rss())
time.sleep(10.5)
print("  held after 11 s:", held(socks), "rss MB", rss())
for s in socks: s.close()
d.terminate(); d.wait()
print(open("log").read()[-600:])
shutil.rmtree(WORK, ignore_errors=True)
