/*
 * m365fc-client: a small client of the m365-flow-classifier binary protocol over plain TCP
 * (docs/binary-protocol.md). libc only; builds with
 *   cc -Wall -Wextra -Werror -std=c11 -O2 -o m365fc-client m365fc-client.c
 *
 * Reads flows from stdin, one per line: `ip port protocol host`, `-` for an absent field
 * (`40.96.0.1 443 tcp -`, `- 443 tcp outlook.office365.com`, `2603:1006::1 - - -`), sends them
 * in request frames of up to -b records, and prints one line per flow, in order:
 *   <m365|none|invalid> <Optimize|Allow|Default|-> <ip|host|host+ip|-> expressRoute=0|1 required=0|1 set=N error=N
 * after a first line `version YYYYMMDDNN`. With -g N it sends N generated IPv4 flows instead.
 *
 * usage: m365fc-client [-H host] [-p port] [-t token] [-b batch] [-g count]
 * The token may also come from M365FC_TOKEN; with one, the client sends a hello first.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RECORDS 10000
#define MAX_HOST 253
#define RECORD_MAX (21 + MAX_HOST)

static const char *CATEGORIES[] = {"-", "Optimize", "Allow", "Default"};
static const char *MATCHED_BY[] = {"-", "ip", "host", "host+ip"};
static const char *STATUS[] = {"none", "m365", "invalid"};

static void die(const char *what) {
    fprintf(stderr, "m365fc-client: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(1);
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t get16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t get32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die("write");
        p += w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) { errno = 0; die("the server closed the connection"); }
        if (r < 0) die("read");
        p += r;
        n -= (size_t)r;
    }
}

/* Frame header: magic, version 1, kind, request id. */
static void head(uint8_t *f, uint8_t kind, uint32_t id) {
    f[0] = 'M'; f[1] = 'F'; f[2] = 1; f[3] = kind;
    put32(f + 4, id);
}

/* Sends one frame with its u32 length in front. */
static void send_frame(int fd, uint8_t *frame, size_t len) {
    uint8_t n[4];
    put32(n, (uint32_t)len);
    write_all(fd, n, 4);
    write_all(fd, frame, len);
}

/* Reads one frame into a buffer of `cap` bytes; returns its length. An error frame ends the run. */
static size_t read_frame(int fd, uint8_t *buf, size_t cap) {
    uint8_t n[4];
    read_all(fd, n, 4);
    size_t len = get32(n);
    if (len > cap || len < 8) { errno = 0; die("an answer frame of an unexpected size"); }
    read_all(fd, buf, len);
    if (buf[0] != 'M' || buf[1] != 'F' || buf[2] != 1) { errno = 0; die("an answer that is not a frame"); }
    if (buf[3] == 3) {
        fprintf(stderr, "m365fc-client: error frame, request %u, error number %u\n", get32(buf + 4), len >= 10 ? get16(buf + 8) : 0);
        exit(3);
    }
    return len;
}

