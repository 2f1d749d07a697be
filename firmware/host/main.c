/*
 * vigil-device: a POSIX device on the firmware core. It reads a bundle written by
 * `vigil device add`, samples simulated sensors, keeps every reading in a file-backed outbox
 * until Vigil acknowledges it, talks MQTT over mutual TLS with libmosquitto, answers commands,
 * and survives kill -9 without reusing a seq (docs/protocol.md §8).
 *
 * It prints one line per event on stdout (key=value), for people and for tests.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "mqtt_link.h"
#include "posix_platform.h"
#include "sample_schedule.h"
#include "sim_sensors.h"
#include "vigil/device.h"
#include "vigil/error.h"

typedef struct host {
  posix_store_t store; /* first member: the posix_* callbacks take the host as their store */
  mqtt_link_t link;
  uint64_t started_ms;
} host_t;

static host_t host;
static vigil_device_t device; /* ~70 KiB: static, as on a microcontroller */
static bundle_t bundle;
static volatile sig_atomic_t stop_requested, dispatch_requested;

static void on_signal(int sig) {
  if (sig == SIGUSR1) dispatch_requested = 1;
  else stop_requested = 1;
}

static int host_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len, int retain,
                        uint32_t *msg_id) {
  return mqtt_link_publish(&((host_t *)ctx)->link, topic, payload, len, retain, msg_id);
}

static int host_subscribe(void *ctx, const char *topic) {
  return mqtt_link_subscribe(&((host_t *)ctx)->link, topic);
}

/* Ops this device runs beyond the core's own (set_interval). */
static int host_execute(void *ctx, const vigil_command_t *cmd, vigil_ack_t *ack) {
  host_t *h = ctx;
  if (strcmp(cmd->op, "ping") == 0) {
    vigil_ack_result_int(ack, "uptime_s", (int64_t)((posix_monotonic_ms() - h->started_ms) / 1000));
    vigil_ack_result_int(ack, "backlog", (int64_t)vigil_device_backlog(&device));
    return VIGIL_OK;
  }
  return VIGIL_E_UNSUPPORTED;
}

static void host_notify(void *ctx, const vigil_notice_t *n) {
  const char *ch = vigil_channel_name(n->channel);
  unsigned long long first = (unsigned long long)n->first, seq = (unsigned long long)n->seq;
  (void)ctx;
  switch (n->kind) {
    case VIGIL_NOTICE_STORED:
      printf("stored index=%llu channel=%s ts=%llu\n", first, ch, (unsigned long long)n->ts);
      break;
    case VIGIL_NOTICE_SEALED:
      printf("sealed seq=%llu channel=%s first=%llu count=%u\n", seq, ch, first, n->count);
      break;
    case VIGIL_NOTICE_PUBLISHED:
      printf("published seq=%llu channel=%s first=%llu count=%u\n", seq, ch, first, n->count);
      break;
    case VIGIL_NOTICE_ACKED:
      printf("acked seq=%llu channel=%s first=%llu count=%u\n", seq, ch, first, n->count);
      break;
    case VIGIL_NOTICE_DOWNLINK_REFUSED:
      printf("refused reason=%s\n", vigil_strerror(n->code));
      break;
    case VIGIL_NOTICE_COMMAND:
      printf("command op=%s ok=%d duplicate=%d\n", n->text ? n->text : "?", n->code == VIGIL_OK, n->duplicate);
      break;
    case VIGIL_NOTICE_RECORD_LOST:
      printf("record_lost index=%llu\n", first);
      break;
    case VIGIL_NOTICE_OUTBOX_FULL:
      printf("outbox_full\n");
      break;
  }
}

static void usage(FILE *f) {
  fputs("usage: vigil-device --bundle DIR [options]\n"
        "  --bundle DIR          bundle written by `vigil device add` (device.json, ca.crt, device.crt, device.key)\n"
        "  --state DIR           seq, outbox and command history (default DIR/state)\n"
        "  --broker URL          mqtts://host:port; repeat for an ordered failover list (default: broker_url)\n"
        "  --interval-ms N       sampling interval until a set_interval command changes it (default 60000)\n"
        "  --samples N           stop sampling after N samples (default: never)\n"
        "  --exit-when-drained   with --samples: exit once every reading is acknowledged\n"
        "  --outbox-slots N      outbox capacity in readings (default 20000; fixed once created)\n"
        "  --keepalive S         MQTT keep-alive, 1..300 s (default 30)\n"
        "  --reconnect-max-ms N  longest wait between connection attempts (default 30000)\n"
        "  --dispatch-after N    send a dispatch event after N samples (also on SIGUSR1)\n",
        f);
}

typedef struct opts {
  const char *bundle_dir;
  char state_dir[4200];
  uint32_t interval_ms;
  unsigned long samples;
  int exit_when_drained;
  unsigned long outbox_slots;
  int keepalive;
  unsigned long reconnect_max_ms;
  unsigned long dispatch_after;
  broker_t brokers[BROKERS_MAX];
  int nbrokers;
} opts_t;

