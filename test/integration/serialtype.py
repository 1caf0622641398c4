"""Typing on a Bochs guest's COM1: Bochs serves the port on a TCP socket (tools/bochs.sh's
BOCHS_COM1) and waits for a client; we read everything the machine writes there into a log
and, after each line matching steps[i][0] (a regular expression searched in the line),
send steps[i][1] (bytes), in order.
"""
import os
import re
import socket
import subprocess
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def typist(conn, steps, log):
    """Read COM1 from Bochs's socket into @log; after a line matching steps[i][0], send steps[i][1]."""
    buf, step = b"", 0
    with open(log, "wb") as f:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            f.write(data)
            f.flush()
            buf += data
            while step < len(steps) and "\n" in buf.decode(errors="replace"):
                lines = buf.decode(errors="replace").split("\n")
                done = [l.rstrip("\r") for l in lines[:-1]]
                hit = [i for i, l in enumerate(done) if re.search(steps[step][0], l)]
                if not hit:
                    buf = lines[-1].encode()
                    break
                buf = "\n".join(lines[hit[0] + 1:]).encode()
                conn.sendall(steps[step][1])
                step += 1


def run_typing(cmd, env, steps, log):
    """Run @cmd (a tools/bochs.sh or tools/run.sh command) typing @steps; its stdout."""
    port = free_port()
    env = dict(env, BOCHS_COM1="mode=socket-server, dev=localhost:%d" % port)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         errors="replace", env=env)
    conn, deadline = None, time.time() + 60
    while conn is None and time.time() < deadline and p.poll() is None:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.1)
    th = None
    if conn:
        conn.settimeout(None)
        th = threading.Thread(target=typist, args=(conn, steps, log), daemon=True)
        th.start()
    out, _ = p.communicate()
    if conn:
        conn.close()
        th.join(5)
    return out
