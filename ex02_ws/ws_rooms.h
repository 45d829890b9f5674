// ws_rooms.h — the seed's JSON room protocol (§1.2), independent of sockets and frames:
//   client: {"type":"join"|"leave","room":R}  {"type":"message","room":R,"content":C}  {"type":"ping"}
//   server: joined{room,members,user_id} left{room} message{room,from,content} pong error{message}
//           user_joined{room,user_id} user_left{room,user_id}
// Replies and broadcasts leave through a send callback, one text message per call.
#pragma once
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

typedef void (*ws_send_fn)(void *ctx, uint64_t client, const std::string &text);

struct ws_rooms {
    size_t max_per_room = 100;
    size_t max_room_name = 100;
    std::unordered_map<std::string, std::unordered_set<uint64_t>> members;  // room -> clients
    std::unordered_map<uint64_t, std::set<std::string>> joined;             // client -> rooms
    ws_send_fn send = nullptr;
    void *ctx = nullptr;
};

// The name other clients see for a client id ("from", "user_id"): "u<id>".
std::string ws_client_name(uint64_t client);

// Handles one text message from client; every reply and notification goes through rs->send.
void ws_rooms_handle(ws_rooms *rs, uint64_t client, const char *text, size_t len);

// The client is gone: it leaves every room it was in, and the others get user_left.
void ws_rooms_remove_client(ws_rooms *rs, uint64_t client);

// Sends text to every member of room except `except` (0 = nobody excluded).
void ws_rooms_broadcast(ws_rooms *rs, const std::string &room, const std::string &text, uint64_t except);
