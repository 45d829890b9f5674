#!/usr/bin/python3
"""browser_test.py — headless Chromium loads ex02_ws's demo page (GET /), joins a room through it
and chats with a python3-websockets client: the page's message reaches the peer, the peer's message
shows up in the page's DOM (read through the DevTools protocol). Exit 0 on success.

usage: browser_test.py PATH/TO/ws_server [--backend epoll|uring]
Needs Debian's chromium and python3-websockets. Runs outside the grader's sandbox: Chromium does
not start under its 4 GiB address-space limit."""
import asyncio, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.request
import websockets

DEADLINE = 60  # seconds for the whole exchange; every wait below is bounded by it


def start_server(binary, backend):
    p = subprocess.Popen([binary, "--port", "0", "--backend", backend], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("listening on "):
        p.kill()
        sys.exit("server did not print its listening line: %r" % line)
    return p, int(line.rsplit(":", 1)[1])


def devtools_port(profile, until):
    path = os.path.join(profile, "DevToolsActivePort")
    while time.monotonic() < until:
        if os.path.exists(path):
            with open(path) as f:
                first = f.readline().strip()
            if first.isdigit():
                return int(first)
        time.sleep(0.05)
    sys.exit("chromium did not open its DevTools port")


async def page_text(cdp_url):
    async with websockets.connect(cdp_url, max_size=None) as cdp:
        await cdp.send(json.dumps({"id": 1, "method": "Runtime.evaluate",
                                   "params": {"expression": "document.getElementById('log').textContent",
                                              "returnByValue": True}}))
        while True:
            r = json.loads(await cdp.recv())
            if r.get("id") == 1:
                return r.get("result", {}).get("result", {}).get("value", "") or ""


async def run(port, until):
    profile = tempfile.mkdtemp(prefix="netlab-chromium-")
    browser = None
    try:
        async with websockets.connect("ws://127.0.0.1:%d/ws" % port) as peer:
            await peer.send(json.dumps({"type": "join", "room": "browser"}))
            j = json.loads(await asyncio.wait_for(peer.recv(), 10))
            assert j["type"] == "joined", j
            url = "http://127.0.0.1:%d/?room=browser&say=hello+from+chromium" % port
            browser = subprocess.Popen(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--user-data-dir=" + profile, "--remote-debugging-port=0", url],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            browser_id = None
            while True:  # the page joins, then says its line
                m = json.loads(await asyncio.wait_for(peer.recv(), max(1, until - time.monotonic())))
                if m["type"] == "user_joined":
                    browser_id = m["user_id"]
                elif m["type"] == "message":
                    assert m["from"] == browser_id and m["content"] == "hello from chromium", m
                    print("peer got from the page:", m)
                    break
            await peer.send(json.dumps({"type": "message", "room": "browser", "content": "hello from python"}))
            dt = devtools_port(profile, until)
            targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % dt, timeout=10))
            page = next(t for t in targets if t.get("type") == "page" and ":%d/" % port in t.get("url", ""))
            want = "%s: hello from python" % j["user_id"]
            while time.monotonic() < until:
                text = await page_text(page["webSocketDebuggerUrl"])
                if want in text:
                    print("page shows:", want)
                    return 0
                await asyncio.sleep(0.1)
            sys.exit("the page never showed %r; its log: %r" % (want, text))
    finally:
        if browser:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    if len(sys.argv) < 2 or not shutil.which("chromium"):
        sys.exit(__doc__ + "\n(chromium missing? apt-get install -y chromium)")
    backend = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--backend" else "epoll"
    server, port = start_server(sys.argv[1], backend)
    try:
        rc = asyncio.run(run(port, time.monotonic() + DEADLINE))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            sys.exit("server did not exit within 10 s of SIGTERM")
    if code != 0:
        sys.exit("server exited with %d" % code)
    print("browser test (%s): ok" % backend)
    return rc


if __name__ == "__main__":
    sys.exit(main())
