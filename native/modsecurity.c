/*
 * modsecurity: the waf middleware's engine, libmodsecurity3 (Debian's libmodsecurity3/libmodsecurity-dev,
 * the engine of nginx's ModSecurity module) behind Node-API. middleware/waf/engine.ts loads it.
 *
 * Functions:
 *   rulesFromFile(path) -> rules           compiles a SecLang file (its Includes resolve from its folder)
 *   rulesFromText(text) -> rules           compiles SecLang text
 *   newTransaction(rules, id) -> tx        a handle; libmodsecurity's Transaction is made by the first step
 *   processRequest(tx, clientIp, clientPort, serverIp, serverPort, method, uri, httpVersion,
 *                  rawHeaders, body|null) -> Promise<result>      phases 0 (connection) to 2 (body)
 *   processResponse(tx, status, protocol, rawHeaders, body|null) -> Promise<result>  phases 3 and 4
 *   finish(tx) -> Promise<result>           phase 5 (logging), then frees the transaction (engine thread)
 *   processRequestSync(...) -> result       as processRequest, on the calling thread (benchmarks only)
 *   setThreads(n) -> n in effect           engine threads to start at the first step (1-64; default 1)
 * result: {status, url, disruptive, log, messages}: the intervention (status 200 and disruptive false when
 * none) and the rule messages the log callback received during that step, in ModSecurity's text form.
 *
 * Why threads of its own: one CRS evaluation costs about a millisecond of CPU for a small GET (more on large
 * bodies), which would stall every other request if run on the event loop. Each step goes to one of the
 * addon's engine threads (named wharf-waf), always the same one for a transaction, so a transaction's
 * memory is allocated and freed by one thread; results come back through one thread-safe function, held
 * (keeping the process alive) only while steps are in flight. Transactions of one rules set run
 * concurrently (libmodsecurity shares compiled rules read-only between transactions, as multi-threaded
 * servers embedding it do). A transaction runs one step at a time (the caller awaits each step).
 * middleware/waf/engine.ts starts more threads than CPUs (engineThreads): with one or two, the event loop
 * was woken, and the engine preempted, several times a request (bench/README.md, "waf engine threads").
 * libuv's pool, used before, is left to Node's file, DNS and zlib work.
 *
 * Strings from JavaScript (method, uri, headers) are taken as latin1, Node's decoding of the request head,
 * so the engine sees the bytes the client sent. Node-API version 8.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE /* pthread_setname_np */
#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A compiled rules set, freed when neither its JavaScript handle nor a live transaction uses it. */
typedef struct {
  RulesSet *rules;
  int refs;
} rules_t;

typedef struct {
  char **items;
  size_t count;
  size_t cap;
} messages_t;

/*
 * A transaction. libmodsecurity's Transaction is created by the first step and destroyed by finish, both on
 * its engine thread: its constructor and destructor cost hundreds of microseconds (dozens of collections and
 * strings), which the event loop should not pay.
 */
typedef struct {
  Transaction *tx;
  ModSecurity *msc;
  rules_t *rules;
  char *id;
  unsigned lane; /* the engine thread (modulo their count) every step of this transaction runs on */
  messages_t messages; /* filled by log_cb on whichever thread runs the step */
  int busy;
  int finished;
} tx_t;

typedef struct work_s work_t;

/* An engine thread and its queue of steps (first in, first out). */
typedef struct {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  work_t *head, *tail;
  int stop;
  napi_threadsafe_function done; /* the instance's, shared by every lane */
} lane_t;

typedef struct {
  ModSecurity *msc;
  lane_t *lanes;
  int nlanes;  /* threads started (0 until the first step) */
  int wanted;  /* threads to start, set by setThreads (default 1) */
  unsigned next; /* the lane the next transaction gets (modulo the count) */
  uint32_t inflight; /* steps queued and not yet completed (main thread only) */
  napi_threadsafe_function done;
} instance_t;

