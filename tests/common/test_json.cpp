// test_json.cpp — nl_json: parsing one message, the error texts a client receives, typed getters,
// and single-line serialisation.
#include "common_tests.h"
#include "nl_json.h"

#include <cstring>

static json_t *parse(const char *text, std::string *err) { return nl_json_parse_object(text, strlen(text), err); }

void test_json_parse_object(void **)
{
    std::string err;
    json_t *o = parse("{\"type\":\"join\",\"room\":\"r1\",\"n\":3}", &err);
    assert_non_null(o);
    assert_string_equal(nl_json_get_string(o, "type", &err), "join");
    json_decref(o);
    // Only len bytes are parsed: the rest of the buffer is not part of the message.
    const char buf[] = "{\"a\":1}{\"b\":2}";
    o = nl_json_parse_object(buf, 7, &err);
    assert_non_null(o);
    long long v = 0;
    assert_int_equal(nl_json_get_int(o, "a", &v, &err), 1);
    assert_int_equal(v, 1);
    json_decref(o);
    o = parse(" { } ", &err);
    assert_non_null(o);
    json_decref(o);
}

void test_json_invalid_json_is_reported(void **)
{
    const char *bad[] = {"", "{", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{\"a\":1} x", "{} {}", "{\"a\":1,\"a\":2}",
                         "{\"s\":\"\\u0000\"}", "nul", "{\"a\":01}"};
    for (const char *b : bad) {
        std::string err;
        json_t *o = parse(b, &err);
        if (o) fail_msg("'%s' was accepted", b);
        if (err.rfind("invalid JSON: ", 0) != 0 || err.size() <= strlen("invalid JSON: "))
            fail_msg("'%s' gave the error '%s'", b, err.c_str());
        assert_null(strchr(err.c_str(), '\n'));  // fits in a one-line error reply
    }
}

void test_json_non_object_messages_are_reported(void **)
{
    const char *valid_non_objects[] = {"[1,2]", "[]", "42", "\"hello\"", "null", "true", "1.5"};
    for (const char *t : valid_non_objects) {
        std::string err;
        json_t *o = parse(t, &err);
        if (o) fail_msg("'%s' was accepted as an object", t);
        if (err != "expected a JSON object") fail_msg("'%s' gave the error '%s'", t, err.c_str());
    }
}

void test_json_string_getter_errors(void **)
{
    std::string err;
    json_t *o = parse("{\"name\":\"ann\",\"age\":3,\"nothing\":null,\"empty\":\"\"}", &err);
    assert_non_null(o);
    err.clear();
    assert_string_equal(nl_json_get_string(o, "name", &err), "ann");
    assert_string_equal(err.c_str(), "");
    assert_string_equal(nl_json_get_string(o, "empty", &err), "");
    assert_null(nl_json_get_string(o, "room", &err));
    assert_string_equal(err.c_str(), "missing field 'room'");
    assert_null(nl_json_get_string(o, "age", &err));
    assert_string_equal(err.c_str(), "field 'age' must be a string");
    assert_null(nl_json_get_string(o, "nothing", &err));
    assert_string_equal(err.c_str(), "field 'nothing' must be a string");
    json_decref(o);
}

void test_json_int_getter_errors(void **)
{
    std::string err;
    json_t *o = parse("{\"n\":-12,\"big\":9007199254740993,\"s\":\"3\",\"f\":1.5,\"z\":0}", &err);
    assert_non_null(o);
    long long v = 77;
    assert_int_equal(nl_json_get_int(o, "absent", &v, &err), 0);
    assert_int_equal(v, 77);  // untouched when absent
    assert_int_equal(nl_json_get_int(o, "n", &v, &err), 1);
    assert_int_equal(v, -12);
    assert_int_equal(nl_json_get_int(o, "big", &v, &err), 1);
    assert_true(v == 9007199254740993LL);
    assert_int_equal(nl_json_get_int(o, "z", &v, &err), 1);
    assert_int_equal(v, 0);
    v = 77;
    assert_int_equal(nl_json_get_int(o, "s", &v, &err), -1);
    assert_string_equal(err.c_str(), "field 's' must be an integer");
    assert_int_equal(nl_json_get_int(o, "f", &v, &err), -1);
    assert_string_equal(err.c_str(), "field 'f' must be an integer");
    assert_int_equal(v, 77);
    json_decref(o);
}

void test_json_line_is_one_line_and_steals_reference(void **)
{
    json_t *o = json_object();
    json_object_set_new(o, "text", json_string("two\nlines\r\nand a \"quote\""));
    json_object_set_new(o, "list", json_pack("[i,s,{s:b}]", 1, "x", "k", 1));
    json_incref(o);  // keep our own reference to check the one nl_json_line takes
    size_t before = o->refcount;
    std::string line = nl_json_line(o);
    assert_int_equal(o->refcount, before - 1);
    assert_true(!line.empty() && line.back() == '\n');
    assert_int_equal(line.find('\n'), line.size() - 1);  // exactly one newline: the last byte
    assert_true(line.find('\r') == std::string::npos);
    assert_true(line.find(": ") == std::string::npos && line.find(", ") == std::string::npos);  // compact
    // It parses back to the same value.
    std::string err;
    json_t *back = nl_json_parse_object(line.data(), line.size() - 1, &err);
    assert_non_null(back);
    assert_true(json_equal(back, o));
    json_decref(back);
    json_decref(o);
    assert_string_equal(nl_json_line(json_object()).c_str(), "{}\n");
}
