// bft_auth.cpp — request digests and message authentication: SHA-256 and HMAC-SHA256 through
// OpenSSL's libcrypto, over the fixed 61-byte header the README defines.
#include "bft.h"
#include "nl_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

void bft_request_digest(const BftRequest *req, uint8_t out[BFT_DIGEST_LEN])
{
    std::string b(16, '\0');
    put_u64((uint8_t *)&b[0], req->client_id);
    put_u64((uint8_t *)&b[8], req->timestamp);
    b += req->operation;
    nl_sha256(b.data(), b.size(), out);
}

// The digest a VIEW_CHANGE or NEW_VIEW must carry: it binds the embedded messages (through their
// MACs) to the outer MAC, so a relay cannot drop or swap a certificate.
static void embedded_digest(const BftMsg *m, uint8_t out[BFT_DIGEST_LEN])
{
    std::string b;
    if (m->type == BFT_VIEW_CHANGE) {
        for (const BftMsg &e : m->certs) b.append((const char *)e.mac, BFT_MAC_LEN);
    } else {
        for (const BftMsg &e : m->view_changes) b.append((const char *)e.mac, BFT_MAC_LEN);
        for (const BftMsg &e : m->pre_prepares) b.append((const char *)e.mac, BFT_MAC_LEN);
    }
    nl_sha256(b.data(), b.size(), out);
}

static void expected_digest(const BftMsg *m, uint8_t out[BFT_DIGEST_LEN])
{
    if (m->type == BFT_PRE_PREPARE) bft_request_digest(&m->request, out);
    else if (m->type == BFT_VIEW_CHANGE || m->type == BFT_NEW_VIEW) embedded_digest(m, out);
    else memcpy(out, m->digest, BFT_DIGEST_LEN);
}

static void header_mac(const BftMsg *m, const uint8_t key[BFT_KEY_LEN], uint8_t out[BFT_MAC_LEN])
{
    uint8_t h[61];
    memcpy(h, "PBFT", 4);
    h[4] = (uint8_t)m->type;
    put_u64(h + 5, m->view);
    put_u64(h + 13, m->seq);
    put_u64(h + 21, m->replica);
    memcpy(h + 29, m->digest, BFT_DIGEST_LEN);
    unsigned int len = BFT_MAC_LEN;
    HMAC(EVP_sha256(), key, BFT_KEY_LEN, h, sizeof h, out, &len);
}

void bft_sign(BftMsg *m, const uint8_t key[BFT_KEY_LEN])
{
    expected_digest(m, m->digest);
    header_mac(m, key, m->mac);
}

bool bft_verify(const BftMsg *m, const uint8_t key[BFT_KEY_LEN])
{
    uint8_t d[BFT_DIGEST_LEN], mac[BFT_MAC_LEN];
    expected_digest(m, d);
    if (CRYPTO_memcmp(d, m->digest, BFT_DIGEST_LEN) != 0) return false;
    header_mac(m, key, mac);
    // Constant time: a timing difference would let an attacker find a valid MAC byte by byte.
    return CRYPTO_memcmp(mac, m->mac, BFT_MAC_LEN) == 0;
}
