// ws_rooms.cpp — join/leave/message bookkeeping. Rooms exist while they have members: the last
// one out removes the room, so a server that sees many room names does not grow without end.
#include "ws_rooms.h"

#include "nl_json.h"

#include <cstdlib>

std::string ws_client_name(uint64_t client) { return "u" + std::to_string(client); }

static std::string dump(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    std::string out = s ? s : "{}";
    free(s);
    json_decref(obj);
    return out;
}

static void send_error(ws_rooms *rs, uint64_t client, const std::string &message)
{
    rs->send(rs->ctx, client, dump(json_pack("{s:s, s:s}", "type", "error", "message", message.c_str())));
}

void ws_rooms_broadcast(ws_rooms *rs, const std::string &room, const std::string &text, uint64_t except)
{
    auto it = rs->members.find(room);
    if (it == rs->members.end()) return;
    for (uint64_t member : it->second) {
        if (member == except) continue;
        rs->send(rs->ctx, member, text);
    }
}

static bool is_member(ws_rooms *rs, uint64_t client, const std::string &room)
{
    auto it = rs->joined.find(client);
    return it != rs->joined.end() && it->second.count(room);
}

static void join(ws_rooms *rs, uint64_t client, const std::string &room)
{
    if (room.empty() || room.size() > rs->max_room_name)
        return send_error(rs, client, "room name must be 1 to " + std::to_string(rs->max_room_name) + " bytes");
    if (is_member(rs, client, room)) return send_error(rs, client, "already in room '" + room + "'");
    std::unordered_set<uint64_t> &m = rs->members[room];
    if (m.size() >= rs->max_per_room) return send_error(rs, client, "Room full");
    m.insert(client);
    rs->joined[client].insert(room);
    std::string name = ws_client_name(client);
    rs->send(rs->ctx, client,
             dump(json_pack("{s:s, s:s, s:I, s:s}", "type", "joined", "room", room.c_str(), "members",
                            (json_int_t)m.size(), "user_id", name.c_str())));
    ws_rooms_broadcast(rs, room,
                       dump(json_pack("{s:s, s:s, s:s}", "type", "user_joined", "room", room.c_str(), "user_id",
                                      name.c_str())),
                       client);
}

// Takes client out of room and tells the members who stay. The caller checked membership.
static void remove_member(ws_rooms *rs, uint64_t client, const std::string &room)
{
    auto it = rs->members.find(room);
    if (it != rs->members.end()) {
        it->second.erase(client);
        if (it->second.empty()) rs->members.erase(it);
    }
    std::string name = ws_client_name(client);
    ws_rooms_broadcast(rs, room,
                       dump(json_pack("{s:s, s:s, s:s}", "type", "user_left", "room", room.c_str(), "user_id",
                                      name.c_str())),
                       client);
}

static void leave(ws_rooms *rs, uint64_t client, const std::string &room)
{
    if (!is_member(rs, client, room)) return send_error(rs, client, "not in room '" + room + "'");
    auto j = rs->joined.find(client);
    j->second.erase(room);
    if (j->second.empty()) rs->joined.erase(j);
    remove_member(rs, client, room);
    rs->send(rs->ctx, client, dump(json_pack("{s:s, s:s}", "type", "left", "room", room.c_str())));
}

static void message(ws_rooms *rs, uint64_t client, const std::string &room, const char *content)
{
    if (!is_member(rs, client, room)) return send_error(rs, client, "not in room '" + room + "': join it first");
    std::string name = ws_client_name(client);
    ws_rooms_broadcast(rs, room,
                       dump(json_pack("{s:s, s:s, s:s, s:s}", "type", "message", "room", room.c_str(), "from",
                                      name.c_str(), "content", content)),
                       client);
}

void ws_rooms_handle(ws_rooms *rs, uint64_t client, const char *text, size_t len)
{
    std::string err;
    json_t *obj = nl_json_parse_object(text, len, &err);
    if (!obj) return send_error(rs, client, err);
    const char *type = nl_json_get_string(obj, "type", &err);
    if (!type) {
        json_decref(obj);
        return send_error(rs, client, err);
    }
    std::string t = type;
    if (t == "ping") {
        rs->send(rs->ctx, client, "{\"type\":\"pong\"}");
    } else if (t == "join" || t == "leave" || t == "message") {
        const char *room = nl_json_get_string(obj, "room", &err);
        const char *content = t == "message" && room ? nl_json_get_string(obj, "content", &err) : "";
        if (!room || !content) send_error(rs, client, err);
        else if (t == "join") join(rs, client, room);
        else if (t == "leave") leave(rs, client, room);
        else message(rs, client, room, content);
    } else {
        send_error(rs, client, "unknown message type '" + t + "' (expected join, leave, message or ping)");
    }
    json_decref(obj);
}

void ws_rooms_remove_client(ws_rooms *rs, uint64_t client)
{
    auto j = rs->joined.find(client);
    if (j == rs->joined.end()) return;
    std::set<std::string> rooms;
    rooms.swap(j->second);
    rs->joined.erase(j);
    for (const std::string &room : rooms) remove_member(rs, client, room);
}
