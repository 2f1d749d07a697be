/* The device duties of docs/protocol.md §8 on the in-memory platform: batching, seq, outbox,
 * PUBACK order, redelivery byte for byte, presence, profile checks. */
#include <stdlib.h>
#include <string.h>

#include "mem_platform.h"
#include "sim_server.h"
#include "testkit.h"
#include "vigil/device.h"
#include "vigil/error.h"
#include "vigil/event.h"

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static vigil_device_t dev; /* large: static, as on a device */

static vigil_device_config_t config(vigil_alg_t alg) {
  return mem_device_config("truck-0042", VIGIL_PROFILE_VACCINE_TRANSPORT, 1, alg, SECRET);
}

static vigil_sample_t truck_sample(uint64_t ts) {
  vigil_sample_t s;
  memset(&s, 0, sizeof(s));
  s.ts = ts;
  s.present = VIGIL_F_TEMP_C | VIGIL_F_RH_PCT | VIGIL_F_LAT | VIGIL_F_LON | VIGIL_F_BAT_PCT |
              VIGIL_F_POWER | VIGIL_F_RSSI_DBM;
  s.temp_c = 4.6;
  s.rh_pct = 51.2;
  s.lat = 52.37;
  s.lon = 4.89;
  s.bat_pct = 88;
  s.power = VIGIL_POWER_MAINS;
  s.rssi_dbm = -67;
  return s;
}

/* Delivers published messages from *cursor to the server; PUBACKs them when ack is set. */
static void deliver(mem_platform_t *m, sim_server_t *srv, size_t *cursor, int ack) {
  while (*cursor < m->nmsgs) {
    mem_msg_t *msg = &m->msgs[(*cursor)++];
    if (strstr(msg->topic, "/state")) continue;
    sim_ingest(srv, msg->topic, msg->payload, msg->len);
    if (ack) vigil_device_on_puback(&dev, msg->mid);
  }
}

static void test_batches_samples_oldest_first(vigil_alg_t alg) {
  mem_platform_t m;
  sim_server_t srv;
  vigil_device_config_t c = config(alg);
  size_t cur = 0, i;
  mem_init(&m, 128 + 512 * 300, 7);
  sim_init(&srv, SECRET, "truck-0042", 1, alg);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  /* offline: 100 samples are stored, nothing is sent */
  m.link_up = 0;
  for (i = 0; i < 100; i++) {
    vigil_sample_t s = truck_sample(1795305000000ull + i * 1000);
    CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_OK);
  }
  CHECK(vigil_device_backlog(&dev) == 100, "backlog %llu", (unsigned long long)vigil_device_backlog(&dev));
  CHECK(m.nmsgs == 0, "nothing published offline");
  m.link_up = 1;
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  CHECK(strcmp(m.msgs[0].topic, "vigil/v1/devices/truck-0042/state") == 0 && m.msgs[0].retain &&
            m.msgs[0].len == 6 && memcmp(m.msgs[0].payload, "online", 6) == 0,
        "first publish is the retained online state");
  CHECK(strcmp(m.subscribed, "vigil/v1/devices/truck-0042/commands") == 0, "subscribed to commands");
  CHECK(vigil_device_inflight(&dev) == VIGIL_MAX_INFLIGHT, "inflight window full");
  deliver(&m, &srv, &cur, 1);
  CHECK(vigil_device_backlog(&dev) == 0, "all acknowledged");
  CHECK(srv.nsamples == 100, "server stored %zu samples", srv.nsamples);
  for (i = 0; i < srv.nsamples; i++) {
    CHECK(srv.sample_ts[i] == 1795305000000ull + i * 1000, "sample %zu in order", i);
  }
  /* 100 samples in envelopes of at most VIGIL_BATCH_SAMPLES */
  CHECK(srv.nseqs == (100 + VIGIL_BATCH_SAMPLES - 1) / VIGIL_BATCH_SAMPLES, "envelopes %zu", srv.nseqs);
  for (i = 1; i < srv.nseqs; i++) CHECK(srv.seqs[i] == srv.seqs[i - 1] + 1, "seq strictly increasing");
  for (i = 0; i < m.nmsgs; i++) CHECK(m.msgs[i].len <= VIGIL_ENVELOPE_MAX, "envelope within limit");
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
}