struct work_s {
  work_t *next; /* in its lane's queue */
  instance_t *inst;
  napi_deferred deferred;
  napi_ref tx_ref;
  napi_ref body_ref;
  tx_t *t;
  int kind; /* 1 request, 2 response, 3 finish */
  /* inputs: one arena holds every string; headers are name/value pairs inside it */
  char *arena;
  const char *client_ip, *server_ip, *method, *uri, *version;
  int client_port, server_port, status;
  size_t nheaders;
  const char **hdr;
  size_t *hdr_len;
  const unsigned char *body;
  size_t body_len;
  int has_body;
  /* outputs */
  ModSecurityIntervention it;
  messages_t messages;
};

static void messages_push(messages_t *m, const char *text) {
  if (m->count == m->cap) {
    size_t cap = m->cap == 0 ? 4 : m->cap * 2;
    char **items = realloc(m->items, cap * sizeof(char *));
    if (items == NULL) return;
    m->items = items;
    m->cap = cap;
  }
  char *copy = strdup(text);
  if (copy != NULL) m->items[m->count++] = copy;
}

static void messages_free(messages_t *m) {
  for (size_t i = 0; i < m->count; i++) free(m->items[i]);
  free(m->items);
  m->items = NULL;
  m->count = m->cap = 0;
}

/* libmodsecurity calls this for each rule message; data is the transaction's tx_t. */
static void log_cb(void *data, const void *msg) {
  if (data == NULL || msg == NULL) return;
  messages_push(&((tx_t *)data)->messages, (const char *)msg);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "WHARF_MODSECURITY", message);
  return NULL;
}

static void rules_release(rules_t *r) {
  if (--r->refs == 0) {
    msc_rules_cleanup(r->rules);
    free(r);
  }
}

static void finalize_rules(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rules_release(data);
}

/* Frees what the main thread owns (the rules reference) and the transaction if a step did not. */
static void tx_free(tx_t *t) {
  if (t->tx != NULL) msc_transaction_cleanup(t->tx);
  t->tx = NULL;
  messages_free(&t->messages);
  if (t->rules != NULL) rules_release(t->rules);
  t->rules = NULL;
  free(t->id);
  t->id = NULL;
  t->finished = 1;
}

static void finalize_tx(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  tx_free(data);
  free(data);
}

/* Reads a JS string argument into a malloc'd buffer (latin1 or utf8). */
static char *get_string(napi_env env, napi_value v, int latin1, size_t *out_len) {
  size_t len = 0;
  napi_status st = latin1 ? napi_get_value_string_latin1(env, v, NULL, 0, &len)
                          : napi_get_value_string_utf8(env, v, NULL, 0, &len);
  if (st != napi_ok) return NULL;
  char *buf = malloc(len + 1);
  if (buf == NULL) return NULL;
  st = latin1 ? napi_get_value_string_latin1(env, v, buf, len + 1, &len)
              : napi_get_value_string_utf8(env, v, buf, len + 1, &len);
  if (st != napi_ok) {
    free(buf);
    return NULL;
  }
  if (out_len != NULL) *out_len = len;
  return buf;
}

static napi_value make_rules(napi_env env, napi_callback_info info, int from_file) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return fail(env, "one string argument expected");
  char *arg = get_string(env, argv[0], 0, NULL);
  if (arg == NULL) return fail(env, "the argument must be a string");
  rules_t *r = calloc(1, sizeof(rules_t));
  if (r == NULL) {
    free(arg);
    return fail(env, "out of memory");
  }
  r->rules = msc_create_rules_set();
  r->refs = 1;
  const char *error = NULL;
  int added = from_file ? msc_rules_add_file(r->rules, arg, &error) : msc_rules_add(r->rules, arg, &error);
  free(arg);
  if (added < 0) {
    char message[4096];
    snprintf(message, sizeof message, "%s", error != NULL ? error : "the rules do not compile");
    free((void *)error);
    msc_rules_cleanup(r->rules);
    free(r);
    napi_throw_error(env, "WHARF_MODSECURITY_RULES", message);
    return NULL;
  }
  free((void *)error);
  napi_value out;
  if (napi_create_external(env, r, finalize_rules, NULL, &out) != napi_ok) {
    rules_release(r);
    return fail(env, "cannot wrap the rules set");
  }
  return out;
}

static napi_value rules_from_file(napi_env env, napi_callback_info info) { return make_rules(env, info, 1); }
static napi_value rules_from_text(napi_env env, napi_callback_info info) { return make_rules(env, info, 0); }

