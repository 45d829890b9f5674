// test_crypto.cpp — nl_crypto: FIPS 180 digests, the RFC 6455 accept key, RFC 4648 base64 and the
// strictness of its decoder.
#include "common_tests.h"
#include "nl_crypto.h"

#include <cstring>

static std::string sha1_hex(const std::string &s)
{
    uint8_t d[NL_SHA1_LEN];
    nl_sha1(s.data(), s.size(), d);
    return nl_hex(d, sizeof d);
}

static std::string sha256_hex(const std::string &s)
{
    uint8_t d[NL_SHA256_LEN];
    nl_sha256(s.data(), s.size(), d);
    return nl_hex(d, sizeof d);
}

static const char TWO_BLOCKS[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

void test_sha1_fips_vectors(void **)
{
    assert_string_equal(sha1_hex("abc").c_str(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_string_equal(sha1_hex("").c_str(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_string_equal(sha1_hex(TWO_BLOCKS).c_str(), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    assert_string_equal(sha1_hex(std::string(1000000, 'a')).c_str(), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    // Binary input: the length counts, not a terminating NUL.
    assert_string_not_equal(sha1_hex(std::string("a\0b", 3)).c_str(), sha1_hex("a").c_str());
}

void test_sha256_fips_vectors(void **)
{
    assert_string_equal(sha256_hex("abc").c_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(sha256_hex("").c_str(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(sha256_hex(TWO_BLOCKS).c_str(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_string_equal(sha256_hex(std::string(1000000, 'a')).c_str(),
                        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

void test_websocket_accept_key_rfc6455(void **)
{
    // RFC 6455 section 1.3: base64(SHA-1(key + GUID)).
    std::string in = std::string("dGhlIHNhbXBsZSBub25jZQ==") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t d[NL_SHA1_LEN];
    nl_sha1(in.data(), in.size(), d);
    assert_string_equal(nl_base64_encode(d, sizeof d).c_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // And the client key decodes to its 16-byte nonce.
    std::string nonce;
    assert_int_equal(nl_base64_decode("dGhlIHNhbXBsZSBub25jZQ==", 24, &nonce), 0);
    assert_string_equal(nonce.c_str(), "the sample nonce");
}

void test_base64_rfc4648_vectors(void **)
{
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        assert_string_equal(nl_base64_encode(plain[i], strlen(plain[i])).c_str(), coded[i]);
        std::string out = "junk";
        assert_int_equal(nl_base64_decode(coded[i], strlen(coded[i]), &out), 0);
        assert_string_equal(out.c_str(), plain[i]);
    }
    // Every alphabet character, both ends: 0xfb 0xff 0xbf -> "+/+/".
    const unsigned char hi[] = {0xfb, 0xef, 0xbe, 0xfb, 0xef, 0xbe};
    assert_string_equal(nl_base64_encode(hi, sizeof hi).c_str(), "++++++++");
    const unsigned char slash[] = {0xff, 0xff, 0xff};
    assert_string_equal(nl_base64_encode(slash, sizeof slash).c_str(), "////");
}

void test_base64_round_trip_every_length_0_to_64(void **)
{
    for (size_t len = 0; len <= 64; len++) {
        for (unsigned seed = 0; seed < 8; seed++) {
            std::string data = tc_pattern(len, (unsigned)(len * 31 + seed));
            std::string enc = nl_base64_encode(data.data(), data.size());
            assert_int_equal(enc.size(), 4 * ((len + 2) / 3));
            for (char c : enc) assert_true(isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=');
            size_t pad = len % 3 == 0 ? 0 : 3 - len % 3;
            assert_int_equal(enc.size() - enc.find_last_not_of('=') - 1, enc.empty() ? 0 : pad);
            std::string dec;
            assert_int_equal(nl_base64_decode(enc.data(), enc.size(), &dec), 0);
            assert_int_equal(dec.size(), len);
            assert_true(dec == data);
        }
    }
}

void test_base64_strict_decoding_rejects_bad_input(void **)
{
    const char *bad[] = {
        "Zg=",        // length not a multiple of 4
        "Zg",         // padding missing
        "Z===",       // too much padding
        "====",       // only padding
        "=Zg=",       // padding first
        "Zg=a",       // data after padding
        "Zg=A",       // data after padding, even with zero bits
        "Zg==Zm8=",   // padding in the middle
        "Zm9v====",   // a whole quantum of padding
        "Zm9v\n",     // whitespace
        "Zm 9v",
        "Zm9-",       // base64url alphabet is not base64
        "Zm9_",
        "Zm9\xff",    // not ASCII
        "Zh==",       // non-zero bits after the last byte: not the encoding of anything
        "Zm9=",
    };
    for (const char *b : bad) {
        std::string out;
        if (nl_base64_decode(b, strlen(b), &out) != -1) fail_msg("'%s' was accepted", b);
    }
    // An embedded NUL is a bad character, not the end of the text.
    std::string out;
    assert_int_equal(nl_base64_decode("Zm\0v", 4, &out), -1);
}

void test_hex_lowercase(void **)
{
    const uint8_t b[] = {0x00, 0x0f, 0xa0, 0xff, 0x5c};
    assert_string_equal(nl_hex(b, sizeof b).c_str(), "000fa0ff5c");
    assert_string_equal(nl_hex(b, 0).c_str(), "");
}
