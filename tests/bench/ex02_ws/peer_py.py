#!/usr/bin/python3
"""peer_py.py — the python3-websockets peer for ex02_ws's bench: the same endpoints as ws_server,
/echo (echo every message) and /ws (join + room message broadcast to the others, the protocol
subset ws_load uses). Prints "listening on 127.0.0.1:PORT" like every netlab server."""
import asyncio, json, signal, sys
import websockets

rooms = {}


async def handler(ws, path):
    if path == "/echo":
        async for msg in ws:
            await ws.send(msg)
        return
    mine = set()
    try:
        async for raw in ws:
            m = json.loads(raw)
            if m.get("type") == "join":
                members = rooms.setdefault(m["room"], set())
                members.add(ws)
                mine.add(m["room"])
                await ws.send(json.dumps({"type": "joined", "room": m["room"], "members": len(members)}))
            elif m.get("type") == "message" and m.get("room") in mine:
                out = json.dumps({"type": "message", "room": m["room"], "from": str(id(ws)), "content": m["content"]})
                websockets.broadcast([w for w in rooms[m["room"]] if w is not ws], out)
    finally:
        for r in mine:
            rooms[r].discard(ws)


async def main():
    stop = asyncio.get_running_loop().create_future()
    for s in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(s, stop.set_result, None)
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=65536, ping_interval=30, ping_timeout=90) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        print("listening on 127.0.0.1:%d" % port, flush=True)
        await stop

asyncio.run(main())
