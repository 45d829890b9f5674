// ws_page.cpp — the self-contained demo page served on GET /: plain JavaScript, no external file.
// ?room=R joins R on load and ?say=TEXT sends TEXT once joined (used by the headless browser test).
#include "ws_handshake.h"

const char ws_page_html[] = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netlab ws chat</title>
<style>
body{font:15px system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em}
#log{border:1px solid #aaa;height:22em;overflow:auto;padding:.5em;white-space:pre-wrap;font-family:monospace}
input{font:inherit}.sys{color:#777}.err{color:#b00}
</style></head><body>
<h1>netlab chat</h1>
<p>Status: <span id="status">connecting</span> &middot; you are <b id="me">?</b></p>
<form id="joinform">Room <input id="room" value="general" size="12"> <button>Join</button></form>
<div id="log"></div>
<form id="sayform"><input id="text" size="50" placeholder="message" autocomplete="off"> <button>Send</button></form>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let room = null, said = false;
function line(text, cls) {
  const d = document.createElement("div");
  d.textContent = text;
  if (cls) d.className = cls;
  $("log").appendChild(d);
  $("log").scrollTop = $("log").scrollHeight;
}
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
ws.onopen = () => {
  $("status").textContent = "connected";
  if (params.get("room")) ws.send(JSON.stringify({type: "join", room: params.get("room")}));
};
ws.onclose = (e) => { $("status").textContent = "closed (" + e.code + (e.reason ? " " + e.reason : "") + ")"; };
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.type === "joined") {
    room = m.room; $("me").textContent = m.user_id;
    line("joined " + m.room + " (" + m.members + " member(s))", "sys");
    if (params.get("say") && !said) { said = true; ws.send(JSON.stringify({type: "message", room, content: params.get("say")})); line("me: " + params.get("say")); }
  } else if (m.type === "message") line(m.from + ": " + m.content);
  else if (m.type === "user_joined") line(m.user_id + " joined " + m.room, "sys");
  else if (m.type === "user_left") line(m.user_id + " left " + m.room, "sys");
  else if (m.type === "left") { line("left " + m.room, "sys"); room = null; }
  else if (m.type === "error") line("error: " + m.message, "err");
};
$("joinform").onsubmit = (e) => {
  e.preventDefault();
  if (room) ws.send(JSON.stringify({type: "leave", room}));
  ws.send(JSON.stringify({type: "join", room: $("room").value}));
};
$("sayform").onsubmit = (e) => {
  e.preventDefault();
  const t = $("text").value;
  if (!room || !t) return;
  ws.send(JSON.stringify({type: "message", room, content: t}));
  line("me: " + t);
  $("text").value = "";
};
</script></body></html>
)HTML";