static napi_value new_transaction(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2)
    return fail(env, "newTransaction(rules, id): two arguments expected");
  rules_t *r = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&r) != napi_ok || r == NULL)
    return fail(env, "newTransaction: rules must come from rulesFromFile or rulesFromText");
  char *id = get_string(env, argv[1], 0, NULL);
  if (id == NULL) return fail(env, "newTransaction: id must be a string");
  instance_t *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  tx_t *t = calloc(1, sizeof(tx_t));
  if (t == NULL) {
    free(id);
    return fail(env, "out of memory");
  }
  t->rules = r;
  r->refs++;
  t->msc = inst->msc;
  t->id = id;
  t->lane = inst->next++;
  napi_value out;
  if (napi_create_external(env, t, finalize_tx, NULL, &out) != napi_ok) {
    tx_free(t);
    free(t);
    return fail(env, "cannot create a transaction");
  }
  return out;
}

/* Copies the header array ([name, value, ...], as req.rawHeaders) and the given strings into w->arena. */
static int copy_inputs(napi_env env, work_t *w, napi_value headers, napi_value *strings, int nstrings,
                       const char **targets[]) {
  uint32_t n = 0;
  bool is_array = false;
  if (napi_is_array(env, headers, &is_array) != napi_ok || !is_array) return 0;
  napi_get_array_length(env, headers, &n);
  size_t total = 0;
  size_t lens[8];
  for (int i = 0; i < nstrings; i++) {
    if (napi_get_value_string_latin1(env, strings[i], NULL, 0, &lens[i]) != napi_ok) return 0;
    total += lens[i] + 1;
  }
  size_t *hlens = malloc((n + 1) * sizeof(size_t));
  if (hlens == NULL) return 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, headers, i, &item);
    if (napi_get_value_string_latin1(env, item, NULL, 0, &hlens[i]) != napi_ok) {
      free(hlens);
      return 0;
    }
    total += hlens[i] + 1;
  }
  w->arena = malloc(total + 1);
  w->hdr = malloc((n + 1) * sizeof(char *));
  if (w->arena == NULL || w->hdr == NULL) {
    free(hlens);
    return 0;
  }
  char *p = w->arena;
  for (int i = 0; i < nstrings; i++) {
    size_t got = 0;
    napi_get_value_string_latin1(env, strings[i], p, lens[i] + 1, &got);
    *targets[i] = p;
    p += got + 1;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    size_t got = 0;
    napi_get_element(env, headers, i, &item);
    napi_get_value_string_latin1(env, item, p, hlens[i] + 1, &got);
    w->hdr[i] = p;
    hlens[i] = got;
    p += got + 1;
  }
  w->hdr_len = hlens;
  w->nheaders = n / 2;
  return 1;
}

/* Keeps a Buffer argument alive (and its bytes in place) for the duration of the work. */
static int take_body(napi_env env, work_t *w, napi_value body) {
  napi_valuetype type;
  napi_typeof(env, body, &type);
  if (type == napi_null || type == napi_undefined) return 1;
  bool is_buffer = false;
  if (napi_is_buffer(env, body, &is_buffer) != napi_ok || !is_buffer) return 0;
  void *data = NULL;
  napi_get_buffer_info(env, body, &data, &w->body_len);
  w->body = data;
  w->has_body = 1;
  return napi_create_reference(env, body, 1, &w->body_ref) == napi_ok;
}

static void work_free(napi_env env, work_t *w) {
  if (w->tx_ref != NULL) napi_delete_reference(env, w->tx_ref);
  if (w->body_ref != NULL) napi_delete_reference(env, w->body_ref);
  free(w->arena);
  free((void *)w->hdr);
  free(w->hdr_len);
  free(w->it.url);
  free(w->it.log);
  messages_free(&w->messages);
  free(w);
}

/* Reads the intervention; returns 1 when the request must stop here (a disruptive action). */
static int check(work_t *w) {
  free(w->it.url);
  free(w->it.log);
  w->it.status = 200;
  w->it.url = NULL;
  w->it.log = NULL;
  w->it.disruptive = 0;
  w->it.pause = 0;
  return msc_intervention(w->t->tx, &w->it) != 0 && w->it.disruptive != 0;
}