static void test_seq_never_reused_across_restarts(void) {
  mem_platform_t m;
  sim_server_t srv;
  vigil_device_config_t c = config(VIGIL_ALG_A256GCM);
  size_t cur = 0;
  uint64_t first_run_last, i;
  mem_init(&m, 128 + 512 * 64, 9);
  sim_init(&srv, SECRET, "truck-0042", 1, VIGIL_ALG_A256GCM);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  for (i = 0; i < 3; i++) {
    vigil_sample_t s = truck_sample(1795305000000ull + i);
    CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_OK);
    vigil_device_pump(&dev, NULL);
    deliver(&m, &srv, &cur, 1);
  }
  first_run_last = srv.seqs[srv.nseqs - 1];
  CHECK(first_run_last == 2, "seq 0, 1, 2 used");
  /* a restart without any orderly shutdown (the state on storage is all there is) */
  vigil_device_deinit(&dev);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  CHECK(vigil_device_next_seq(&dev) == VIGIL_SEQ_BLOCK, "continues at the reserved block end, got %llu",
        (unsigned long long)vigil_device_next_seq(&dev));
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  {
    vigil_sample_t s = truck_sample(1795305009999ull);
    CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_OK);
  }
  deliver(&m, &srv, &cur, 1);
  CHECK(srv.seqs[srv.nseqs - 1] == VIGIL_SEQ_BLOCK, "first seq after restart skips ahead");
  CHECK(srv.replays == 0 && srv.refused == 0, "nothing refused");
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
}

static void test_seq_blocks_are_stored_before_use(void) {
  mem_platform_t m;
  vigil_seq_t s, again;
  uint64_t v = 0, i, last = 0;
  mem_init(&m, 128 + 512 * 16, 25);
  CHECK_RC(vigil_seq_load(&s, &m.p), VIGIL_OK);
  for (i = 0; i < 3 * VIGIL_SEQ_BLOCK + 5; i++) {
    CHECK_RC(vigil_seq_take(&s, &m.p, &v), VIGIL_OK);
    CHECK(v == i, "seq %llu", (unsigned long long)v);
    /* at any moment, a reboot continues above every number handed out */
    CHECK_RC(vigil_seq_load(&again, &m.p), VIGIL_OK);
    CHECK(again.next > v, "after %llu a reboot restarts at %llu", (unsigned long long)v,
          (unsigned long long)again.next);
    last = v;
  }
  /* storage refusing the reservation: no number is handed out */
  mem_crash_after(&m, 0);
  s.next = s.reserved;
  CHECK_RC(vigil_seq_take(&s, &m.p, &v), VIGIL_E_STORAGE);
  CHECK(v == last, "nothing handed out");
  /* a damaged record is an error, never a silent restart from 0 */
  mem_crash_after(&m, -1);
  m.kv[0].data[5] ^= 1;
  CHECK_RC(vigil_seq_load(&again, &m.p), VIGIL_E_CORRUPT);
  mem_free(&m);
}

static void test_redelivers_unacknowledged_byte_for_byte(void) {
  mem_platform_t m;
  sim_server_t srv;
  vigil_device_config_t c = config(VIGIL_ALG_ASCON128);
  size_t cur = 0, before, i;
  mem_msg_t first;
  mem_init(&m, 128 + 512 * 64, 11);
  sim_init(&srv, SECRET, "truck-0042", 1, VIGIL_ALG_ASCON128);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  {
    vigil_sample_t s = truck_sample(1795305000000ull);
    CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_OK);
  }
  CHECK(m.nmsgs == 2, "online + one envelope");
  first = m.msgs[1];
  /* the server stores it, the PUBACK is lost with the connection */
  sim_ingest(&srv, first.topic, first.payload, first.len);
  vigil_device_on_disconnect(&dev);
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  CHECK(m.nmsgs == 4 && m.msgs[3].len == first.len && memcmp(m.msgs[3].payload, first.payload, first.len) == 0,
        "redelivered unchanged after a reconnect");
  /* ...and after a reboot */
  vigil_device_deinit(&dev);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  before = m.nmsgs;
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  CHECK(m.nmsgs == before + 2 && memcmp(m.msgs[before + 1].payload, first.payload, first.len) == 0,
        "redelivered unchanged after a reboot");
  cur = 2;
  deliver(&m, &srv, &cur, 1);
  CHECK(srv.nsamples == 1 && srv.replays == 2, "stored once, copies refused as replays (%zu, %u)",
        srv.nsamples, srv.replays);
  CHECK(vigil_device_backlog(&dev) == 0 && vigil_device_inflight(&dev) == 0, "deleted on PUBACK");
  for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) {
    char key[8] = {'i', 'n', 'f', (char)('0' + i), 0};
    uint8_t buf[8];
    size_t len;
    CHECK(m.p.kv_get(m.p.ctx, key, buf, sizeof(buf), &len) == VIGIL_E_NOTFOUND, "inflight record gone");
  }
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
}

