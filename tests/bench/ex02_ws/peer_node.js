// peer_node.js — the npm `ws` peer for ex02_ws's bench: /echo and /ws (join + room broadcast to
// the others), the subset ws_load uses. Prints "listening on 127.0.0.1:PORT".
const { WebSocketServer } = require("ws");
const rooms = new Map();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 65536 });
wss.on("connection", (ws, req) => {
  if (req.url.startsWith("/echo")) {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    return;
  }
  const mine = new Set();
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === "join") {
      if (!rooms.has(m.room)) rooms.set(m.room, new Set());
      const members = rooms.get(m.room);
      members.add(ws);
      mine.add(m.room);
      ws.send(JSON.stringify({ type: "joined", room: m.room, members: members.size }));
    } else if (m.type === "message" && mine.has(m.room)) {
      const out = JSON.stringify({ type: "message", room: m.room, from: "n", content: m.content });
      for (const w of rooms.get(m.room)) if (w !== ws) w.send(out);
    }
  });
  ws.on("close", () => { for (const r of mine) rooms.get(r).delete(ws); });
});
wss.on("listening", () => console.log(`listening on 127.0.0.1:${wss.address().port}`));
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => { wss.close(); process.exit(0); });