/* The steps, as nginx's ModSecurity module runs them, checking the intervention after each phase. */
static void run_request(work_t *w) {
  Transaction *tx = w->t->tx;
  msc_process_connection(tx, w->client_ip, w->client_port, w->server_ip, w->server_port);
  if (check(w)) return;
  msc_process_uri(tx, w->uri, w->method, w->version);
  if (check(w)) return;
  for (size_t i = 0; i < w->nheaders; i++)
    msc_add_n_request_header(tx, (const unsigned char *)w->hdr[2 * i], w->hdr_len[2 * i],
                             (const unsigned char *)w->hdr[2 * i + 1], w->hdr_len[2 * i + 1]);
  msc_process_request_headers(tx);
  if (check(w)) return;
  if (w->has_body && w->body_len > 0) msc_append_request_body(tx, w->body, w->body_len);
  if (check(w)) return;
  msc_process_request_body(tx);
  check(w);
}

static void run_response(work_t *w) {
  Transaction *tx = w->t->tx;
  for (size_t i = 0; i < w->nheaders; i++)
    msc_add_n_response_header(tx, (const unsigned char *)w->hdr[2 * i], w->hdr_len[2 * i],
                              (const unsigned char *)w->hdr[2 * i + 1], w->hdr_len[2 * i + 1]);
  msc_process_response_headers(tx, w->status, w->version);
  if (check(w)) return;
  if (w->has_body && w->body_len > 0) msc_append_response_body(tx, w->body, w->body_len);
  if (check(w)) return;
  msc_process_response_body(tx);
  check(w);
}

static void execute(napi_env env, void *data) {
  (void)env;
  work_t *w = data;
  tx_t *t = w->t;
  w->it.status = 200;
  if (t->tx == NULL && w->kind != 3) t->tx = msc_new_transaction_with_id(t->msc, t->rules->rules, t->id, t);
  if (t->tx != NULL) {
    if (w->kind == 1) run_request(w);
    else if (w->kind == 2) run_response(w);
    else {
      msc_process_logging(t->tx);
      check(w);
    }
  }
  /* The messages of this step move to the work, so the main thread reads them without sharing. */
  w->messages = t->messages;
  memset(&t->messages, 0, sizeof(messages_t));
  if (w->kind == 3 && t->tx != NULL) {
    msc_transaction_cleanup(t->tx);
    t->tx = NULL;
  }
}

