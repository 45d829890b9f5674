// main.cpp — the `tonic_users` demo of EX16 (given, not graded): a real UserService server, and a
// client that makes one call and prints what came back.
//   tonic_users --serve PORT [--token T] [--max-message N]
//   tonic_users --connect HOST:PORT [--token T] [--request-id R] [--timeout MS] --get ID
//   tonic_users --connect HOST:PORT [...] --create NAME --email EMAIL
#include "nl_opt.h"
#include "tonic_grpc.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <getopt.h>
#include <string>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: tonic_users --serve PORT [--token T] [--max-message BYTES]\n"
               "       tonic_users --connect HOST:PORT [--token T] [--request-id R] [--timeout MS] --get ID\n"
               "       tonic_users --connect HOST:PORT [...] --create NAME --email EMAIL\n"
               "The server prints 'listening on 127.0.0.1:PORT' once it accepts calls (PORT 0: a free port)\n"
               "and stops on SIGINT or SIGTERM. The client prints the status, the user and the server's\n"
               "x-request-id; its exit code is the gRPC status code.\n");
}

static int serve(int port, const char *token, size_t max_message)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr); // gRPC's threads inherit the mask: sigwait below gets them
    std::string address = "127.0.0.1:" + std::to_string(port);
    tonic_service *svc = tonic_service_new(nullptr, nullptr);
    tonic_server_builder b;
    tonic_server_builder_init(&b);
    b.address = address.c_str();
    b.token = token;
    if (max_message) b.max_message_bytes = max_message;
    tonic_server_builder_add_service(&b, svc);
    char err[256];
    tonic_server *srv = tonic_server_builder_serve(&b, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "tonic_users: %s\n", err);
        tonic_service_free(svc);
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", tonic_server_port(srv));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    tonic_server_shutdown(srv);
    tonic_service_free(svc);
    return 0;
}

int main(int argc, char **argv)
{
    static const option opts[] = {{"serve", required_argument, nullptr, 's'},   {"connect", required_argument, nullptr, 'c'},
                                  {"token", required_argument, nullptr, 't'},   {"max-message", required_argument, nullptr, 'm'},
                                  {"request-id", required_argument, nullptr, 'r'}, {"timeout", required_argument, nullptr, 'T'},
                                  {"get", required_argument, nullptr, 'g'},     {"create", required_argument, nullptr, 'n'},
                                  {"email", required_argument, nullptr, 'e'},   {"help", no_argument, nullptr, 'h'},
                                  {nullptr, 0, nullptr, 0}};
    const char *endpoint = nullptr, *token = nullptr, *request_id = nullptr, *get = nullptr, *name = nullptr, *email = "";
    int port = -1, timeout_ms = 0, c;
    size_t max_message = 0;
    setvbuf(stdout, nullptr, _IOLBF, 0);
    uint64_t v = 0;
    while ((c = getopt_long(argc, argv, "h", opts, nullptr)) != -1) {
        switch (c) {
        case 's':
            if (!nl_opt_value("tonic_users", "serve", optarg, 0, 65535, &v)) return 2;
            port = (int)v;
            break;
        case 'c': endpoint = optarg; break;
        case 't': token = optarg; break;
        case 'm':
            if (!nl_opt_value("tonic_users", "max-message", optarg, 1, 1u << 30, &v)) return 2;
            max_message = (size_t)v;
            break;
        case 'r': request_id = optarg; break;
        case 'T':
            if (!nl_opt_value("tonic_users", "timeout", optarg, 1, 3600000, &v)) return 2;
            timeout_ms = (int)v;
            break;
        case 'g': get = optarg; break;
        case 'n': name = optarg; break;
        case 'e': email = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (port >= 0) return serve(port, token, max_message);
    if (!endpoint || (!get && !name)) {
        usage(stderr);
        return 2;
    }
    char err[256];
    tonic_client *cl = tonic_client_connect(endpoint, err, sizeof err);
    if (!cl) {
        fprintf(stderr, "tonic_users: %s\n", err);
        return 2;
    }
    tonic_metadata md, initial;
    std::string bearer = std::string("Bearer ") + (token ? token : "");
    if (token) tonic_metadata_insert(&md, "authorization", bearer.c_str());
    if (request_id) tonic_metadata_insert(&md, "x-request-id", request_id);
    tonic_call call{timeout_ms, &md, &initial};
    tonic_user u;
    tonic_status st = get ? tonic_client_get_user(cl, &call, get, &u) : tonic_client_create_user(cl, &call, name, email, &u);
    printf("%s %s\n", tonic_code_name(st.code), st.message.c_str());
    if (st.code == TONIC_OK) printf("user id=%s name=%s email=%s\n", u.id.c_str(), u.name.c_str(), u.email.c_str());
    const char *rid = tonic_metadata_get(&initial, "x-request-id");
    if (rid) printf("x-request-id %s\n", rid);
    tonic_client_close(cl);
    return st.code;
}