/* Parses one input line into a record at `r`; returns its size, or 0 for a bad line. */
static size_t parse_line(char *line, uint8_t *r) {
    char *ip = strtok(line, " \t\r\n"), *port = strtok(NULL, " \t\r\n");
    char *proto = strtok(NULL, " \t\r\n"), *host = strtok(NULL, " \t\r\n");
    if (ip == NULL || port == NULL || proto == NULL || host == NULL) return 0;
    memset(r, 0, 21);
    if (strcmp(ip, "-") != 0) {
        if (inet_pton(AF_INET, ip, r + 4) == 1) r[0] = 4;
        else if (inet_pton(AF_INET6, ip, r + 4) == 1) r[0] = 6;
        else return 0;
    }
    if (strcmp(proto, "tcp") == 0) r[1] = 6;
    else if (strcmp(proto, "udp") == 0) r[1] = 17;
    else if (strcmp(proto, "-") != 0) return 0;
    if (strcmp(port, "-") != 0) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*end != '\0' || p < 1 || p > 65535) return 0;
        put16(r + 2, (uint32_t)p);
    }
    size_t hl = strcmp(host, "-") == 0 ? 0 : strlen(host);
    if (hl > MAX_HOST) return 0;
    r[20] = (uint8_t)hl;
    memcpy(r + 21, host, hl);
    return 21 + hl;
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints, *res, *a;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) { fprintf(stderr, "m365fc-client: %s: %s\n", host, gai_strerror(rc)); exit(1); }
    int fd = -1;
    for (a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) { close(fd); fd = -1; }
    }
    freeaddrinfo(res);
    if (fd < 0) die("connect");
    return fd;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *port = "8366", *token = getenv("M365FC_TOKEN");
    long batch = 1000, generate = -1;
    int opt;
    while ((opt = getopt(argc, argv, "H:p:t:b:g:")) != -1) {
        if (opt == 'H') host = optarg;
        else if (opt == 'p') port = optarg;
        else if (opt == 't') token = optarg;
        else if (opt == 'b') batch = strtol(optarg, NULL, 10);
        else if (opt == 'g') generate = strtol(optarg, NULL, 10);
        else { fprintf(stderr, "usage: %s [-H host] [-p port] [-t token] [-b batch] [-g count]\n", argv[0]); return 2; }
    }
    if (batch < 1 || batch > MAX_RECORDS) { fprintf(stderr, "m365fc-client: -b must be 1-%d\n", MAX_RECORDS); return 2; }

    int fd = connect_to(host, port);
    size_t req_cap = 12 + (size_t)batch * RECORD_MAX, ans_cap = 22 + (size_t)batch * 8;
    uint8_t *req = malloc(req_cap), *ans = malloc(ans_cap > 64 ? ans_cap : 64);
    if (req == NULL || ans == NULL) die("malloc");
    uint32_t id = 1;

    if (token != NULL && token[0] != '\0') {
        size_t tl = strlen(token);
        if (tl > 65535 || 10 + tl > req_cap) { errno = 0; die("token too long"); }
        head(req, 4, id++);
        put16(req + 8, (uint32_t)tl);
        memcpy(req + 10, token, tl);
        send_frame(fd, req, 10 + tl);
        read_frame(fd, ans, ans_cap > 64 ? ans_cap : 64);
    }

    char line[1024];
    int printed_version = 0, more = 1;
    unsigned long lineno = 0, seed = 0x2545F491UL;
    while (more) {
        size_t len = 12;
        uint32_t n = 0;
        while (n < (uint32_t)batch) {
            if (generate >= 0) {
                if (generate-- == 0) { more = 0; break; }
                uint8_t *r = req + len;
                memset(r, 0, 21);
                seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                r[0] = 4; r[1] = 6;
                put16(r + 2, 443);
                put32(r + 4, (uint32_t)(seed >> 32));
                len += 21;
            } else {
                if (fgets(line, sizeof line, stdin) == NULL) { more = 0; break; }
                lineno++;
                if (line[0] == '\n' || line[0] == '#') continue;
                size_t rl = parse_line(line, req + len);
                if (rl == 0) { fprintf(stderr, "m365fc-client: line %lu: want `ip port protocol host`, - for none\n", lineno); return 2; }
                len += rl;
            }
            n++;
        }
        if (n == 0) break;
        head(req, 1, id);
        put32(req + 8, n);
        send_frame(fd, req, len);
        size_t got = read_frame(fd, ans, ans_cap);
        if (ans[3] != 2 || get32(ans + 4) != id || get32(ans + 8) != n || got != 22 + (size_t)n * 8) {
            errno = 0;
            die("an answer that does not fit the request");
        }
        id++;
        if (!printed_version) { printf("version %.10s\n", (const char *)ans + 12); printed_version = 1; }
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *a = ans + 22 + 8 * i;
            printf("%s %s %s expressRoute=%d required=%d set=%u error=%u\n", STATUS[a[0] < 3 ? a[0] : 2],
                   CATEGORIES[a[1] < 4 ? a[1] : 0], MATCHED_BY[a[2] < 4 ? a[2] : 0], a[3] & 1, (a[3] >> 1) & 1,
                   get16(a + 4), get16(a + 6));
        }
    }
    free(req);
    free(ans);
    close(fd);
    return 0;
}