static void test_deletes_only_oldest_first(void) {
  mem_platform_t m;
  sim_server_t srv;
  vigil_device_config_t c = config(VIGIL_ALG_A256GCM);
  uint64_t i;
  mem_init(&m, 128 + 512 * 300, 13);
  sim_init(&srv, SECRET, "truck-0042", 1, VIGIL_ALG_A256GCM);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  m.link_up = 0;
  for (i = 0; i < 2 * VIGIL_BATCH_SAMPLES; i++) {
    vigil_sample_t s = truck_sample(1795305000000ull + i);
    CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_OK);
  }
  m.link_up = 1;
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  CHECK(m.nmsgs == 3, "two envelopes in flight");
  /* PUBACK of the newer one first: nothing can be deleted yet */
  CHECK_RC(vigil_device_on_puback(&dev, m.msgs[2].mid), VIGIL_OK);
  CHECK(vigil_device_backlog(&dev) == 2 * VIGIL_BATCH_SAMPLES, "newer ack deletes nothing");
  CHECK_RC(vigil_device_on_puback(&dev, m.msgs[1].mid), VIGIL_OK);
  CHECK(vigil_device_backlog(&dev) == 0, "both deleted once the older is acked");
  CHECK(m.notices[VIGIL_NOTICE_ACKED] == 2, "two ACKED notices");
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
}

static void test_refuses_samples_the_profile_does_not_allow(void) {
  mem_platform_t m;
  vigil_device_config_t c = config(VIGIL_ALG_A256GCM);
  vigil_sample_t s = truck_sample(1795305000000ull);
  mem_init(&m, 128 + 512 * 64, 15);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  s.present &= ~VIGIL_F_LAT;
  CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_ERR_BODY_SCHEMA);
  s = truck_sample(1795305000000ull);
  s.present |= VIGIL_F_HR_BPM;
  CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_ERR_BODY_SCHEMA);
  s = truck_sample(1795305000000ull);
  s.rh_pct = 100.5;
  CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_ERR_BODY_SCHEMA);
  s = truck_sample(1795305000000ull);
  s.temp_c = 0.0 / 0.0;
  CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_ERR_BODY_SCHEMA);
  s = truck_sample(1795305000000ull);
  s.rssi_dbm = 3;
  CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_ERR_BODY_SCHEMA);
  CHECK(vigil_device_backlog(&dev) == 0, "nothing stored");
  vigil_device_deinit(&dev);
  mem_free(&m);
}

static void test_full_outbox_keeps_room_for_acks(void) {
  mem_platform_t m;
  vigil_device_config_t c = config(VIGIL_ALG_A256GCM);
  uint32_t slots = 40, i, stored = 0;
  int rc = VIGIL_OK;
  mem_init(&m, 128 + 512 * slots, 17);
  m.link_up = 0;
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  for (i = 0; i < slots + 5; i++) {
    vigil_sample_t s = truck_sample(1795305000000ull + i);
    rc = vigil_device_record_sample(&dev, &s);
    if (rc == VIGIL_OK) stored++;
  }
  CHECK(stored == slots - VIGIL_OUTBOX_RESERVE, "stored %u samples", stored);
  CHECK_RC(rc, VIGIL_E_FULL);
  CHECK(m.notices[VIGIL_NOTICE_OUTBOX_FULL] == slots + 5 - stored, "full reported");
  {
    char body[128];
    vigil_jw_t w;
    size_t len;
    vigil_jw_init(&w, body, sizeof(body));
    CHECK_RC(vigil_event_door(&w, 1795305000000ull, 1), VIGIL_OK);
    vigil_jw_finish(&w, &len);
    CHECK_RC(vigil_device_record_event(&dev, body, len), VIGIL_OK);
  }
  vigil_device_deinit(&dev);
  mem_free(&m);
}