static int parse_args(int argc, char **argv, opts_t *o) {
  static const struct option LONG[] = {
      {"bundle", required_argument, 0, 'b'},       {"state", required_argument, 0, 's'},
      {"broker", required_argument, 0, 'm'},       {"interval-ms", required_argument, 0, 'i'},
      {"samples", required_argument, 0, 'n'},      {"exit-when-drained", no_argument, 0, 'x'},
      {"outbox-slots", required_argument, 0, 'o'}, {"keepalive", required_argument, 0, 'k'},
      {"reconnect-max-ms", required_argument, 0, 'r'}, {"dispatch-after", required_argument, 0, 'd'},
      {"help", no_argument, 0, 'h'},               {0, 0, 0, 0}};
  int c;
  char *end;
  memset(o, 0, sizeof(*o));
  o->interval_ms = 60000, o->outbox_slots = 20000, o->keepalive = 30, o->reconnect_max_ms = 30000;
  while ((c = getopt_long(argc, argv, "", LONG, NULL)) != -1) {
    unsigned long v = 0;
    if (optarg && c != 'b' && c != 's' && c != 'm') {
      v = strtoul(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || *optarg == '-') {
        fprintf(stderr, "not a number: %s\n", optarg);
        return -1;
      }
    }
    switch (c) {
      case 'b': o->bundle_dir = optarg; break;
      case 's': snprintf(o->state_dir, sizeof(o->state_dir), "%s", optarg); break;
      case 'm':
        if (o->nbrokers == BROKERS_MAX || broker_parse(optarg, &o->brokers[o->nbrokers]) != 0) {
          fprintf(stderr, "--broker %s: must be mqtts://host:port (at most %d)\n", optarg, BROKERS_MAX);
          return -1;
        }
        o->nbrokers++;
        break;
      case 'i':
        if (v < 10 || v > 86400000ul) return fprintf(stderr, "--interval-ms: 10..86400000\n"), -1;
        o->interval_ms = (uint32_t)v;
        break;
      case 'n': o->samples = v; break;
      case 'x': o->exit_when_drained = 1; break;
      case 'o':
        if (v < 64 || v > 1000000) return fprintf(stderr, "--outbox-slots: 64..1000000\n"), -1;
        o->outbox_slots = v;
        break;
      case 'k':
        /* docs/protocol.md §1: 1 to 300 s; 0 is refused */
        if (v < 1 || v > 300) return fprintf(stderr, "--keepalive: 1..300\n"), -1;
        o->keepalive = (int)v;
        break;
      case 'r':
        if (v < 100) return fprintf(stderr, "--reconnect-max-ms: at least 100\n"), -1;
        o->reconnect_max_ms = v;
        break;
      case 'd': o->dispatch_after = v; break;
      case 'h': usage(stdout); exit(0);
      default: usage(stderr); return -1;
    }
  }
  if (!o->bundle_dir || optind != argc) {
    usage(stderr);
    return -1;
  }
  if (!o->state_dir[0]) snprintf(o->state_dir, sizeof(o->state_dir), "%s/state", o->bundle_dir);
  return 0;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void dispatch(void) {
  char batch[32], token[32];
  int rc = vigil_device_dispatch(&device, NULL, batch, sizeof(batch), token, sizeof(token));
  if (rc != VIGIL_OK) {
    fprintf(stderr, "dispatch: %s\n", vigil_strerror(rc));
    return;
  }
  /* This console is the device's display: the receiver needs the token. It goes to stderr
   * only, never into the event log on stdout (docs/protocol.md §7.2). */
  fprintf(stderr, "DISPLAY dispatch batch %s delivery token %s\n", batch, token);
  printf("dispatch batch=%s\n", batch);
  vigil_wipe(token, sizeof(token));
}

static int run(const opts_t *o) {
  sim_sensors_t sensors;
  uint64_t now = posix_monotonic_ms(), next_sample = now, next_attempt = now;
  unsigned long taken = 0, backoff = 500;
  int auto_dispatched = 0;
  uint32_t interval = vigil_device_interval_ms(&device);
  sim_sensors_init(&sensors, bundle.profile);
  while (!stop_requested) {
    now = posix_monotonic_ms();
    if (dispatch_requested || (o->dispatch_after && !auto_dispatched && taken >= o->dispatch_after)) {
      if (!dispatch_requested) auto_dispatched = 1;
      dispatch_requested = 0;
      dispatch();
    }
    if (host.link.state == LINK_DOWN && now >= next_attempt) {
      if (mqtt_link_connect(&host.link, now) != 0) {
        printf("connect_failed broker=%s\n", bundle.brokers[host.link.broker].url);
        mqtt_link_close(&host.link, 1);
        next_attempt = now + backoff;
        backoff = backoff * 2 > o->reconnect_max_ms ? o->reconnect_max_ms : backoff * 2;
      }
    }
    if (host.link.mosq) mqtt_link_loop(&host.link, 20, now);
    else sleep_ms(20);
    if (host.link.state == LINK_UP) backoff = 500;
    if (host.link.lost) {
      /* fail over to the next broker when an attempt never got to CONNACK */
      int failed = host.link.state != LINK_UP;
      if (failed) printf("connect_failed broker=%s\n", bundle.brokers[host.link.broker].url);
      mqtt_link_close(&host.link, failed);
      next_attempt = now + (failed ? backoff : 200);
      if (failed) backoff = backoff * 2 > o->reconnect_max_ms ? o->reconnect_max_ms : backoff * 2;
    }
    if (vigil_device_interval_ms(&device) != interval) {
      interval = vigil_device_interval_ms(&device);
      printf("interval_ms=%u\n", interval);
      next_sample = now + interval;
    }
    if ((o->samples == 0 || taken < o->samples) && now >= next_sample) {
      vigil_sample_t s;
      uint64_t ts;
      if (posix_now_ms(NULL, &ts) == VIGIL_OK) {
        int rc;
        sim_sensors_read(&sensors, ts, &s);
        rc = vigil_device_record_sample(&device, &s);
        if (rc != VIGIL_OK) fprintf(stderr, "sample: %s\n", vigil_strerror(rc));
        taken++;
      }
      /* read after the sample's wall-clock ts: the next ts is then at least half an interval later */
      next_sample = sample_next_due(next_sample, posix_monotonic_ms(), interval);
    }
    if (o->exit_when_drained && o->samples && taken >= o->samples && vigil_device_backlog(&device) == 0 &&
        vigil_device_inflight(&device) == 0)
      break;
  }
  mqtt_link_shutdown(&host.link);
  printf("exit backlog=%llu next_seq=%llu\n", (unsigned long long)vigil_device_backlog(&device),
         (unsigned long long)vigil_device_next_seq(&device));
  return 0;
}

int main(int argc, char **argv) {
  opts_t o;
  vigil_platform_t p;
  vigil_device_config_t c;
  struct sigaction sa;
  int rc;
  setvbuf(stdout, NULL, _IOLBF, 0); /* one line per event, even into a pipe: kill -9 loses none */
  if (parse_args(argc, argv, &o) != 0) return 2;
  if (bundle_load(o.bundle_dir, &bundle) != 0) return 2;
  if (o.nbrokers > 0) {
    memcpy(bundle.brokers, o.brokers, sizeof(o.brokers));
    bundle.nbrokers = o.nbrokers;
  }
  if (bundle.nbrokers == 0) {
    fprintf(stderr, "device.json: broker_url is not mqtts://host:port with a port 1..65535; give --broker\n");
    return 2;
  }
  if (posix_store_open(&host.store, o.state_dir, (uint32_t)(128 + o.outbox_slots * VIGIL_OUTBOX_SLOT)) != 0)
    return 1;
  memset(&p, 0, sizeof(p));
  p.ctx = &host;
  p.random = posix_random, p.now_ms = posix_now_ms;
  p.kv_get = posix_kv_get, p.kv_put = posix_kv_put, p.kv_del = posix_kv_del;
  p.region_read = posix_region_read, p.region_write = posix_region_write, p.region_sync = posix_region_sync;
  p.region_size = host.store.region_size;
  p.publish = host_publish, p.subscribe = host_subscribe, p.execute = host_execute, p.notify = host_notify;
  memset(&c, 0, sizeof(c));
  c.device_id = bundle.id, c.topic_prefix = bundle.topic_prefix, c.profile = bundle.profile;
  c.kid = bundle.kid, c.alg = bundle.alg, c.secret = bundle.secret, c.interval_ms = o.interval_ms;
  rc = vigil_device_init(&device, &p, &c);
  vigil_wipe(bundle.secret, sizeof(bundle.secret));
  if (rc != VIGIL_OK) {
    fprintf(stderr, "%s: cannot start: %s%s\n", o.state_dir, vigil_strerror(rc),
            rc == VIGIL_E_CORRUPT ? " (stored state is damaged or from another outbox size; not guessing)" : "");
    return 1;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  host.started_ms = posix_monotonic_ms();
  host.link.bundle = &bundle, host.link.dev = &device, host.link.keepalive_s = o.keepalive;
  if (mqtt_link_init() != 0) return 1;
  printf("ready id=%s profile=%s alg=%s next_seq=%llu backlog=%llu inflight=%u interval_ms=%u\n", bundle.id,
         vigil_profile_name(bundle.profile), vigil_alg_name(bundle.alg),
         (unsigned long long)vigil_device_next_seq(&device), (unsigned long long)vigil_device_backlog(&device),
         vigil_device_inflight(&device), vigil_device_interval_ms(&device));
  rc = run(&o);
  vigil_device_deinit(&device);
  posix_store_close(&host.store);
  mqtt_link_cleanup();
  return rc;
}
