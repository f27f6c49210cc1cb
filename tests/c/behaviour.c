/* Behaviour test of libImSDK.so (conversation module) through its C ABI.
 *
 * C99 + POSIX threads. Every callback is recorded (copied) into one global log,
 * guarded by a mutex and a condition variable; the test thread waits on it.
 * A TIMConvGetConvList call doubles as a barrier: callbacks run on one library
 * thread in order, so once its callback arrived, every earlier one has too.
 *
 * Prints "N passed, N failed" as its last line; exits 1 on any failure. */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "TIMCloud.h"

/* ------------------------------------------------------------------------ */
/* Checks                                                                    */

static int g_pass, g_fail;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (cond) {                                                          \
            g_pass++;                                                        \
        } else {                                                             \
            g_fail++;                                                        \
            fprintf(stderr, "FAIL %s:%d [%s] (%s): ", __FILE__, __LINE__,    \
                    g_test, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static const char *g_test = "";

#define WAIT_SECS 60

/* The documented bound of a JSON parameter (TIMConversationManager.h,
 * TIMConvSetDraft: "at most 256 KiB and 100 levels deep"). */
#define JSON_MAX (256 * 1024)
#define JSON_MAX_DEPTH 100

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory\n"); abort(); }
    return p;
}

/* Unix seconds from CLOCK_REALTIME, the clock the library reads. (time()
 * reads a coarse clock that can lag it by a tick across a second boundary.) */
static time_t now_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

static char *fmt(const char *f, ...) {
    va_list ap;
    char buf[512];
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return xstrdup(buf);
}

/* Strict UTF-8 check (no overlongs, no surrogates, at most U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned cp, min;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (i + k >= n) return 0; /* truncated sequence */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* A small strict JSON parser (DOM). Numbers keep their exact text.          */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jv {
    jtype t;
    int b;          /* J_BOOL */
    char *s;        /* J_STR: decoded bytes; J_NUM: the number's text */
    size_t slen;
    size_t n;       /* J_ARR, J_OBJ: member count */
    struct jv **items;
    char **keys;    /* J_OBJ */
} jv;

typedef struct {
    char *d;
    size_t n, cap;
} sbuf;

static void sb_putc(sbuf *b, char c) {
    if (b->n + 2 > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->d = realloc(b->d, b->cap);
        if (!b->d) abort();
    }
    b->d[b->n++] = c;
    b->d[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s) {
    while (*s) sb_putc(b, *s++);
}

static char *sb_take(sbuf *b) {
    if (!b->d) { b->d = xmalloc(1); b->d[0] = 0; }
    return b->d;
}

typedef struct {
    const char *p;
    int depth;
} jctx;

static void jfree(jv *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        jfree(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
    free(v);
}

static jv *jnew(jtype t) {
    jv *v = xmalloc(sizeof *v);
    memset(v, 0, sizeof *v);
    v->t = t;
    return v;
}

static void jws(jctx *c) {
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r') c->p++;
}

static int jhex4(jctx *c, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = *c->p;
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') v |= (unsigned)(ch - 'A' + 10);
        else return 0;
        c->p++;
    }
    *out = v;
    return 1;
}

static void put_utf8(sbuf *b, unsigned cp) {
    if (cp < 0x80) {
        sb_putc(b, (char)cp);
    } else if (cp < 0x800) {
        sb_putc(b, (char)(0xC0 | (cp >> 6)));
        sb_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        sb_putc(b, (char)(0xE0 | (cp >> 12)));
        sb_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        sb_putc(b, (char)(0xF0 | (cp >> 18)));
        sb_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        sb_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* *c->p is '"'. */
static int jstr(jctx *c, char **out, size_t *outlen) {
    sbuf b = {0};
    c->p++;
    for (;;) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20) goto bad; /* NUL (end of text) or a raw control character */
        c->p++;
        if (ch == '"') break;
        if (ch != '\\') { sb_putc(&b, (char)ch); continue; }
        ch = (unsigned char)*c->p;
        if (ch == 0) goto bad;
        c->p++;
        switch (ch) {
        case '"': case '\\': case '/': sb_putc(&b, (char)ch); break;
        case 'b': sb_putc(&b, '\b'); break;
        case 'f': sb_putc(&b, '\f'); break;
        case 'n': sb_putc(&b, '\n'); break;
        case 'r': sb_putc(&b, '\r'); break;
        case 't': sb_putc(&b, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (!jhex4(c, &cp)) goto bad;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (c->p[0] != '\\' || c->p[1] != 'u') goto bad;
                c->p += 2;
                if (!jhex4(c, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            put_utf8(&b, cp);
            break;
        }
        default: goto bad;
        }
    }
    *out = sb_take(&b);
    *outlen = b.n;
    return 1;
bad:
    free(b.d);
    return 0;
}

static int isdig(char ch) { return ch >= '0' && ch <= '9'; }

static jv *jvalue(jctx *c);

static void jpush(jv *v, char *key, jv *item) {
    v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
    if (!v->items) abort();
    if (v->t == J_OBJ) {
        v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
        if (!v->keys) abort();
        v->keys[v->n] = key;
    }
    v->items[v->n++] = item;
}

static jv *jvalue(jctx *c) {
    jv *v = NULL;
    jws(c);
    if (++c->depth > 1000) return NULL;
    switch (*c->p) {
    case '{':
        v = jnew(J_OBJ);
        c->p++;
        jws(c);
        if (*c->p == '}') { c->p++; break; }
        for (;;) {
            char *key;
            size_t klen;
            jv *item;
            jws(c);
            if (*c->p != '"' || !jstr(c, &key, &klen)) goto bad;
            jws(c);
            if (*c->p != ':') { free(key); goto bad; }
            c->p++;
            item = jvalue(c);
            if (!item) { free(key); goto bad; }
            jpush(v, key, item);
            jws(c);
            if (*c->p == ',') { c->p++; continue; }
            if (*c->p == '}') { c->p++; break; }
            goto bad;
        }
        break;
    case '[':
        v = jnew(J_ARR);
        c->p++;
        jws(c);
        if (*c->p == ']') { c->p++; break; }
        for (;;) {
            jv *item = jvalue(c);
            if (!item) goto bad;
            jpush(v, NULL, item);
            jws(c);
            if (*c->p == ',') { c->p++; continue; }
            if (*c->p == ']') { c->p++; break; }
            goto bad;
        }
        break;
    case '"':
        v = jnew(J_STR);
        if (!jstr(c, &v->s, &v->slen)) goto bad;
        break;
    case 't':
        if (strncmp(c->p, "true", 4)) return NULL;
        v = jnew(J_BOOL); v->b = 1; c->p += 4;
        break;
    case 'f':
        if (strncmp(c->p, "false", 5)) return NULL;
        v = jnew(J_BOOL); v->b = 0; c->p += 5;
        break;
    case 'n':
        if (strncmp(c->p, "null", 4)) return NULL;
        v = jnew(J_NULL); c->p += 4;
        break;
    default: {
        const char *s = c->p, *p = s;
        if (*p == '-') p++;
        if (*p == '0') p++;
        else if (*p >= '1' && *p <= '9') while (isdig(*p)) p++;
        else return NULL;
        if (*p == '.') { p++; if (!isdig(*p)) return NULL; while (isdig(*p)) p++; }
        if (*p == 'e' || *p == 'E') {
            p++;
            if (*p == '+' || *p == '-') p++;
            if (!isdig(*p)) return NULL;
            while (isdig(*p)) p++;
        }
        v = jnew(J_NUM);
        v->slen = (size_t)(p - s);
        v->s = xmalloc(v->slen + 1);
        memcpy(v->s, s, v->slen);
        v->s[v->slen] = 0;
        c->p = p;
        break;
    }
    }
    c->depth--;
    return v;
bad:
    jfree(v);
    return NULL;
}

/* Parses a whole text; NULL if it is not exactly one JSON value. */
static jv *jparse(const char *text) {
    jctx c;
    jv *v;
    if (!text) return NULL;
    c.p = text;
    c.depth = 0;
    v = jvalue(&c);
    if (!v) return NULL;
    jws(&c);
    if (*c.p) { jfree(v); return NULL; }
    return v;
}

static const jv *jget(const jv *o, const char *key) {
    if (!o || o->t != J_OBJ) return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0) return o->items[i];
    return NULL;
}

static size_t jkeycount(const jv *o, const char *key) {
    size_t k = 0;
    if (!o || o->t != J_OBJ) return 0;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0) k++;
    return k;
}

static const jv *jat(const jv *a, size_t i) {
    if (!a || a->t != J_ARR || i >= a->n) return NULL;
    return a->items[i];
}

static size_t jlen(const jv *a) { return (a && a->t == J_ARR) ? a->n : 0; }

/* The value as an unsigned 64-bit integer, exactly; 0 if it is not one. */
static int ju64(const jv *v, uint64_t *out) {
    uint64_t x = 0;
    if (!v || v->t != J_NUM || v->slen == 0) return 0;
    for (size_t i = 0; i < v->slen; i++) {
        unsigned d;
        if (!isdig(v->s[i])) return 0;
        d = (unsigned)(v->s[i] - '0');
        if (x > (UINT64_MAX - d) / 10) return 0;
        x = x * 10 + d;
    }
    *out = x;
    return 1;
}

static uint64_t ju64or(const jv *v, uint64_t dflt) {
    uint64_t x;
    return ju64(v, &x) ? x : dflt;
}

static int jstreq(const jv *v, const char *s) {
    return v && v->t == J_STR && v->slen == strlen(s) && memcmp(v->s, s, v->slen) == 0;
}

static int jisbool(const jv *v, int b) { return v && v->t == J_BOOL && v->b == b; }

/* Deep equality; object member order does not matter; numbers compare by text. */
static int jequal(const jv *a, const jv *b) {
    if (!a || !b) return a == b;
    if (a->t != b->t) return 0;
    switch (a->t) {
    case J_NULL: return 1;
    case J_BOOL: return a->b == b->b;
    case J_NUM:
    case J_STR: return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
    case J_ARR:
        if (a->n != b->n) return 0;
        for (size_t i = 0; i < a->n; i++)
            if (!jequal(a->items[i], b->items[i])) return 0;
        return 1;
    case J_OBJ:
        if (a->n != b->n) return 0;
        for (size_t i = 0; i < a->n; i++) {
            if (jkeycount(b, a->keys[i]) != 1 || jkeycount(a, a->keys[i]) != 1) return 0;
            if (!jequal(a->items[i], jget(b, a->keys[i]))) return 0;
        }
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The callback log                                                          */

enum { R_EVT = 1, R_CB = 2 };

typedef struct {
    int kind;
    int code;        /* R_CB: code; R_EVT: the TIMConvEvent */
    char *desc;      /* R_CB only */
    char *json;
    const void *ud;
} rec_t;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static rec_t **g_log;
static size_t g_n, g_cap;

static pthread_t g_main_thread;
static pthread_t g_cb_thread;
static int g_have_cb_thread;
static int g_cb_on_caller_thread; /* a callback ran on the main test thread */
static int g_cb_many_threads;     /* callbacks ran on more than one thread */
static int g_cb_nested;           /* a callback ran inside another (synchronously) */
static int g_cb_bad_strings;      /* NULL or non-UTF-8 desc/json */
static __thread int t_cb_depth;

static void cb_enter(void) {
    pthread_t self = pthread_self();
    pthread_mutex_lock(&g_mu);
    if (pthread_equal(self, g_main_thread)) g_cb_on_caller_thread++;
    if (!g_have_cb_thread) {
        g_cb_thread = self;
        g_have_cb_thread = 1;
    } else if (!pthread_equal(self, g_cb_thread)) {
        g_cb_many_threads++;
    }
    if (t_cb_depth > 0) g_cb_nested++;
    pthread_mutex_unlock(&g_mu);
    t_cb_depth++;
}

static void cb_leave(void) { t_cb_depth--; }

static void rec_add(int kind, int code, const char *desc, const char *json, const void *ud) {
    rec_t *r = xmalloc(sizeof *r);
    int bad = 0;
    if (kind == R_CB && (!desc || !utf8_valid((const unsigned char *)desc, strlen(desc)))) bad = 1;
    if (!json || !utf8_valid((const unsigned char *)json, strlen(json))) bad = 1;
    r->kind = kind;
    r->code = code;
    r->desc = (kind == R_CB && desc) ? xstrdup(desc) : NULL;
    r->json = json ? xstrdup(json) : NULL;
    r->ud = ud;
    pthread_mutex_lock(&g_mu);
    if (bad) g_cb_bad_strings++;
    if (g_n == g_cap) {
        g_cap = g_cap ? g_cap * 2 : 256;
        g_log = realloc(g_log, g_cap * sizeof *g_log);
        if (!g_log) abort();
    }
    g_log[g_n++] = r;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static void rec_cb(int32_t code, const char *desc, const char *json, const void *ud) {
    cb_enter();
    rec_add(R_CB, code, desc, json, ud);
    cb_leave();
}

static void rec_evt(enum TIMConvEvent ev, const char *json, const void *ud) {
    cb_enter();
    rec_add(R_EVT, (int)ev, NULL, json, ud);
    cb_leave();
}

static size_t log_len(void) {
    size_t n;
    pthread_mutex_lock(&g_mu);
    n = g_n;
    pthread_mutex_unlock(&g_mu);
    return n;
}

static const rec_t *rec_at(size_t i) {
    const rec_t *r;
    pthread_mutex_lock(&g_mu);
    r = i < g_n ? g_log[i] : NULL;
    pthread_mutex_unlock(&g_mu);
    return r;
}

/* Waits for the first per-call callback with `ud` at index >= from; -1 on time-out. */
static long wait_ud(const void *ud, size_t from) {
    struct timespec dl;
    long found = -1;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_SECS;
    pthread_mutex_lock(&g_mu);
    for (;;) {
        for (size_t i = from; i < g_n; i++) {
            if (g_log[i]->kind == R_CB && g_log[i]->ud == ud) { found = (long)i; break; }
        }
        if (found >= 0) break;
        from = g_n;
        if (pthread_cond_timedwait(&g_cv, &g_mu, &dl) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&g_mu);
    return found;
}

/* Unique, odd, never-dereferenced user_data tokens. */
#define TOK_BASE ((uintptr_t)0x50000001u)
#define TOK_MAX 20000
static uintptr_t g_tok_next = TOK_BASE;
static const void *tok(void) {
    const void *t = (const void *)g_tok_next;
    g_tok_next += 2;
    if ((g_tok_next - TOK_BASE) / 2 >= TOK_MAX) abort();
    return t;
}

#define EVT_UD ((const void *)(uintptr_t)0x0E0E0E0Eu)
#define EVT_UD2 ((const void *)(uintptr_t)0x0E0E0E0Fu)

/* The current list, taken with a barrier; *at gets its record index. */
static char *snapshot_at(size_t *at) {
    const void *t = tok();
    size_t from = log_len();
    int r = TIMConvGetConvList(rec_cb, t);
    long i;
    CHECK(r == TIM_SUCC, "TIMConvGetConvList returned %d", r);
    if (r != TIM_SUCC) { *at = from; return xstrdup("[]"); }
    i = wait_ud(t, from);
    CHECK(i >= 0, "TIMConvGetConvList callback did not arrive");
    if (i < 0) { *at = log_len(); return xstrdup("[]"); }
    CHECK(rec_at((size_t)i)->code == 0, "list code %d", rec_at((size_t)i)->code);
    *at = (size_t)i;
    return xstrdup(rec_at((size_t)i)->json);
}

static char *snapshot(void) {
    size_t at;
    return snapshot_at(&at);
}

static jv *list_now(void) {
    char *s = snapshot();
    jv *v = jparse(s);
    CHECK(v && v->t == J_ARR, "list is not a JSON array: %.200s", s);
    free(s);
    return v;
}

static void barrier(size_t *at) {
    free(snapshot_at(at));
}

/* The list entry for (id, type), or NULL; *pos gets its index. */
static const jv *find_conv(const jv *list, const char *id, int type, size_t *pos) {
    for (size_t i = 0; i < jlen(list); i++) {
        const jv *c = jat(list, i);
        if (jstreq(jget(c, kTIMConvId), id) && ju64or(jget(c, kTIMConvType), 99) == (uint64_t)type) {
            if (pos) *pos = i;
            return c;
        }
    }
    return NULL;
}

/* Checks the whole list: valid ConvInfo objects, unique (type, id), order by
 * conv_active_time strictly descending. */
static void check_list_invariants(const jv *list) {
    uint64_t prev = UINT64_MAX;
    int sorted = 1, ok = 1;
    for (size_t i = 0; i < jlen(list); i++) {
        const jv *c = jat(list, i);
        uint64_t at;
        if (!c || c->t != J_OBJ || !ju64(jget(c, kTIMConvActiveTime), &at)) { ok = 0; continue; }
        if (i > 0 && !(at < prev)) sorted = 0;
        prev = at;
        for (size_t j = 0; j < i; j++) {
            const jv *d = jat(list, j);
            if (jequal(jget(c, kTIMConvId), jget(d, kTIMConvId)) &&
                jequal(jget(c, kTIMConvType), jget(d, kTIMConvType)))
                ok = 0;
        }
    }
    CHECK(ok, "list entries are ConvInfo objects with unique (type, id)");
    CHECK(sorted, "list order is conv_active_time strictly descending");
}

static const char *const CONV_KEYS[] = {
    kTIMConvId, kTIMConvType, kTIMConvOwner, kTIMConvUnReadNum, kTIMConvActiveTime,
    kTIMConvIsHasLastMsg, kTIMConvIsHasDraft, kTIMConvIsPinned, kTIMConvRecvOpt,
    kTIMConvShowName, kTIMConvFaceUrl, kTIMConvMarkArray, kTIMConvCustomData,
    kTIMConvConversationGroupArray, kTIMConvGroupAtInfoArray,
};

/* Checks one ConvInfo object. has_draft: 0, 1, or -1 (either). */
static void check_conv(const jv *c, const char *id, int type, int has_draft, const char *where) {
    const jv *v;
    uint64_t at = 0;
    CHECK(c && c->t == J_OBJ, "%s: ConvInfo is an object", where);
    if (!c || c->t != J_OBJ) return;
    for (size_t i = 0; i < sizeof CONV_KEYS / sizeof CONV_KEYS[0]; i++)
        CHECK(jkeycount(c, CONV_KEYS[i]) == 1, "%s: key %s present once", where, CONV_KEYS[i]);
    CHECK(jstreq(jget(c, kTIMConvId), id), "%s: conv_id", where);
    CHECK(ju64or(jget(c, kTIMConvType), 99) == (uint64_t)type, "%s: conv_type %d", where, type);
    CHECK(jstreq(jget(c, kTIMConvOwner), ""), "%s: conv_owner \"\"", where);
    CHECK(jstreq(jget(c, kTIMConvShowName), id), "%s: conv_show_name is the id", where);
    CHECK(ju64or(jget(c, kTIMConvUnReadNum), 99) == 0, "%s: conv_unread_num 0", where);
    CHECK(ju64(jget(c, kTIMConvActiveTime), &at) && at > 0, "%s: conv_active_time positive uint64", where);
    CHECK(jisbool(jget(c, kTIMConvIsHasLastMsg), 0), "%s: conv_is_has_lastmsg false", where);
    CHECK(jget(c, kTIMConvLastMsg) == NULL, "%s: no conv_last_msg", where);
    CHECK(jisbool(jget(c, kTIMConvIsPinned), 0), "%s: conv_is_pinned false", where);
    CHECK(ju64or(jget(c, kTIMConvRecvOpt), 99) == kTIMRecvMsgOpt_Receive, "%s: conv_recv_opt 0", where);
    v = jget(c, kTIMConvFaceUrl);
    CHECK(v && v->t == J_STR, "%s: conv_face_url string", where);
    v = jget(c, kTIMConvCustomData);
    CHECK(jstreq(v, ""), "%s: conv_custom_data \"\"", where);
    v = jget(c, kTIMConvMarkArray);
    CHECK(v && v->t == J_ARR && v->n == 0, "%s: conv_mark_array []", where);
    v = jget(c, kTIMConvConversationGroupArray);
    CHECK(v && v->t == J_ARR && v->n == 0, "%s: conv_conversation_group_array []", where);
    v = jget(c, kTIMConvGroupAtInfoArray);
    CHECK(v && v->t == J_ARR && v->n == 0, "%s: conv_group_at_info_array []", where);
    v = jget(c, kTIMConvIsHasDraft);
    CHECK(v && v->t == J_BOOL, "%s: conv_is_has_draft bool", where);
    if (v && v->t == J_BOOL) {
        if (has_draft >= 0) CHECK(v->b == has_draft, "%s: conv_is_has_draft == %d", where, has_draft);
        if (v->b) {
            const jv *d = jget(c, kTIMConvDraft);
            CHECK(d && d->t == J_OBJ, "%s: conv_draft object when has_draft", where);
            CHECK(jget(d, kTIMDraftMsg) && jget(d, kTIMDraftMsg)->t == J_OBJ, "%s: draft_msg", where);
            CHECK(jget(d, kTIMDraftEditTime) && ju64(jget(d, kTIMDraftEditTime), &at),
                  "%s: draft_edit_time uint64", where);
        } else {
            CHECK(jget(c, kTIMConvDraft) == NULL, "%s: no conv_draft without draft", where);
        }
    }
}

/* An event record: single-element ConvInfo array for (id, type). */
static int evt_is(const rec_t *r, int ev, const char *id, int type) {
    jv *v;
    int ok;
    if (!r || r->kind != R_EVT || r->code != ev) return 0;
    v = jparse(r->json);
    ok = v && jlen(v) == 1 && jstreq(jget(jat(v, 0), kTIMConvId), id) &&
         ju64or(jget(jat(v, 0), kTIMConvType), 99) == (uint64_t)type;
    jfree(v);
    return ok;
}

/* Number of records in [from, to) that are events. */
static size_t count_events(size_t from, size_t to) {
    size_t k = 0;
    for (size_t i = from; i < to; i++)
        if (rec_at(i)->kind == R_EVT) k++;
    return k;
}

/* Number of per-call callbacks in [from, to) with `ud`. */
static size_t count_ud(size_t from, size_t to, const void *ud) {
    size_t k = 0;
    for (size_t i = from; i < to; i++)
        if (rec_at(i)->kind == R_CB && rec_at(i)->ud == ud) k++;
    return k;
}

/* Prints records [from, to) to stderr (to explain a failed sequence check). */
static void dump_records(size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
        const rec_t *r = rec_at(i);
        if (!r) break;
        fprintf(stderr, "  #%zu %s %d ud=%p %.160s\n", i, r->kind == R_EVT ? "event" : "callback", r->code, r->ud,
                r->json ? r->json : "(null)");
    }
}

/* Calls TIMConvCreate and waits for its callback; returns its record index or -1. */
static long create_wait(const char *id, int type) {
    const void *t = tok();
    size_t from = log_len();
    int r = TIMConvCreate(id, (enum TIMConvType)type, rec_cb, t);
    long i;
    CHECK(r == TIM_SUCC, "TIMConvCreate(%s, %d) returned %d", id, type, r);
    if (r != TIM_SUCC) return -1;
    i = wait_ud(t, from);
    CHECK(i >= 0, "TIMConvCreate(%s) callback arrived", id);
    if (i >= 0) CHECK(rec_at((size_t)i)->code == 0, "create code %d", rec_at((size_t)i)->code);
    return i;
}

static long delete_wait(const char *id, int type) {
    const void *t = tok();
    size_t from = log_len();
    int r = TIMConvDelete(id, (enum TIMConvType)type, rec_cb, t);
    long i;
    CHECK(r == TIM_SUCC, "TIMConvDelete(%s, %d) returned %d", id, type, r);
    if (r != TIM_SUCC) return -1;
    i = wait_ud(t, from);
    CHECK(i >= 0, "TIMConvDelete(%s) callback arrived", id);
    return i;
}

static const char *const DRAFT_SIMPLE =
    "{\"draft_msg\":{\"message_elem_array\":[{\"elem_type\":0,\"text_elem_content\":\"d\"}]},"
    "\"draft_user_define\":\"u\",\"draft_edit_time\":7}";

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */

static void t_empty_start(void) {
    jv *l;
    g_test = "empty_start";
    l = list_now();
    CHECK(l && l->t == J_ARR && l->n == 0, "a fresh process lists no conversation");
    jfree(l);
}

static jv *g_alice_c2c_info; /* ConvInfo from the first create */

static void t_create_two_types(void) {
    size_t from, at;
    long i;
    jv *ev, *cb, *l;
    const rec_t *r;
    g_test = "create_two_types";

    from = log_len();
    i = create_wait("alice", kTIMConv_C2C);
    if (i < 0) return;
    /* Exactly: Add event, then the call's callback. */
    CHECK((size_t)i == from + 1, "one record (the event) before the create callback, got %ld", (long)i - (long)from);
    r = rec_at(from);
    CHECK(r->kind == R_EVT && r->code == kTIMConvEvent_Add, "first record is kTIMConvEvent_Add");
    CHECK(r->ud == EVT_UD, "event user_data passed through");
    ev = jparse(r->json);
    CHECK(ev && ev->t == J_ARR && ev->n == 1, "Add payload is a one-element array: %.200s", r->json);
    check_conv(jat(ev, 0), "alice", kTIMConv_C2C, 0, "Add alice c2c");
    r = rec_at((size_t)i);
    CHECK(r->code == ERR_SUCC && strcmp(r->desc, "") == 0, "create: code 0, desc \"\" (got %d, %s)", r->code, r->desc);
    cb = jparse(r->json);
    CHECK(cb && cb->t == J_OBJ, "create json is one ConvInfo object: %.200s", r->json);
    check_conv(cb, "alice", kTIMConv_C2C, 0, "create alice c2c");
    CHECK(jequal(cb, jat(ev, 0)), "event ConvInfo equals callback ConvInfo");
    g_alice_c2c_info = cb;
    jfree(ev);

    /* Group with the same id: a second, distinct conversation. */
    from = log_len();
    i = create_wait("alice", kTIMConv_Group);
    if (i < 0) return;
    CHECK((size_t)i == from + 1 && evt_is(rec_at(from), kTIMConvEvent_Add, "alice", kTIMConv_Group),
          "group create: Add event for (alice, group) then callback");
    cb = jparse(rec_at((size_t)i)->json);
    check_conv(cb, "alice", kTIMConv_Group, 0, "create alice group");
    CHECK(!jequal(cb, g_alice_c2c_info), "group ConvInfo differs from the c2c one");
    CHECK(ju64or(jget(cb, kTIMConvActiveTime), 0) > ju64or(jget(g_alice_c2c_info, kTIMConvActiveTime), UINT64_MAX),
          "later creation has a larger conv_active_time");
    jfree(cb);

    l = list_now();
    CHECK(jlen(l) == 2, "two conversations listed, got %zu", jlen(l));
    CHECK(find_conv(l, "alice", kTIMConv_C2C, NULL) && find_conv(l, "alice", kTIMConv_Group, NULL),
          "both (alice, c2c) and (alice, group) listed");
    CHECK(jstreq(jget(jat(l, 0), kTIMConvId), "alice") && ju64or(jget(jat(l, 0), kTIMConvType), 0) == kTIMConv_Group,
          "most recent (group) first");
    CHECK(jequal(jat(l, 1), g_alice_c2c_info), "listed c2c ConvInfo equals the one created");
    check_list_invariants(l);
    jfree(l);

    /* Create again: same info, no event, no reordering. */
    {
        char *before = snapshot();
        char *after;
        from = log_len();
        i = create_wait("alice", kTIMConv_C2C);
        if (i < 0) { free(before); return; }
        CHECK(count_events(from, (size_t)i) == 0, "existing conversation: no event");
        cb = jparse(rec_at((size_t)i)->json);
        CHECK(jequal(cb, g_alice_c2c_info), "existing conversation: the same ConvInfo comes back");
        jfree(cb);
        after = snapshot_at(&at);
        CHECK(strcmp(before, after) == 0, "existing conversation: list unchanged");
        CHECK(count_events(from, at) == 0, "existing conversation: still no event");
        free(before);
        free(after);
    }
}

static void t_delete(void) {
    size_t from, at;
    long i;
    jv *l, *ev, *last;
    const rec_t *r;
    g_test = "delete";

    l = list_now();
    last = NULL;
    {
        const jv *c = find_conv(l, "alice", kTIMConv_C2C, NULL);
        CHECK(c != NULL, "alice c2c exists before delete");
        if (!c) { jfree(l); return; }
    }

    from = log_len();
    i = delete_wait("alice", kTIMConv_C2C);
    if (i < 0) { jfree(l); return; }
    CHECK((size_t)i == from + 1, "delete: exactly one record before its callback");
    r = rec_at(from);
    CHECK(r->kind == R_EVT && r->code == kTIMConvEvent_Del, "delete: kTIMConvEvent_Del first");
    ev = jparse(r->json);
    CHECK(jlen(ev) == 1, "Del payload: one-element array: %.200s", r->json);
    CHECK(jequal(jat(ev, 0), find_conv(l, "alice", kTIMConv_C2C, NULL)), "Del payload is the last ConvInfo");
    jfree(ev);
    r = rec_at((size_t)i);
    CHECK(r->code == ERR_SUCC && strcmp(r->desc, "") == 0 && strcmp(r->json, "") == 0,
          "delete callback: 0, \"\", \"\" (got %d, '%s', '%s')", r->code, r->desc, r->json);
    jfree(l);

    l = list_now();
    CHECK(find_conv(l, "alice", kTIMConv_C2C, NULL) == NULL, "deleted c2c conversation gone");
    CHECK(find_conv(l, "alice", kTIMConv_Group, NULL) != NULL, "group conversation with the same id kept");
    jfree(l);

    /* Deleting a missing one: TIM_SUCC, then 6004, no event. */
    from = log_len();
    i = delete_wait("alice", kTIMConv_C2C);
    if (i >= 0) {
        r = rec_at((size_t)i);
        CHECK(r->code == ERR_INVALID_CONVERSATION, "missing: callback code 6004, got %d", r->code);
        CHECK(strlen(r->desc) > 0, "missing: a desc is given");
        CHECK(strcmp(r->json, "") == 0, "missing: json \"\" (got '%s')", r->json);
        barrier(&at);
        CHECK(count_events(from, at) == 0, "missing: no event");
    }
    i = delete_wait("never-existed", kTIMConv_Group);
    if (i >= 0) CHECK(rec_at((size_t)i)->code == ERR_INVALID_CONVERSATION, "never existed: 6004");

    /* Delete with a draft: the Del payload carries it; a re-created conversation has none. */
    CHECK(TIMConvSetDraft("alice", kTIMConv_Group, DRAFT_SIMPLE) == TIM_SUCC, "draft on alice group");
    from = log_len();
    i = delete_wait("alice", kTIMConv_Group);
    if (i >= 0) {
        CHECK((size_t)i >= from + 2 && evt_is(rec_at((size_t)i - 1), kTIMConvEvent_Del, "alice", kTIMConv_Group),
              "Del event right before the delete callback");
        ev = jparse(rec_at((size_t)i - 1)->json);
        check_conv(jat(ev, 0), "alice", kTIMConv_Group, 1, "Del with draft");
        CHECK(jstreq(jget(jget(jat(ev, 0), kTIMConvDraft), kTIMDraftUserDefine), "u"), "Del payload's draft");
        jfree(ev);
    }
    from = log_len();
    i = create_wait("alice", kTIMConv_Group);
    if (i >= 0) {
        CHECK(evt_is(rec_at(from), kTIMConvEvent_Add, "alice", kTIMConv_Group), "re-create fires Add again");
        last = jparse(rec_at((size_t)i)->json);
        check_conv(last, "alice", kTIMConv_Group, 0, "re-created: no draft");
        jfree(last);
    }
    delete_wait("alice", kTIMConv_Group);
    l = list_now();
    CHECK(jlen(l) == 0, "everything deleted: empty list, got %zu", jlen(l));
    jfree(l);
}

/* Subset order check: the conversations named (all of type `type`) appear in
 * the list in exactly this relative order. */
static int subset_order(const jv *l, const char *const *ids, size_t n, int type) {
    size_t prev = 0;
    for (size_t k = 0; k < n; k++) {
        size_t pos;
        if (!find_conv(l, ids[k], type, &pos)) return 0;
        if (k > 0 && pos <= prev) return 0;
        prev = pos;
    }
    return 1;
}

static uint64_t active_of(const jv *l, const char *id, int type) {
    return ju64or(jget(find_conv(l, id, type, NULL), kTIMConvActiveTime), 0);
}

static uint64_t max_active(const jv *l) {
    uint64_t m = 0;
    for (size_t i = 0; i < jlen(l); i++) {
        uint64_t a = ju64or(jget(jat(l, i), kTIMConvActiveTime), 0);
        if (a > m) m = a;
    }
    return m;
}

static void t_list_order(void) {
    jv *l;
    uint64_t a1, m;
    g_test = "list_order";
    create_wait("keep-old", kTIMConv_Group);
    create_wait("ord-1", kTIMConv_C2C);
    create_wait("ord-2", kTIMConv_C2C);
    create_wait("ord-3", kTIMConv_C2C);
    l = list_now();
    {
        const char *want[] = {"ord-3", "ord-2", "ord-1"};
        CHECK(subset_order(l, want, 3, kTIMConv_C2C), "creation order: 3, 2, 1");
        CHECK(jstreq(jget(jat(l, 0), kTIMConvId), "ord-3"), "newest first");
    }
    check_list_invariants(l);
    m = max_active(l);
    jfree(l);

    CHECK(TIMConvSetDraft("ord-1", kTIMConv_C2C, DRAFT_SIMPLE) == TIM_SUCC, "draft on ord-1");
    l = list_now();
    {
        const char *want[] = {"ord-1", "ord-3", "ord-2"};
        CHECK(subset_order(l, want, 3, kTIMConv_C2C), "SetDraft moves ord-1 to the top");
        CHECK(jstreq(jget(jat(l, 0), kTIMConvId), "ord-1"), "ord-1 is first overall");
    }
    a1 = active_of(l, "ord-1", kTIMConv_C2C);
    CHECK(a1 > m, "SetDraft gives a conv_active_time above every earlier one");
    check_list_invariants(l);
    jfree(l);

    CHECK(TIMConvCancelDraft("ord-1", kTIMConv_C2C) == TIM_SUCC, "cancel ord-1");
    l = list_now();
    {
        const char *want[] = {"ord-1", "ord-3", "ord-2"};
        CHECK(subset_order(l, want, 3, kTIMConv_C2C), "CancelDraft does not reorder");
    }
    CHECK(active_of(l, "ord-1", kTIMConv_C2C) == a1, "CancelDraft keeps conv_active_time");
    jfree(l);

    CHECK(TIMConvSetDraft("ord-2", kTIMConv_C2C, DRAFT_SIMPLE) == TIM_SUCC, "draft on ord-2");
    create_wait("ord-3", kTIMConv_C2C); /* existing: no activation */
    l = list_now();
    {
        const char *want[] = {"ord-2", "ord-1", "ord-3"};
        CHECK(subset_order(l, want, 3, kTIMConv_C2C), "ord-2 on top; create of existing ord-3 does not move it");
    }
    {
        size_t pos;
        CHECK(find_conv(l, "keep-old", kTIMConv_Group, &pos) && pos == jlen(l) - 1, "the oldest is last");
    }
    check_list_invariants(l);
    jfree(l);

    /* A second SetDraft on the top conversation still raises its active time. */
    l = list_now();
    a1 = active_of(l, "ord-2", kTIMConv_C2C);
    jfree(l);
    CHECK(TIMConvSetDraft("ord-2", kTIMConv_C2C, DRAFT_SIMPLE) == TIM_SUCC, "draft again on ord-2");
    l = list_now();
    CHECK(active_of(l, "ord-2", kTIMConv_C2C) > a1, "re-activation raises conv_active_time");
    jfree(l);

    delete_wait("ord-1", kTIMConv_C2C);
    delete_wait("ord-2", kTIMConv_C2C);
    delete_wait("ord-3", kTIMConv_C2C);
}

/* The draft text as given (with white space, vendor sample). */
static const char *const DRAFT_VENDOR =
    "{\n"
    "   \"draft_edit_time\" : 1551271429,\n"
    "   \"draft_msg\" : {\n"
    "      \"message_elem_array\" : [\n"
    "         {\n"
    "            \"elem_type\" : 0,\n"
    "            \"text_elem_content\" : \"this draft\"\n"
    "         }\n"
    "      ]\n"
    "   },\n"
    "   \"draft_user_define\" : \"this is userdefine\"\n"
    "}\n";

static const char *const DRAFT_WEIRD =
    "{\"draft_msg\":{\"message_elem_array\":[{\"elem_type\":0,\"text_elem_content\":"
    "\"h\\u00e9llo \\\"q\\\" \\\\ \\n \\t \\/ \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \\ud83d\\ude00\"},"
    "{\"elem_type\":3,\"custom_elem_data\":\"d\"}],"
    "\"x_unknown\":{\"a\":[1,-2,3.25,1e10,-0.0,1E-7,18446744073709551615,-9223372036854775808,"
    "123456789012345678901234567890],\"b\":null,\"c\":true,\"d\":false,\"e\":{},\"f\":[]},"
    "\"message_custom_int\":7},"
    "\"draft_user_define\":\"\\u4e2d raw \xc3\xa9\","
    "\"draft_edit_time\":18446744073709551615,\"x_top\":[[{}]]}";

/* Finds the single Update event for (id, type) in [from, to); returns its payload's ConvInfo parse. */
static jv *find_update(size_t from, size_t to, const char *id, int type, size_t *count) {
    jv *found = NULL;
    *count = 0;
    for (size_t i = from; i < to; i++) {
        if (evt_is(rec_at(i), kTIMConvEvent_Update, id, type)) {
            (*count)++;
            jfree(found);
            found = jparse(rec_at(i)->json);
        }
    }
    return found;
}

static void t_draft(void) {
    size_t from, at, n;
    jv *l, *want, *ev;
    const jv *c, *d;
    long i;
    time_t t0, t1;
    uint64_t a_before;
    g_test = "draft";

    create_wait("draft-me", kTIMConv_C2C);
    create_wait("other", kTIMConv_C2C);

    /* The vendor's sample, with white space. */
    from = log_len();
    CHECK(TIMConvSetDraft("draft-me", kTIMConv_C2C, DRAFT_VENDOR) == TIM_SUCC, "SetDraft vendor sample");
    l = list_now();                       /* read your writes: right after the call */
    barrier(&at);
    c = find_conv(l, "draft-me", kTIMConv_C2C, NULL);
    check_conv(c, "draft-me", kTIMConv_C2C, 1, "after SetDraft");
    want = jparse(DRAFT_VENDOR);
    CHECK(jequal(jget(c, kTIMConvDraft), want), "conv_draft equals the draft given");
    ev = find_update(from, at, "draft-me", kTIMConv_C2C, &n);
    CHECK(n == 1, "SetDraft fires exactly one Update, got %zu", n);
    CHECK(ev && jequal(jat(ev, 0), c), "Update payload equals the listed ConvInfo");
    CHECK(count_events(from, at) == 1, "and no other event");
    CHECK(ev && rec_at(from)->kind == R_EVT, "the Update comes before the list callback");
    jfree(ev);
    jfree(want);
    jfree(l);

    /* Unknown keys, escapes, odd numbers and 2^64-1 are kept; the old draft is replaced. */
    CHECK(TIMConvSetDraft("draft-me", kTIMConv_C2C, DRAFT_WEIRD) == TIM_SUCC, "SetDraft weird draft");
    l = list_now();
    c = find_conv(l, "draft-me", kTIMConv_C2C, NULL);
    d = jget(c, kTIMConvDraft);
    want = jparse(DRAFT_WEIRD);
    CHECK(want != NULL, "(test bug) DRAFT_WEIRD parses");
    CHECK(jequal(d, want), "conv_draft equals the draft given (numbers by exact text)");
    CHECK(jget(d, kTIMDraftEditTime) && strcmp(jget(d, kTIMDraftEditTime)->s, "18446744073709551615") == 0,
          "draft_edit_time 2^64-1 exact");
    CHECK(ju64or(jget(d, kTIMDraftEditTime), 0) == UINT64_MAX, "draft_edit_time == UINT64_MAX");
    CHECK(jstreq(jget(d, kTIMDraftUserDefine), "\xe4\xb8\xad raw \xc3\xa9"), "draft_user_define unicode");
    CHECK(jstreq(jget(jat(jget(jget(d, kTIMDraftMsg), kTIMMsgElemArray), 0), kTIMTextElemContent),
                 "h\xc3\xa9llo \"q\" \\ \n \t / \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xf0\x9f\x98\x80"),
          "text with escapes round-trips");
    jfree(want);
    jfree(l);

    /* 2^53 + 1 exactly. */
    CHECK(TIMConvSetDraft("draft-me", kTIMConv_C2C,
                          "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_edit_time\":9007199254740993}") == TIM_SUCC,
          "SetDraft 2^53+1");
    l = list_now();
    d = jget(find_conv(l, "draft-me", kTIMConv_C2C, NULL), kTIMConvDraft);
    CHECK(ju64or(jget(d, kTIMDraftEditTime), 0) == 9007199254740993ULL, "draft_edit_time 2^53+1 exact");
    CHECK(jget(d, kTIMDraftUserDefine) == NULL, "replaced draft has no user define left over");
    jfree(l);

    /* No draft_edit_time: now; no draft_user_define: none added. */
    t0 = now_secs();
    CHECK(TIMConvSetDraft("draft-me", kTIMConv_C2C, "{\"draft_msg\":{\"message_elem_array\":[]}}") == TIM_SUCC,
          "SetDraft minimal (empty elem array)");
    t1 = now_secs();
    l = list_now();
    c = find_conv(l, "draft-me", kTIMConv_C2C, NULL);
    check_conv(c, "draft-me", kTIMConv_C2C, 1, "minimal draft");
    d = jget(c, kTIMConvDraft);
    {
        uint64_t et = ju64or(jget(d, kTIMDraftEditTime), 0);
        CHECK(et >= (uint64_t)t0 && et <= (uint64_t)t1, "filled-in draft_edit_time is now (%llu not in [%lld, %lld])",
              (unsigned long long)et, (long long)t0, (long long)t1);
    }
    CHECK(d && d->n == 2 && jget(d, kTIMDraftUserDefine) == NULL, "conv_draft: draft_msg + draft_edit_time only");
    CHECK(jlen(jget(jget(d, kTIMDraftMsg), kTIMMsgElemArray)) == 0 && jget(jget(d, kTIMDraftMsg), kTIMMsgElemArray)->t == J_ARR,
          "empty message_elem_array kept");
    CHECK(jstreq(jget(jat(l, 0), kTIMConvId), "draft-me"), "SetDraft activates");
    a_before = active_of(l, "draft-me", kTIMConv_C2C);
    jfree(l);

    /* Create on a conversation with a draft: its info with the draft, no event. */
    from = log_len();
    i = create_wait("draft-me", kTIMConv_C2C);
    if (i >= 0) {
        jv *cb = jparse(rec_at((size_t)i)->json);
        check_conv(cb, "draft-me", kTIMConv_C2C, 1, "create on drafted conversation");
        CHECK(count_events(from, (size_t)i) == 0, "no event");
        jfree(cb);
    }

    /* Same id, other type: separate conversation, no draft. */
    CHECK(TIMConvSetDraft("draft-me", kTIMConv_Group, DRAFT_SIMPLE) == TIM_ERR_CONV,
          "SetDraft on the missing group twin: TIM_ERR_CONV");
    create_wait("draft-me", kTIMConv_Group);
    l = list_now();
    check_conv(find_conv(l, "draft-me", kTIMConv_Group, NULL), "draft-me", kTIMConv_Group, 0, "group twin no draft");
    jfree(l);
    CHECK(TIMConvSetDraft("draft-me", kTIMConv_Group, DRAFT_VENDOR) == TIM_SUCC, "draft on group twin");
    l = list_now();
    d = jget(find_conv(l, "draft-me", kTIMConv_C2C, NULL), kTIMConvDraft);
    CHECK(d && jget(d, kTIMDraftUserDefine) == NULL, "c2c draft untouched by the group twin's draft");
    CHECK(jstreq(jget(jget(find_conv(l, "draft-me", kTIMConv_Group, NULL), kTIMConvDraft), kTIMDraftUserDefine),
                 "this is userdefine"), "group twin has its own draft");
    jfree(l);
    delete_wait("draft-me", kTIMConv_Group);

    /* Cancel: Update with no draft; no reordering; twice: no event. */
    from = log_len();
    CHECK(TIMConvCancelDraft("draft-me", kTIMConv_C2C) == TIM_SUCC, "CancelDraft");
    l = list_now();
    barrier(&at);
    c = find_conv(l, "draft-me", kTIMConv_C2C, NULL);
    check_conv(c, "draft-me", kTIMConv_C2C, 0, "after CancelDraft");
    CHECK(active_of(l, "draft-me", kTIMConv_C2C) == a_before, "CancelDraft keeps conv_active_time");
    ev = find_update(from, at, "draft-me", kTIMConv_C2C, &n);
    CHECK(n == 1 && count_events(from, at) == 1, "CancelDraft fires exactly one Update");
    check_conv(jat(ev, 0), "draft-me", kTIMConv_C2C, 0, "CancelDraft Update payload");
    jfree(ev);
    jfree(l);
    from = log_len();
    CHECK(TIMConvCancelDraft("draft-me", kTIMConv_C2C) == TIM_SUCC, "CancelDraft without draft: TIM_SUCC");
    barrier(&at);
    CHECK(count_events(from, at) == 0, "CancelDraft without draft: no event");

    /* Size bound: exactly JSON_MAX bytes accepted (one more byte: see t_bad_inputs). */
    {
        const char *pre = "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":\"";
        const char *post = "\"}";
        size_t fixed = strlen(pre) + strlen(post);
        size_t total = JSON_MAX;
        char *buf = xmalloc(total + 2);
        size_t k = total - fixed;
        strcpy(buf, pre);
        memset(buf + strlen(pre), 'x', k);
        strcpy(buf + strlen(pre) + k, post);
        CHECK(strlen(buf) == total, "(test bug) bound-sized draft");
        CHECK(TIMConvSetDraft("draft-me", kTIMConv_C2C, buf) == TIM_SUCC, "a draft of exactly the bound is accepted");
        l = list_now();
        d = jget(find_conv(l, "draft-me", kTIMConv_C2C, NULL), kTIMConvDraft);
        CHECK(jget(d, kTIMDraftUserDefine) && jget(d, kTIMDraftUserDefine)->slen == k, "its user define comes back whole");
        jfree(l);
        free(buf);
    }
    /* Depth bound: 100 levels accepted, 101 refused (TIM_ERR_JSON). */
    {
        int depth;
        for (depth = JSON_MAX_DEPTH; depth <= JSON_MAX_DEPTH + 1; depth++) {
            sbuf b = {0};
            int r;
            sb_puts(&b, "{\"draft_msg\":{\"message_elem_array\":[]},\"x\":");
            for (int k = 0; k < depth - 1; k++) sb_putc(&b, '[');
            for (int k = 0; k < depth - 1; k++) sb_putc(&b, ']');
            sb_puts(&b, "}");
            r = TIMConvSetDraft("draft-me", kTIMConv_C2C, b.d);
            if (depth == JSON_MAX_DEPTH) CHECK(r == TIM_SUCC, "100 levels deep accepted, got %d", r);
            else CHECK(r == TIM_ERR_JSON, "101 levels deep: TIM_ERR_JSON, got %d", r);
            free(b.d);
        }
        l = list_now();
        d = jget(find_conv(l, "draft-me", kTIMConv_C2C, NULL), kTIMConvDraft);
        {
            const jv *x = jget(d, "x");
            int lv = 1;
            while (x && x->t == J_ARR && x->n == 1) { x = x->items[0]; lv++; }
            CHECK(x && x->t == J_ARR && x->n == 0 && lv == 99, "the 100-level draft comes back (x nesting %d)", lv);
        }
        jfree(l);
    }
    delete_wait("draft-me", kTIMConv_C2C);
    delete_wait("other", kTIMConv_C2C);
}

/* A list is the state when it was called, even if its callback runs after
 * later changes (contract C2.2). */
static void t_snapshot(void) {
    const void *t = tok();
    size_t from = log_len();
    long i;
    g_test = "snapshot";
    create_wait("snap", kTIMConv_C2C);
    from = log_len();
    CHECK(TIMConvGetConvList(rec_cb, t) == TIM_SUCC, "list");
    CHECK(TIMConvSetDraft("snap", kTIMConv_C2C, DRAFT_SIMPLE) == TIM_SUCC, "draft right after the list call");
    CHECK(TIMConvCreate("snap-new", kTIMConv_Group, NULL, NULL) == TIM_SUCC, "create right after the list call");
    CHECK(TIMConvDelete("snap", kTIMConv_C2C, NULL, NULL) == TIM_SUCC, "delete right after the list call");
    i = wait_ud(t, from);
    CHECK(i >= 0, "list called back");
    if (i >= 0) {
        jv *l = jparse(rec_at((size_t)i)->json);
        check_conv(find_conv(l, "snap", kTIMConv_C2C, NULL), "snap", kTIMConv_C2C, 0,
                   "the list shows the conversation as it was (no draft, not deleted)");
        CHECK(find_conv(l, "snap-new", kTIMConv_Group, NULL) == NULL, "the list has no later conversation");
        CHECK((size_t)i == from, "the list callback comes before the later changes' events");
        jfree(l);
    }
    delete_wait("snap-new", kTIMConv_Group);
    {
        jv *l = list_now();
        CHECK(find_conv(l, "snap", kTIMConv_C2C, NULL) == NULL, "the later delete took effect");
        jfree(l);
    }
}

/* Every refused call: right code, no callback, no event, no change. */
static void t_bad_inputs(void) {
    char *before, *after;
    size_t from, at;
    int r;
    char c128[129], c129[130];
    char utf128[129], utf129[130];
    char *huge, *unterminated_id, *unterminated_json, *big_json, *deep_json;
    const void *toks[200];
    size_t ntoks = 0;
    static const int bad_types[] = {0, 3, 99, -1, 4, INT_MAX, INT_MIN, 256 + 1};
    static const char *const bad_ids[] = {"", "\xff", "a\xc3", "\xc3\x28", "\xed\xa0\x80", "\xc0\xaf",
                                          "\xf4\x90\x80\x80", "ok\x80"};
    static const char *const bad_json[] = {
        "", " ", "not json", "{", "}", "[]", "{}", "null", "1", "\"s\"", "true",
        "{\"draft_msg\":[]}",
        "{\"draft_msg\":null}",
        "{\"draft_msg\":\"x\"}",
        "{\"draft_msg\":{}}",
        "{\"draft_user_define\":\"u\"}",
        "{\"draft_msg\":{\"message_elem_array\":{}}}",
        "{\"draft_msg\":{\"message_elem_array\":null}}",
        "{\"draft_msg\":{\"message_elem_array\":\"[]\"}}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":1}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":null}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":[\"u\"]}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_edit_time\":-1}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_edit_time\":1.5}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_edit_time\":\"1\"}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_edit_time\":true}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_edit_time\":null}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_edit_time\":18446744073709551616}",
        "{\"draft_msg\":{\"message_elem_array\":[]}} trailing",
        "{\"draft_msg\":{\"message_elem_array\":[]}}{}",
        "{\"draft_msg\":{\"message_elem_array\":[]},}",
        "{\"draft_msg\":{\"message_elem_array\":[1,]}}",
        "{'draft_msg':{'message_elem_array':[]}}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"x\":\"unterminated}",
        "{\"draft_msg\":{\"message_elem_array\":[]},\"x\":NaN}",
    };
    size_t nbad = sizeof bad_json / sizeof bad_json[0];
    g_test = "bad_inputs";

    /* State to protect: a conversation with a draft, one without. */
    create_wait("victim", kTIMConv_C2C);
    create_wait("victim", kTIMConv_Group);
    CHECK(TIMConvSetDraft("victim", kTIMConv_C2C, DRAFT_VENDOR) == TIM_SUCC, "victim draft");

    memset(c128, 'a', 128); c128[128] = 0;
    memset(c129, 'a', 129); c129[129] = 0;
    for (int k = 0; k < 64; k++) { utf128[2 * k] = (char)0xc3; utf128[2 * k + 1] = (char)0xa9; }
    utf128[128] = 0;
    memcpy(utf129, utf128, 128); utf129[128] = 'b'; utf129[129] = 0;
    huge = xmalloc(1024 * 1024 + 1);
    memset(huge, 'h', 1024 * 1024); huge[1024 * 1024] = 0;
    /* No terminator within the bound: exactly bound + 1 readable bytes. */
    unterminated_id = xmalloc(129);
    memset(unterminated_id, 'u', 129);
    unterminated_json = xmalloc(JSON_MAX + 1);
    memset(unterminated_json, ' ', JSON_MAX + 1);
    unterminated_json[0] = '{';
    big_json = xmalloc(JSON_MAX + 2);
    {
        /* A valid draft one byte over the bound. */
        const char *pre = "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":\"";
        size_t k = JSON_MAX + 1 - strlen(pre) - 2;
        strcpy(big_json, pre);
        memset(big_json + strlen(pre), 'x', k);
        strcpy(big_json + strlen(pre) + k, "\"}");
    }
    /* Deep nesting within the size bound: must be TIM_ERR_JSON, not a crash. */
    deep_json = xmalloc(60001);
    memset(deep_json, '[', 60000); deep_json[60000] = 0;

    before = snapshot();
    from = log_len();

#define T_NEW() (toks[ntoks < 200 ? ntoks++ : 199] = tok())

    /* conv_id */
    {
        const char *ids[32];
        size_t nid = 0;
        ids[nid++] = NULL;
        for (size_t k = 0; k < sizeof bad_ids / sizeof bad_ids[0]; k++) ids[nid++] = bad_ids[k];
        ids[nid++] = c129;
        ids[nid++] = utf129;
        ids[nid++] = huge;
        ids[nid++] = unterminated_id;
        for (size_t k = 0; k < nid; k++) {
            const char *id = ids[k];
            r = TIMConvCreate(id, kTIMConv_C2C, rec_cb, T_NEW());
            CHECK(r == TIM_ERR_PARAM, "Create bad id #%zu: %d", k, r);
            r = TIMConvDelete(id, kTIMConv_Group, rec_cb, T_NEW());
            CHECK(r == TIM_ERR_PARAM, "Delete bad id #%zu: %d", k, r);
            r = TIMConvSetDraft(id, kTIMConv_C2C, DRAFT_SIMPLE);
            CHECK(r == TIM_ERR_PARAM, "SetDraft bad id #%zu: %d", k, r);
            r = TIMConvSetDraft(id, kTIMConv_C2C, "not json");
            CHECK(r == TIM_ERR_PARAM, "SetDraft bad id + bad json #%zu: %d (PARAM first)", k, r);
            r = TIMConvCancelDraft(id, kTIMConv_C2C);
            CHECK(r == TIM_ERR_PARAM, "CancelDraft bad id #%zu: %d", k, r);
        }
    }
    /* conv_type */
    for (size_t k = 0; k < sizeof bad_types / sizeof bad_types[0]; k++) {
        enum TIMConvType ty = (enum TIMConvType)bad_types[k];
        r = TIMConvCreate("victim", ty, rec_cb, T_NEW());
        CHECK(r == TIM_ERR_PARAM, "Create type %d: %d", bad_types[k], r);
        r = TIMConvCreate("fresh-id", ty, rec_cb, T_NEW());
        CHECK(r == TIM_ERR_PARAM, "Create new id, type %d: %d", bad_types[k], r);
        r = TIMConvDelete("victim", ty, rec_cb, T_NEW());
        CHECK(r == TIM_ERR_PARAM, "Delete type %d: %d", bad_types[k], r);
        r = TIMConvSetDraft("victim", ty, DRAFT_SIMPLE);
        CHECK(r == TIM_ERR_PARAM, "SetDraft type %d: %d", bad_types[k], r);
        r = TIMConvSetDraft("victim", ty, NULL);
        CHECK(r == TIM_ERR_PARAM, "SetDraft type %d + NULL json: %d", bad_types[k], r);
        r = TIMConvSetDraft("victim", ty, "{");
        CHECK(r == TIM_ERR_PARAM, "SetDraft type %d + bad json: %d (PARAM before JSON)", bad_types[k], r);
        r = TIMConvCancelDraft("victim", ty);
        CHECK(r == TIM_ERR_PARAM, "CancelDraft type %d: %d", bad_types[k], r);
    }
    /* json: NULL / too long / not UTF-8 -> PARAM, whether or not the conversation exists */
    {
        const char *ids[] = {"victim", "no-such-conv"};
        for (int k = 0; k < 2; k++) {
            r = TIMConvSetDraft(ids[k], kTIMConv_C2C, NULL);
            CHECK(r == TIM_ERR_PARAM, "SetDraft(%s) NULL json: %d", ids[k], r);
            r = TIMConvSetDraft(ids[k], kTIMConv_C2C, big_json);
            CHECK(r == TIM_ERR_PARAM, "SetDraft(%s) json one byte over the bound: %d", ids[k], r);
            r = TIMConvSetDraft(ids[k], kTIMConv_C2C, unterminated_json);
            CHECK(r == TIM_ERR_PARAM, "SetDraft(%s) unterminated json: %d", ids[k], r);
            r = TIMConvSetDraft(ids[k], kTIMConv_C2C, huge);
            CHECK(r == TIM_ERR_PARAM, "SetDraft(%s) 1 MB json: %d", ids[k], r);
            r = TIMConvSetDraft(ids[k], kTIMConv_C2C,
                                "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":\"\xff\"}");
            CHECK(r == TIM_ERR_PARAM, "SetDraft(%s) non-UTF-8 json: %d", ids[k], r);
        }
    }
    /* json: syntax / shape / depth -> JSON, before "no such conversation" */
    for (size_t k = 0; k < nbad; k++) {
        r = TIMConvSetDraft("victim", kTIMConv_C2C, bad_json[k]);
        CHECK(r == TIM_ERR_JSON, "SetDraft(victim) bad json #%zu '%s': %d", k, bad_json[k], r);
        r = TIMConvSetDraft("no-such-conv", kTIMConv_Group, bad_json[k]);
        CHECK(r == TIM_ERR_JSON, "SetDraft(missing) bad json #%zu: %d (JSON before CONV)", k, r);
    }
    r = TIMConvSetDraft("victim", kTIMConv_C2C, deep_json);
    CHECK(r == TIM_ERR_JSON, "60000 nested arrays: TIM_ERR_JSON, got %d", r);
    {
        sbuf b = {0};
        sb_puts(&b, "{\"draft_msg\":{\"message_elem_array\":[]},\"x\":");
        for (int k = 0; k < 5000; k++) sb_puts(&b, "{\"a\":");
        sb_puts(&b, "1");
        for (int k = 0; k < 5000; k++) sb_putc(&b, '}');
        sb_putc(&b, '}');
        r = TIMConvSetDraft("victim", kTIMConv_C2C, b.d);
        CHECK(r == TIM_ERR_JSON, "5000 nested objects: TIM_ERR_JSON, got %d", r);
        free(b.d);
    }
    /* missing conversation, everything else valid -> CONV */
    r = TIMConvSetDraft("no-such-conv", kTIMConv_C2C, DRAFT_SIMPLE);
    CHECK(r == TIM_ERR_CONV, "SetDraft missing conversation: %d", r);
    r = TIMConvCancelDraft("no-such-conv", kTIMConv_C2C);
    CHECK(r == TIM_ERR_CONV, "CancelDraft missing conversation: %d", r);
    r = TIMConvSetDraft(c128, kTIMConv_Group, DRAFT_SIMPLE);
    CHECK(r == TIM_ERR_CONV, "SetDraft missing 128-byte id: %d (id accepted)", r);

    after = snapshot_at(&at);
    CHECK(at == from, "no callback and no event at all for refused calls (%zu records)", at - from);
    for (size_t k = 0; k < ntoks; k++)
        CHECK(count_ud(from, log_len(), toks[k]) == 0, "refused call #%zu called back", k);
    CHECK(strcmp(before, after) == 0, "refused calls changed nothing (list identical)");
    {
        jv *l = jparse(after);
        CHECK(find_conv(l, "fresh-id", kTIMConv_C2C, NULL) == NULL, "no conversation created by a refused call");
        CHECK(jstreq(jget(jget(find_conv(l, "victim", kTIMConv_C2C, NULL), kTIMConvDraft), kTIMDraftUserDefine),
                     "this is userdefine"), "victim's draft kept");
        jfree(l);
    }
#undef T_NEW

    /* The bounds themselves are accepted: 128 ASCII bytes, 128 bytes of 2-byte UTF-8. */
    {
        long i = create_wait(c128, kTIMConv_C2C);
        if (i >= 0) {
            jv *cb = jparse(rec_at((size_t)i)->json);
            check_conv(cb, c128, kTIMConv_C2C, 0, "128-byte id");
            jfree(cb);
        }
        i = create_wait(utf128, kTIMConv_Group);
        if (i >= 0) {
            jv *cb = jparse(rec_at((size_t)i)->json);
            check_conv(cb, utf128, kTIMConv_Group, 0, "128-byte UTF-8 id");
            jfree(cb);
        }
        delete_wait(c128, kTIMConv_C2C);
        delete_wait(utf128, kTIMConv_Group);
    }
    delete_wait("victim", kTIMConv_C2C);
    delete_wait("victim", kTIMConv_Group);

    free(before);
    free(after);
    free(huge);
    free(unterminated_id);
    free(unterminated_json);
    free(big_json);
    free(deep_json);
}

/* Ids with characters JSON must escape come back byte for byte; argument
 * strings are read only during the call (freed right after). */
static void t_escapes_and_lifetimes(void) {
    static const char *const ids[] = {
        "q\"uo\\te", "line\nbreak\ttab\r\x01\x1f", "/slash", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80",
        "<script>&'", " spaced ",
    };
    g_test = "escapes_and_lifetimes";
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        char *id = xstrdup(ids[k]);
        char *draft = xstrdup(DRAFT_SIMPLE);
        const void *t = tok();
        size_t from = log_len();
        long i;
        int r = TIMConvCreate(id, kTIMConv_Group, rec_cb, t);
        memset(id, 'Z', strlen(id)); /* the library must not keep the pointer */
        free(id);
        CHECK(r == TIM_SUCC, "create escaped id #%zu", k);
        i = wait_ud(t, from);
        CHECK(i >= 0, "create escaped id #%zu called back", k);
        if (i >= 0) {
            jv *cb = jparse(rec_at((size_t)i)->json);
            CHECK(cb != NULL, "escaped id #%zu: callback JSON parses: %.200s", k, rec_at((size_t)i)->json);
            check_conv(cb, ids[k], kTIMConv_Group, 0, "escaped id");
            jfree(cb);
            CHECK(evt_is(rec_at(from), kTIMConvEvent_Add, ids[k], kTIMConv_Group), "escaped id #%zu: Add event", k);
        }
        id = xstrdup(ids[k]);
        r = TIMConvSetDraft(id, kTIMConv_Group, draft);
        memset(draft, 'Z', strlen(draft));
        free(draft);
        free(id);
        CHECK(r == TIM_SUCC, "draft on escaped id #%zu", k);
        {
            jv *l = list_now();
            const jv *c = find_conv(l, ids[k], kTIMConv_Group, NULL);
            check_conv(c, ids[k], kTIMConv_Group, 1, "escaped id listed");
            CHECK(jstreq(jget(jget(c, kTIMConvDraft), kTIMDraftUserDefine), "u"), "draft kept after its text was freed");
            jfree(l);
        }
        delete_wait(ids[k], kTIMConv_Group);
    }
}

static void t_user_data(void) {
    int local = 0;
    const void *uds[6];
    g_test = "user_data";
    uds[0] = NULL;
    uds[1] = (const void *)(uintptr_t)1;
    uds[2] = (const void *)UINTPTR_MAX;
    uds[3] = (const void *)(((uintptr_t)1) << (sizeof(uintptr_t) * 8 - 1));
    uds[4] = &local;
    uds[5] = (const void *)((const char *)&local + 1);
    for (int k = 0; k < 6; k++) {
        const void *ud = uds[k];
        char *id = fmt("ud-%d", k);
        size_t from, at;
        long i;
        TIMSetConvEventCallback(rec_evt, ud);
        from = log_len();
        CHECK(TIMConvCreate(id, kTIMConv_C2C, rec_cb, ud) == TIM_SUCC, "create with ud #%d", k);
        i = wait_ud(ud, from);
        CHECK(i >= 0 && rec_at((size_t)i)->code == 0, "create cb with ud #%d bit for bit", k);
        CHECK(i >= 1 && (size_t)i == from + 1 && rec_at(from)->kind == R_EVT && rec_at(from)->ud == ud,
              "event with ud #%d bit for bit", k);
        from = log_len();
        CHECK(TIMConvGetConvList(rec_cb, ud) == TIM_SUCC, "list with ud #%d", k);
        i = wait_ud(ud, from);
        CHECK(i >= 0 && rec_at((size_t)i)->json[0] == '[', "list cb with ud #%d", k);
        from = log_len();
        CHECK(TIMConvDelete(id, kTIMConv_C2C, rec_cb, ud) == TIM_SUCC, "delete with ud #%d", k);
        i = wait_ud(ud, from);
        CHECK(i >= 0 && rec_at((size_t)i)->code == 0, "delete cb with ud #%d", k);
        CHECK(i >= 1 && rec_at((size_t)i - 1)->kind == R_EVT && rec_at((size_t)i - 1)->ud == ud, "Del event ud #%d", k);
        from = log_len();
        CHECK(TIMConvDelete(id, kTIMConv_C2C, rec_cb, ud) == TIM_SUCC, "delete missing with ud #%d", k);
        i = wait_ud(ud, from);
        CHECK(i >= 0 && rec_at((size_t)i)->code == ERR_INVALID_CONVERSATION, "6004 cb with ud #%d", k);
        barrier(&at);
        CHECK(count_ud(from, at, ud) == 1, "exactly one callback per call (ud #%d)", k);
        free(id);
    }
    TIMSetConvEventCallback(rec_evt, EVT_UD);
}

static void t_null_cb(void) {
    size_t from, at;
    jv *l;
    g_test = "null_cb";
    from = log_len();
    CHECK(TIMConvCreate("nullcb", kTIMConv_Group, NULL, tok()) == TIM_SUCC, "create with NULL cb");
    l = list_now(); /* read your writes */
    barrier(&at);
    check_conv(find_conv(l, "nullcb", kTIMConv_Group, NULL), "nullcb", kTIMConv_Group, 0, "NULL-cb create listed");
    jfree(l);
    CHECK(evt_is(rec_at(from), kTIMConvEvent_Add, "nullcb", kTIMConv_Group), "NULL-cb create still fires Add");
    CHECK(at - from == 2, "only the Add event and the list callback before the barrier (%zu records)", at - from);

    from = log_len();
    CHECK(TIMConvDelete("nullcb", kTIMConv_Group, NULL, NULL) == TIM_SUCC, "delete with NULL cb");
    l = list_now();
    CHECK(find_conv(l, "nullcb", kTIMConv_Group, NULL) == NULL, "NULL-cb delete took effect");
    jfree(l);
    CHECK(evt_is(rec_at(from), kTIMConvEvent_Del, "nullcb", kTIMConv_Group), "NULL-cb delete fires Del");

    from = log_len();
    CHECK(TIMConvDelete("nullcb", kTIMConv_Group, NULL, NULL) == TIM_SUCC, "delete missing with NULL cb");
    CHECK(TIMConvGetConvList(NULL, NULL) == TIM_SUCC, "list with NULL cb");
    CHECK(TIMConvCreate("nullcb2", kTIMConv_C2C, NULL, NULL) == TIM_SUCC, "create 2 with NULL cb");
    CHECK(TIMConvCreate("nullcb2", kTIMConv_C2C, NULL, NULL) == TIM_SUCC, "create 2 again with NULL cb");
    barrier(&at);
    CHECK(at - from == 1 && evt_is(rec_at(from), kTIMConvEvent_Add, "nullcb2", kTIMConv_C2C),
          "only one record: Add for nullcb2 (%zu records)", at - from);
    from = log_len();
    CHECK(TIMConvDelete("nullcb2", kTIMConv_C2C, NULL, NULL) == TIM_SUCC, "delete nullcb2");
    barrier(&at);
    CHECK(at - from == 1 && evt_is(rec_at(from), kTIMConvEvent_Del, "nullcb2", kTIMConv_C2C), "Del for nullcb2");
}

/* --- Calling the API from inside callbacks ------------------------------- */

static const void *g_tok_outer, *g_tok_inner, *g_tok_inner_del, *g_tok_inner_list, *g_tok_inner_missing;
static int g_in_r[4];
static volatile int g_in_done;

static void re_comm_cb(int32_t code, const char *desc, const char *json, const void *ud) {
    cb_enter();
    if (ud == g_tok_inner_missing) {
        /* A second level: from inside the 6004 callback (before recording it,
         * so the test's barrier comes after this create's event). */
        TIMConvCreate("re-deeper", kTIMConv_C2C, NULL, NULL);
    }
    rec_add(R_CB, code, desc, json, ud);
    if (ud == g_tok_outer) {
        g_in_r[0] = TIMConvCreate("re-inner", kTIMConv_Group, re_comm_cb, g_tok_inner);
        g_in_r[1] = TIMConvDelete("re-outer", kTIMConv_C2C, re_comm_cb, g_tok_inner_del);
        g_in_r[2] = TIMConvGetConvList(rec_cb, g_tok_inner_list);
        g_in_r[3] = TIMConvDelete("re-missing", kTIMConv_C2C, re_comm_cb, g_tok_inner_missing);
        g_in_done = 1;
    }
    cb_leave();
}

static int g_ev_r[5];
static const void *g_tok_child, *g_tok_evlist;

static void re_evt(enum TIMConvEvent ev, const char *json, const void *ud) {
    jv *v;
    cb_enter();
    rec_add(R_EVT, (int)ev, NULL, json, ud);
    v = jparse(json);
    if (ev == kTIMConvEvent_Add && jstreq(jget(jat(v, 0), kTIMConvId), "re-evt-trigger")) {
        g_ev_r[0] = TIMConvSetDraft("re-evt-trigger", kTIMConv_C2C, DRAFT_SIMPLE);
        g_ev_r[1] = TIMConvCreate("re-evt-child", kTIMConv_C2C, rec_cb, g_tok_child);
        g_ev_r[2] = TIMConvGetConvList(rec_cb, g_tok_evlist);
        g_ev_r[3] = TIMConvCancelDraft("re-evt-missing", kTIMConv_C2C);
        g_ev_r[4] = TIMConvSetDraft("re-evt-trigger", kTIMConv_C2C, "[]");
        /* Replacing the slot from inside a callback must not wait for itself. */
        TIMSetConvEventCallback(rec_evt, EVT_UD2);
    }
    jfree(v);
    cb_leave();
}

static void t_reentrant(void) {
    size_t from, at;
    long i;
    g_test = "reentrant";

    /* From inside a create callback. */
    g_tok_outer = tok();
    g_tok_inner = tok();
    g_tok_inner_del = tok();
    g_tok_inner_list = tok();
    g_tok_inner_missing = tok();
    from = log_len();
    CHECK(TIMConvCreate("re-outer", kTIMConv_C2C, re_comm_cb, g_tok_outer) == TIM_SUCC, "outer create");
    i = wait_ud(g_tok_inner_list, from);
    CHECK(i >= 0, "list called from a callback called back");
    i = wait_ud(g_tok_inner_missing, from);
    CHECK(i >= 0, "delete-missing called from a callback called back");
    CHECK(g_in_done && g_in_r[0] == TIM_SUCC && g_in_r[1] == TIM_SUCC && g_in_r[2] == TIM_SUCC && g_in_r[3] == TIM_SUCC,
          "calls made inside a callback return TIM_SUCC (%d %d %d %d)", g_in_r[0], g_in_r[1], g_in_r[2], g_in_r[3]);
    barrier(&at);
    {
        /* Exact sequence, nothing nested. */
        const rec_t *s[9];
        size_t n = at - from;
        CHECK(n == 9, "9 records for the nested scenario, got %zu", n);
        if (n != 9) dump_records(from, at);
        if (n == 9) {
            for (size_t k = 0; k < 9; k++) s[k] = rec_at(from + k);
            CHECK(evt_is(s[0], kTIMConvEvent_Add, "re-outer", kTIMConv_C2C), "1: Add re-outer");
            CHECK(s[1]->kind == R_CB && s[1]->ud == g_tok_outer && s[1]->code == 0, "2: outer callback");
            CHECK(evt_is(s[2], kTIMConvEvent_Add, "re-inner", kTIMConv_Group), "3: Add re-inner");
            CHECK(s[3]->kind == R_CB && s[3]->ud == g_tok_inner && s[3]->code == 0, "4: inner create callback");
            CHECK(evt_is(s[4], kTIMConvEvent_Del, "re-outer", kTIMConv_C2C), "5: Del re-outer");
            CHECK(s[5]->kind == R_CB && s[5]->ud == g_tok_inner_del && s[5]->code == 0, "6: inner delete callback");
            CHECK(s[6]->kind == R_CB && s[6]->ud == g_tok_inner_list, "7: inner list callback");
            CHECK(s[7]->kind == R_CB && s[7]->ud == g_tok_inner_missing && s[7]->code == ERR_INVALID_CONVERSATION,
                  "8: inner delete-missing callback 6004");
            CHECK(evt_is(s[8], kTIMConvEvent_Add, "re-deeper", kTIMConv_C2C), "9: Add re-deeper");
            {
                jv *l = jparse(s[6]->json);
                CHECK(find_conv(l, "re-inner", kTIMConv_Group, NULL) && !find_conv(l, "re-outer", kTIMConv_C2C, NULL),
                      "list made inside the callback sees the changes made just before it");
                jfree(l);
            }
        }
    }
    {
        jv *l = list_now();
        CHECK(find_conv(l, "re-deeper", kTIMConv_C2C, NULL) != NULL, "create from a second-level callback worked");
        jfree(l);
    }
    delete_wait("re-inner", kTIMConv_Group);
    delete_wait("re-deeper", kTIMConv_C2C);

    /* From inside an event callback, including replacing the event callback. */
    g_tok_child = tok();
    g_tok_evlist = tok();
    TIMSetConvEventCallback(re_evt, EVT_UD);
    from = log_len();
    i = create_wait("re-evt-trigger", kTIMConv_C2C);
    i = wait_ud(g_tok_evlist, from);
    CHECK(i >= 0, "list called from an event callback called back");
    barrier(&at);
    CHECK(g_ev_r[0] == TIM_SUCC && g_ev_r[1] == TIM_SUCC && g_ev_r[2] == TIM_SUCC && g_ev_r[3] == TIM_ERR_CONV &&
              g_ev_r[4] == TIM_ERR_JSON,
          "calls inside an event callback return the right codes (%d %d %d %d %d)", g_ev_r[0], g_ev_r[1], g_ev_r[2],
          g_ev_r[3], g_ev_r[4]);
    {
        size_t n = at - from;
        CHECK(n == 6, "6 records for the event scenario, got %zu", n);
        if (n != 6) dump_records(from, at);
        if (n == 6) {
            const rec_t *s0 = rec_at(from), *s1 = rec_at(from + 1), *s2 = rec_at(from + 2);
            const rec_t *s3 = rec_at(from + 3), *s4 = rec_at(from + 4), *s5 = rec_at(from + 5);
            CHECK(evt_is(s0, kTIMConvEvent_Add, "re-evt-trigger", kTIMConv_C2C) && s0->ud == EVT_UD, "1: Add trigger");
            CHECK(s1->kind == R_CB && s1->code == 0, "2: the trigger's create callback");
            CHECK(evt_is(s2, kTIMConvEvent_Update, "re-evt-trigger", kTIMConv_C2C) && s2->ud == EVT_UD2,
                  "3: Update (queued before the switch) reaches the new callback");
            CHECK(evt_is(s3, kTIMConvEvent_Add, "re-evt-child", kTIMConv_C2C) && s3->ud == EVT_UD2, "4: Add child");
            CHECK(s4->kind == R_CB && s4->ud == g_tok_child && s4->code == 0, "5: child create callback");
            CHECK(s5->kind == R_CB && s5->ud == g_tok_evlist, "6: list callback");
            {
                jv *l = jparse(s5->json);
                check_conv(find_conv(l, "re-evt-trigger", kTIMConv_C2C, NULL), "re-evt-trigger", kTIMConv_C2C, 1,
                           "list inside event callback: trigger has the draft");
                CHECK(find_conv(l, "re-evt-child", kTIMConv_C2C, NULL) != NULL, "list inside event callback: child");
                jfree(l);
            }
        }
    }
    TIMSetConvEventCallback(rec_evt, EVT_UD);
    delete_wait("re-evt-trigger", kTIMConv_C2C);
    delete_wait("re-evt-child", kTIMConv_C2C);
}

/* --- The event slot ------------------------------------------------------ */

static int g_switched;
static int g_old_after_switch, g_old_count, g_new_count;

static int is_sw_event(enum TIMConvEvent ev, const char *json) {
    return ev == kTIMConvEvent_Add && strstr(json, "\"conv_id\":\"sw-") != NULL;
}

static void evt_old(enum TIMConvEvent ev, const char *json, const void *ud) {
    (void)ud;
    if (__atomic_load_n(&g_switched, __ATOMIC_SEQ_CST)) __atomic_add_fetch(&g_old_after_switch, 1, __ATOMIC_SEQ_CST);
    if (is_sw_event(ev, json)) __atomic_add_fetch(&g_old_count, 1, __ATOMIC_SEQ_CST);
}

static void evt_new(enum TIMConvEvent ev, const char *json, const void *ud) {
    (void)ud;
    if (is_sw_event(ev, json)) __atomic_add_fetch(&g_new_count, 1, __ATOMIC_SEQ_CST);
}

static void t_event_slot(void) {
    size_t from, at;
    int rounds = 20, per = 10;
    g_test = "event_slot";

    /* NULL clears the slot. */
    TIMSetConvEventCallback(NULL, NULL);
    from = log_len();
    create_wait("noslot", kTIMConv_C2C);
    CHECK(TIMConvSetDraft("noslot", kTIMConv_C2C, DRAFT_SIMPLE) == TIM_SUCC, "draft with no event callback");
    delete_wait("noslot", kTIMConv_C2C);
    barrier(&at);
    CHECK(count_events(from, at) == 0, "no event reaches a cleared slot");
    TIMSetConvEventCallback(rec_evt, EVT_UD);

    /* Switching while events are queued: after the setter returns, the old
     * callback never runs again; none of the events is lost. */
    for (int r = 0; r < rounds; r++) {
        __atomic_store_n(&g_switched, 0, __ATOMIC_SEQ_CST);
        TIMSetConvEventCallback(evt_old, NULL);
        for (int k = 0; k < per; k++) {
            char *id = fmt("sw-%d-%d", r, k);
            CHECK(TIMConvCreate(id, kTIMConv_C2C, NULL, NULL) == TIM_SUCC, "create %s", id);
            free(id);
        }
        TIMSetConvEventCallback(evt_new, NULL);
        __atomic_store_n(&g_switched, 1, __ATOMIC_SEQ_CST);
    }
    barrier(&at);
    CHECK(g_old_after_switch == 0, "the replaced callback ran %d times after the setter returned", g_old_after_switch);
    CHECK(g_old_count + g_new_count == rounds * per, "every Add delivered once (%d + %d != %d)", g_old_count,
          g_new_count, rounds * per);
    TIMSetConvEventCallback(NULL, NULL);
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < per; k++) {
            char *id = fmt("sw-%d-%d", r, k);
            TIMConvDelete(id, kTIMConv_C2C, NULL, NULL);
            free(id);
        }
    TIMSetConvEventCallback(rec_evt, EVT_UD);
    {
        jv *l = list_now();
        int left = 0;
        for (size_t i = 0; i < jlen(l); i++)
            if (strncmp(jget(jat(l, i), kTIMConvId)->s, "sw-", 3) == 0) left++;
        CHECK(left == 0, "switch-test conversations deleted (%d left)", left);
        jfree(l);
    }
}

/* --- Concurrency ---------------------------------------------------------- */

#define THR_N 4
#define THR_ITERS 30
#define THR_TOK(t, i, op) ((const void *)(uintptr_t)(0x20000001u + 2u * (unsigned)((((t) * 1000) + (i)) * 2 + (op))))

static void *thr_main(void *p) {
    int t = (int)(intptr_t)p;
    intptr_t fails = 0;
    for (int i = 0; i < THR_ITERS; i++) {
        char id[64];
        snprintf(id, sizeof id, "thr-%d-%d", t, i);
        if (TIMConvCreate(id, kTIMConv_C2C, rec_cb, THR_TOK(t, i, 0)) != TIM_SUCC) fails++;
        if (TIMConvSetDraft(id, kTIMConv_C2C, DRAFT_SIMPLE) != TIM_SUCC) fails++;
        if (TIMConvGetConvList(NULL, NULL) != TIM_SUCC) fails++;
        if (TIMConvDelete(id, kTIMConv_C2C, rec_cb, THR_TOK(t, i, 1)) != TIM_SUCC) fails++;
    }
    return (void *)fails;
}

static void t_threads(void) {
    pthread_t th[THR_N];
    int state[THR_N][THR_ITERS];
    int bad_seq = 0, done = 0;
    size_t from, at;
    char *before, *after;
    g_test = "threads";
    memset(state, 0, sizeof state);
    before = snapshot();
    from = log_len();
    for (int t = 0; t < THR_N; t++) pthread_create(&th[t], NULL, thr_main, (void *)(intptr_t)t);
    for (int t = 0; t < THR_N; t++) {
        void *res;
        pthread_join(th[t], &res);
        CHECK(res == NULL, "thread %d: %ld calls failed", t, (long)(intptr_t)res);
    }
    after = snapshot_at(&at);
    /* Per conversation, exactly: Add, create callback, Update, Del, delete callback. */
    for (size_t k = from; k < at; k++) {
        const rec_t *r = rec_at(k);
        int t = -1, i = -1, step = -1;
        if (r->kind == R_EVT) {
            jv *v = jparse(r->json);
            const jv *id = jget(jat(v, 0), kTIMConvId);
            if (id && id->t == J_STR && sscanf(id->s, "thr-%d-%d", &t, &i) == 2 && jlen(v) == 1) {
                step = r->code == kTIMConvEvent_Add ? 0 : r->code == kTIMConvEvent_Update ? 2
                     : r->code == kTIMConvEvent_Del ? 3 : -1;
            } else {
                bad_seq++;
            }
            jfree(v);
        } else {
            uintptr_t u = (uintptr_t)r->ud;
            if (u >= 0x20000001u && u < 0x20000001u + 2u * 2u * 1000u * THR_N) {
                unsigned q = (unsigned)((u - 0x20000001u) / 2);
                int op = (int)(q % 2);
                t = (int)(q / 2 / 1000);
                i = (int)(q / 2 % 1000);
                step = op == 0 ? 1 : 4;
                if (r->code != 0) bad_seq++;
                if (op == 0) {
                    jv *v = jparse(r->json);
                    char want[64];
                    snprintf(want, sizeof want, "thr-%d-%d", t, i);
                    if (!jstreq(jget(v, kTIMConvId), want) || !jisbool(jget(v, kTIMConvIsHasDraft), 0)) bad_seq++;
                    jfree(v);
                }
            } else if (k != at) {
                bad_seq++; /* some other callback */
            }
        }
        if (t >= 0 && t < THR_N && i >= 0 && i < THR_ITERS && step >= 0) {
            if (state[t][i] != step) bad_seq++;
            state[t][i] = step + 1;
        } else if (r->kind == R_EVT || step >= 0) {
            bad_seq++;
        }
    }
    for (int t = 0; t < THR_N; t++)
        for (int i = 0; i < THR_ITERS; i++)
            if (state[t][i] == 5) done++;
    CHECK(bad_seq == 0, "%d records out of the expected per-conversation sequence", bad_seq);
    CHECK(done == THR_N * THR_ITERS, "%d of %d conversations went through the whole sequence", done,
          THR_N * THR_ITERS);
    CHECK(strcmp(before, after) == 0, "the list is back to what it was");
    free(before);
    free(after);
}

/* --- Random operations against a model ----------------------------------- */

#define RND_IDS 6
typedef struct {
    int exists, has_draft;
    unsigned stamp;
    int draft_no;
} slot_t;

static uint32_t g_rng = 12345u;
static uint32_t rnd(void) {
    g_rng = g_rng * 1103515245u + 12345u;
    return (g_rng >> 8) & 0xFFFFFFu;
}

typedef struct {
    int kind;      /* R_EVT / R_CB */
    int code;      /* event or callback code */
    int slot;      /* event: the slot */
    const void *ud;
} expect_t;

static void t_random_model(void) {
    slot_t s[RND_IDS * 2];
    char ids[RND_IDS][16];
    unsigned clock = 0;
    expect_t *exp = xmalloc(sizeof *exp * 4000);
    size_t nexp = 0, from;
    int ops = 300, mismatches = 0, list_bad = 0;
    g_test = "random_model";
    memset(s, 0, sizeof s);
    for (int k = 0; k < RND_IDS; k++) snprintf(ids[k], sizeof ids[k], "rnd-%d", k);
    from = log_len();
    for (int op = 0; op < ops; op++) {
        int slot = (int)(rnd() % (RND_IDS * 2));
        const char *id = ids[slot / 2];
        int type = slot % 2 ? kTIMConv_Group : kTIMConv_C2C;
        int what = (int)(rnd() % 4);
        int withcb = (int)(rnd() % 3) != 0;
        const void *t = withcb ? tok() : NULL;
        slot_t *x = &s[slot];
        int r;
        switch (what) {
        case 0: /* create */
            r = TIMConvCreate(id, (enum TIMConvType)type, withcb ? rec_cb : NULL, t);
            if (r != TIM_SUCC) mismatches++;
            if (!x->exists) {
                x->exists = 1; x->has_draft = 0; x->stamp = ++clock;
                exp[nexp].kind = R_EVT; exp[nexp].code = kTIMConvEvent_Add; exp[nexp].slot = slot; nexp++;
            }
            if (withcb) { exp[nexp].kind = R_CB; exp[nexp].code = 0; exp[nexp].slot = slot; exp[nexp].ud = t; nexp++; }
            break;
        case 1: { /* set draft */
            char d[160];
            int no = (int)(rnd() % 1000);
            snprintf(d, sizeof d, "{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":\"n%d\"}", no);
            r = TIMConvSetDraft(id, (enum TIMConvType)type, d);
            if (r != (x->exists ? TIM_SUCC : TIM_ERR_CONV)) mismatches++;
            if (x->exists) {
                x->has_draft = 1; x->draft_no = no; x->stamp = ++clock;
                exp[nexp].kind = R_EVT; exp[nexp].code = kTIMConvEvent_Update; exp[nexp].slot = slot; nexp++;
            }
            break;
        }
        case 2: /* cancel draft */
            r = TIMConvCancelDraft(id, (enum TIMConvType)type);
            if (r != (x->exists ? TIM_SUCC : TIM_ERR_CONV)) mismatches++;
            if (x->exists && x->has_draft) {
                x->has_draft = 0;
                exp[nexp].kind = R_EVT; exp[nexp].code = kTIMConvEvent_Update; exp[nexp].slot = slot; nexp++;
            }
            break;
        default: /* delete */
            r = TIMConvDelete(id, (enum TIMConvType)type, withcb ? rec_cb : NULL, t);
            if (r != TIM_SUCC) mismatches++;
            if (x->exists) {
                exp[nexp].kind = R_EVT; exp[nexp].code = kTIMConvEvent_Del; exp[nexp].slot = slot; nexp++;
            }
            if (withcb) {
                exp[nexp].kind = R_CB; exp[nexp].code = x->exists ? 0 : ERR_INVALID_CONVERSATION;
                exp[nexp].slot = slot; exp[nexp].ud = t; nexp++;
            }
            x->exists = 0; x->has_draft = 0;
            break;
        }
        if (op % 15 == 14 || op == ops - 1) {
            /* Compare the list with the model, and the records with the expectation. */
            size_t at, got = 0;
            jv *l;
            char *txt = snapshot_at(&at);
            l = jparse(txt);
            free(txt);
            check_list_invariants(l);
            {
                /* Our subset of the list, in list order, must be the model sorted by stamp descending. */
                unsigned prev = UINT32_MAX;
                int seen = 0, want = 0;
                for (int k = 0; k < RND_IDS * 2; k++) want += s[k].exists;
                for (size_t i = 0; i < jlen(l); i++) {
                    const jv *c = jat(l, i);
                    const jv *cid = jget(c, kTIMConvId);
                    int k, sl;
                    if (!cid || cid->t != J_STR || sscanf(cid->s, "rnd-%d", &k) != 1) continue;
                    sl = k * 2 + (ju64or(jget(c, kTIMConvType), 0) == kTIMConv_Group);
                    seen++;
                    if (k < 0 || k >= RND_IDS || !s[sl].exists || s[sl].stamp >= prev) { list_bad++; continue; }
                    prev = s[sl].stamp;
                    if (!jisbool(jget(c, kTIMConvIsHasDraft), s[sl].has_draft)) list_bad++;
                    if (s[sl].has_draft) {
                        char u[16];
                        snprintf(u, sizeof u, "n%d", s[sl].draft_no);
                        if (!jstreq(jget(jget(c, kTIMConvDraft), kTIMDraftUserDefine), u)) list_bad++;
                    }
                }
                if (seen != want) list_bad++;
            }
            jfree(l);
            for (size_t i = from; i < at; i++) {
                const rec_t *r2 = rec_at(i);
                const expect_t *e = got < nexp ? &exp[got] : NULL;
                if (!e) { mismatches++; continue; }
                if (r2->kind != e->kind || r2->code != e->code) { mismatches++; got++; continue; }
                if (e->kind == R_CB && r2->ud != e->ud) mismatches++;
                if (e->kind == R_EVT) {
                    int ty = e->slot % 2 ? kTIMConv_Group : kTIMConv_C2C;
                    if (!evt_is(r2, e->code, ids[e->slot / 2], ty)) mismatches++;
                }
                if (e->kind == R_CB && e->code == 0 && (uintptr_t)e->ud != 0 && r2->json[0] == '{') {
                    jv *v = jparse(r2->json);
                    int ty = e->slot % 2 ? kTIMConv_Group : kTIMConv_C2C;
                    if (!jstreq(jget(v, kTIMConvId), ids[e->slot / 2]) ||
                        ju64or(jget(v, kTIMConvType), 0) != (uint64_t)ty) mismatches++;
                    jfree(v);
                }
                got++;
            }
            if (got != nexp) mismatches++;
            nexp = 0;
            from = at + 1;
        }
    }
    CHECK(mismatches == 0, "%d mismatches between records and model", mismatches);
    CHECK(list_bad == 0, "%d mismatches between list and model", list_bad);
    for (int k = 0; k < RND_IDS * 2; k++)
        if (s[k].exists) TIMConvDelete(ids[k / 2], k % 2 ? kTIMConv_Group : kTIMConv_C2C, NULL, NULL);
    free(exp);
}

/* --- Global checks over everything recorded ------------------------------ */

static void t_global(void) {
    size_t at, n;
    int bad_payload = 0, startfinish = 0, dup = 0;
    unsigned char *seen;
    g_test = "global";
    barrier(&at);
    n = log_len();
    seen = xmalloc(TOK_MAX);
    memset(seen, 0, TOK_MAX);
    for (size_t i = 0; i < n; i++) {
        const rec_t *r = rec_at(i);
        if (r->kind == R_EVT) {
            jv *v = jparse(r->json);
            if (r->code == kTIMConvEvent_Start || r->code == kTIMConvEvent_Finish) startfinish++;
            if (!v || v->t != J_ARR || v->n != 1 || !jat(v, 0) || jat(v, 0)->t != J_OBJ) bad_payload++;
            jfree(v);
        } else {
            uintptr_t u = (uintptr_t)r->ud;
            if (u >= TOK_BASE && u < g_tok_next && (u - TOK_BASE) % 2 == 0) {
                size_t k = (u - TOK_BASE) / 2;
                if (seen[k]++) dup++;
            }
        }
    }
    free(seen);
    CHECK(bad_payload == 0, "%d event payloads are not one-element ConvInfo arrays", bad_payload);
    CHECK(startfinish == 0, "no kTIMConvEvent_Start/Finish from a local store (%d)", startfinish);
    CHECK(dup == 0, "%d calls were called back more than once", dup);
    CHECK(g_have_cb_thread, "callbacks ran");
    CHECK(g_cb_on_caller_thread == 0, "%d callbacks ran on the calling thread", g_cb_on_caller_thread);
    CHECK(g_cb_many_threads == 0, "%d callbacks ran on a second library thread", g_cb_many_threads);
    CHECK(g_cb_nested == 0, "%d callbacks ran inside another callback's API call", g_cb_nested);
    CHECK(g_cb_bad_strings == 0, "%d callbacks got NULL or non-UTF-8 strings", g_cb_bad_strings);
    {
        jv *l = list_now();
        CHECK(jlen(l) == 1 && find_conv(l, "keep-old", kTIMConv_Group, NULL), "only keep-old is left");
        jfree(l);
    }
}

int main(void) {
    g_main_thread = pthread_self();
    alarm(900); /* a deadlock ends the run instead of hanging it */
    setvbuf(stdout, NULL, _IOLBF, 0);

    t_empty_start();
    TIMSetConvEventCallback(rec_evt, EVT_UD);
    t_create_two_types();
    t_delete();
    t_list_order();
    t_draft();
    t_snapshot();
    t_bad_inputs();
    t_escapes_and_lifetimes();
    t_user_data();
    t_null_cb();
    t_reentrant();
    t_event_slot();
    t_threads();
    t_random_model();
    t_global();

    TIMSetConvEventCallback(NULL, NULL);
    delete_wait("keep-old", kTIMConv_Group);
    jfree(g_alice_c2c_info);
    {
        size_t n = log_len();
        for (size_t i = 0; i < n; i++) {
            rec_t *r = g_log[i];
            free(r->desc);
            free(r->json);
            free(r);
        }
        free(g_log);
    }
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