static void test_dispatch_event_carries_batch_and_token(void) {
  mem_platform_t m;
  sim_server_t srv;
  vigil_device_config_t c = config(VIGIL_ALG_A256GCM);
  char batch[32], token[32];
  size_t cur = 0;
  mem_init(&m, 128 + 512 * 64, 19);
  sim_init(&srv, SECRET, "truck-0042", 1, VIGIL_ALG_A256GCM);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  CHECK_RC(vigil_device_dispatch(&dev, "SHP-1", batch, sizeof(batch), token, sizeof(token)), VIGIL_OK);
  CHECK(strncmp(batch, "B-20261122-", 11) == 0 && strlen(batch) == VIGIL_BATCH_CHARS, "batch %s", batch);
  CHECK(strlen(token) == VIGIL_TOKEN_CHARS, "token length");
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  deliver(&m, &srv, &cur, 1);
  CHECK(srv.last_channel == VIGIL_CH_EVENTS && strstr(srv.last_body, "\"type\":\"dispatch\"") &&
            strstr(srv.last_body, token) && strstr(srv.last_body, "\"shipment\":\"SHP-1\""),
        "dispatch event %s", srv.last_body);
  CHECK(strstr((char *)m.msgs[1].payload, token) == NULL, "token not readable on the wire");
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
}

static void test_damaged_record_is_skipped_not_fatal(void) {
  mem_platform_t m;
  sim_server_t srv;
  vigil_device_config_t c = config(VIGIL_ALG_A256GCM);
  size_t cur = 0;
  uint64_t i;
  mem_init(&m, 128 + 512 * 64, 21);
  sim_init(&srv, SECRET, "truck-0042", 1, VIGIL_ALG_A256GCM);
  m.link_up = 0;
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  for (i = 0; i < 3; i++) {
    vigil_sample_t s = truck_sample(1795305000000ull + i);
    CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_OK);
  }
  m.region[128 + 512 * 0 + 30] ^= 0xff; /* the oldest sample's data */
  m.link_up = 1;
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
  deliver(&m, &srv, &cur, 1);
  CHECK(srv.nsamples == 2 && m.notices[VIGIL_NOTICE_RECORD_LOST] == 1, "the two good samples arrive");
  CHECK(vigil_device_backlog(&dev) == 0, "outbox empty");
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
}

static void test_no_send_before_the_clock_is_set(void) {
  mem_platform_t m;
  vigil_device_config_t c = config(VIGIL_ALG_A256GCM);
  vigil_sample_t s = truck_sample(1795305000000ull);
  mem_init(&m, 128 + 512 * 64, 23);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  CHECK_RC(vigil_device_record_sample(&dev, &s), VIGIL_OK);
  m.time_set = 0;
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_E_NOTIME);
  CHECK(m.nmsgs == 1 && vigil_device_next_seq(&dev) == 0, "only the state went out; no seq used");
  m.time_set = 1;
  {
    unsigned sent = 0;
    CHECK_RC(vigil_device_pump(&dev, &sent), VIGIL_OK);
    CHECK(sent == 1, "sent once the clock is set");
  }
  CHECK_RC(vigil_device_going_offline(&dev), VIGIL_OK);
  CHECK(m.msgs[m.nmsgs - 1].retain && memcmp(m.msgs[m.nmsgs - 1].payload, "offline", 7) == 0,
        "offline, retained, before a deliberate disconnect");
  CHECK(strcmp(vigil_device_will_topic(&dev), "vigil/v1/devices/truck-0042/state") == 0, "will topic");
  vigil_device_deinit(&dev);
  mem_free(&m);
}

int main(void) {
  test_batches_samples_oldest_first(VIGIL_ALG_A256GCM);
  test_batches_samples_oldest_first(VIGIL_ALG_ASCON128);
  test_batches_samples_oldest_first(VIGIL_ALG_NONE);
  test_seq_never_reused_across_restarts();
  test_seq_blocks_are_stored_before_use();
  test_redelivers_unacknowledged_byte_for_byte();
  test_deletes_only_oldest_first();
  test_refuses_samples_the_profile_does_not_allow();
  test_full_outbox_keeps_room_for_acks();
  test_dispatch_event_carries_batch_and_token();
  test_damaged_record_is_skipped_not_fatal();
  test_no_send_before_the_clock_is_set();
  return tk_done("test_device");
}