static napi_value result_of(napi_env env, work_t *w) {
  napi_value out, v, list;
  napi_create_object(env, &out);
  napi_create_int32(env, w->it.status, &v);
  napi_set_named_property(env, out, "status", v);
  napi_get_boolean(env, w->it.disruptive != 0, &v);
  napi_set_named_property(env, out, "disruptive", v);
  if (w->it.url != NULL) napi_create_string_utf8(env, w->it.url, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  napi_set_named_property(env, out, "url", v);
  if (w->it.log != NULL) napi_create_string_utf8(env, w->it.log, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  napi_set_named_property(env, out, "log", v);
  napi_create_array_with_length(env, w->messages.count, &list);
  for (size_t i = 0; i < w->messages.count; i++) {
    napi_create_string_utf8(env, w->messages.items[i], NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, list, (uint32_t)i, v);
  }
  napi_set_named_property(env, out, "messages", list);
  return out;
}

/* On the main thread: settles the step's promise with its result and frees the work. */
static void complete(napi_env env, work_t *w) {
  w->t->busy = 0;
  if (w->kind == 3) tx_free(w->t);
  napi_resolve_deferred(env, w->deferred, result_of(env, w));
  work_free(env, w);
}

/* The thread-safe function's callback, on the main thread (env NULL: the environment is going away). */
static void step_done(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)context;
  work_t *w = data;
  if (env == NULL) return; /* the process or worker is exiting: its memory goes with it */
  instance_t *inst = w->inst;
  complete(env, w);
  if (--inst->inflight == 0) napi_unref_threadsafe_function(env, inst->done);
}

/* An engine thread: runs its lane's steps in order, handing each result back through the shared tsfn. */
static void *lane_main(void *arg) {
  lane_t *l = arg;
  pthread_mutex_lock(&l->mu);
  for (;;) {
    /* At teardown, steps still queued are dropped (the process or worker is going away). */
    if (l->stop) break;
    work_t *w = l->head;
    if (w == NULL) {
      pthread_cond_wait(&l->cv, &l->mu);
      continue;
    }
    l->head = w->next;
    if (l->head == NULL) l->tail = NULL;
    pthread_mutex_unlock(&l->mu);
    execute(NULL, w);
    napi_call_threadsafe_function(l->done, w, napi_tsfn_nonblocking);
    pthread_mutex_lock(&l->mu);
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

/* Stops and joins the engine threads (an environment cleanup hook: runs before the instance is freed). */
static void stop_lanes(void *arg) {
  instance_t *inst = arg;
  for (int i = 0; i < inst->nlanes; i++) {
    lane_t *l = &inst->lanes[i];
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
  }
  for (int i = 0; i < inst->nlanes; i++) {
    pthread_join(inst->lanes[i].thread, NULL);
    pthread_mutex_destroy(&inst->lanes[i].mu);
    pthread_cond_destroy(&inst->lanes[i].cv);
  }
  if (inst->done != NULL) napi_release_threadsafe_function(inst->done, napi_tsfn_abort);
  free(inst->lanes);
  inst->lanes = NULL;
  inst->nlanes = 0;
}

/* The engine threads' stack: CRS's regular expressions and libinjection recurse. */
#define LANE_STACK (8u << 20)

/* Starts the engine threads at the first step; 0 (with an exception) when the system refuses. */
static int start_lanes(napi_env env, instance_t *inst) {
  napi_value name;
  napi_create_string_utf8(env, "wharf:modsecurity", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, step_done, &inst->done) !=
      napi_ok)
    return 0;
  napi_unref_threadsafe_function(env, inst->done);
  inst->lanes = calloc((size_t)inst->wanted, sizeof(lane_t));
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  size_t stack = 0;
  pthread_attr_getstacksize(&attr, &stack);
  if (stack < LANE_STACK) pthread_attr_setstacksize(&attr, LANE_STACK);
  for (int i = 0; inst->lanes != NULL && i < inst->wanted; i++) {
    lane_t *l = &inst->lanes[i];
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->done = inst->done;
    if (pthread_create(&l->thread, &attr, lane_main, l) != 0) {
      pthread_mutex_destroy(&l->mu);
      pthread_cond_destroy(&l->cv);
      break;
    }
    pthread_setname_np(l->thread, "wharf-waf");
    inst->nlanes++;
  }
  pthread_attr_destroy(&attr);
  if (inst->nlanes == 0) {
    /* Nothing started (no memory or no threads): the next step tries again. */
    napi_release_threadsafe_function(inst->done, napi_tsfn_abort);
    inst->done = NULL;
    free(inst->lanes);
    inst->lanes = NULL;
    return 0;
  }
  napi_add_env_cleanup_hook(env, stop_lanes, inst);
  return 1;
}

/* Checks the transaction argument and makes the work item; NULL (with an exception) when unusable. */
static work_t *new_work(napi_env env, napi_value tx_value, int kind) {
  tx_t *t = NULL;
  if (napi_get_value_external(env, tx_value, (void **)&t) != napi_ok || t == NULL) {
    fail(env, "the first argument must be a transaction from newTransaction");
    return NULL;
  }
  if (t->finished) {
    fail(env, "the transaction is finished");
    return NULL;
  }
  if (t->busy) {
    fail(env, "the transaction is running another step (await each step)");
    return NULL;
  }
  work_t *w = calloc(1, sizeof(work_t));
  if (w == NULL) {
    fail(env, "out of memory");
    return NULL;
  }
  w->t = t;
  w->kind = kind;
  napi_create_reference(env, tx_value, 1, &w->tx_ref);
  return w;
}

/* Hands the step to its transaction's engine thread; the promise settles when the step has run. */
static napi_value queue(napi_env env, work_t *w) {
  instance_t *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  if (inst->nlanes == 0 && !start_lanes(env, inst)) {
    work_free(env, w);
    return fail(env, "cannot start the ModSecurity engine threads");
  }
  napi_value promise;
  napi_create_promise(env, &w->deferred, &promise);
  w->inst = inst;
  if (inst->inflight++ == 0) napi_ref_threadsafe_function(env, inst->done);
  w->t->busy = 1;
  lane_t *l = &inst->lanes[w->t->lane % inst->nlanes];
  pthread_mutex_lock(&l->mu);
  if (l->tail != NULL) l->tail->next = w;
  else l->head = w;
  l->tail = w;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
  return promise;
}

static work_t *request_work(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 10) {
    fail(env, "processRequest: 10 arguments expected");
    return NULL;
  }
  work_t *w = new_work(env, argv[0], 1);
  if (w == NULL) return NULL;
  napi_value strings[5] = {argv[1], argv[3], argv[5], argv[6], argv[7]};
  const char **targets[5] = {&w->client_ip, &w->server_ip, &w->method, &w->uri, &w->version};
  if (napi_get_value_int32(env, argv[2], &w->client_port) != napi_ok ||
      napi_get_value_int32(env, argv[4], &w->server_port) != napi_ok ||
      !copy_inputs(env, w, argv[8], strings, 5, targets) || !take_body(env, w, argv[9])) {
    work_free(env, w);
    fail(env, "processRequest(tx, clientIp, clientPort, serverIp, serverPort, method, uri, httpVersion, "
              "rawHeaders, body): bad argument");
    return NULL;
  }
  return w;
}

static napi_value process_request(napi_env env, napi_callback_info info) {
  work_t *w = request_work(env, info);
  return w == NULL ? NULL : queue(env, w);
}

static napi_value process_request_sync(napi_env env, napi_callback_info info) {
  work_t *w = request_work(env, info);
  if (w == NULL) return NULL;
  execute(env, w);
  napi_value out = result_of(env, w);
  work_free(env, w);
  return out;
}

static napi_value process_response(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return fail(env, "processResponse: 5 arguments expected");
  work_t *w = new_work(env, argv[0], 2);
  if (w == NULL) return NULL;
  napi_value strings[1] = {argv[2]};
  const char **targets[1] = {&w->version};
  if (napi_get_value_int32(env, argv[1], &w->status) != napi_ok ||
      !copy_inputs(env, w, argv[3], strings, 1, targets) || !take_body(env, w, argv[4])) {
    work_free(env, w);
    return fail(env, "processResponse(tx, status, protocol, rawHeaders, body): bad argument");
  }
  return queue(env, w);
}

static napi_value finish(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return fail(env, "finish(tx): one argument expected");
  work_t *w = new_work(env, argv[0], 3);
  return w == NULL ? NULL : queue(env, w);
}

/*
 * setThreads(n) -> n in effect: how many engine threads to start (1 to 64) at the first step; once
 * started, the count stays and is returned.
 */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  double d = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_double(env, argv[0], &d) != napi_ok || !(d >= 1 && d <= 64) || d != (double)(int)d)
    return fail(env, "setThreads(n): n must be an integer from 1 to 64");
  int n = (int)d;
  instance_t *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  if (inst->nlanes == 0) {
    inst->wanted = n;
    inst->next = 0;
  }
  napi_create_int32(env, inst->nlanes > 0 ? inst->nlanes : inst->wanted, &out);
  return out;
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance_t *inst = data;
  msc_cleanup(inst->msc);
  free(inst);
}

NAPI_MODULE_INIT() {
  instance_t *inst = calloc(1, sizeof(instance_t));
  if (inst == NULL) return NULL;
  inst->msc = msc_init();
  inst->wanted = 1;
  msc_set_connector_info(inst->msc, "Wharf waf middleware");
  msc_set_log_cb(inst->msc, log_cb);
  napi_set_instance_data(env, inst, free_instance, NULL);
  napi_property_descriptor props[] = {
      {"rulesFromFile", NULL, rules_from_file, NULL, NULL, NULL, napi_default, NULL},
      {"rulesFromText", NULL, rules_from_text, NULL, NULL, NULL, napi_default, NULL},
      {"newTransaction", NULL, new_transaction, NULL, NULL, NULL, napi_default, NULL},
      {"processRequest", NULL, process_request, NULL, NULL, NULL, napi_default, NULL},
      {"processRequestSync", NULL, process_request_sync, NULL, NULL, NULL, napi_default, NULL},
      {"processResponse", NULL, process_response, NULL, NULL, NULL, napi_default, NULL},
      {"finish", NULL, finish, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
