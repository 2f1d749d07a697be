/* Strict base64url (docs/protocol.md §5) and the JSON reader and writer. */
#include <string.h>

#include "testkit.h"
#include "vigil/b64url.h"
#include "vigil/error.h"
#include "vigil/json_reader.h"
#include "vigil/json_writer.h"

static void test_base64url_is_strict(void) {
  uint8_t out[64];
  size_t n;
  char text[64];
  static const char *const BAD[] = {"A", "AB=", "AB==", "A+B/", "AB C", "QR", "QUJ", "ABCDE", "Zm9v\n"};
  size_t i;
  CHECK_RC(vigil_b64u_decode("", 0, out, sizeof(out), &n), VIGIL_OK);
  CHECK(n == 0, "empty");
  CHECK_RC(vigil_b64u_decode("QQ", 2, out, sizeof(out), &n), VIGIL_OK);
  CHECK(n == 1 && out[0] == 'A', "QQ is A");
  CHECK_RC(vigil_b64u_decode("QUI", 3, out, sizeof(out), &n), VIGIL_OK);
  CHECK(n == 2 && memcmp(out, "AB", 2) == 0, "QUI is AB");
  CHECK_RC(vigil_b64u_decode("-_-_", 4, out, sizeof(out), &n), VIGIL_OK);
  CHECK(n == 3 && out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf, "url alphabet");
  for (i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++)
    CHECK_RC(vigil_b64u_decode(BAD[i], strlen(BAD[i]), out, sizeof(out), &n), VIGIL_E_ARG);
  /* every byte string of length 0..40 round-trips, and decoding in place works */
  for (i = 0; i <= 40; i++) {
    uint8_t raw[40];
    size_t k, m;
    for (k = 0; k < i; k++) raw[k] = (uint8_t)(k * 37 + i);
    CHECK_RC(vigil_b64u_encode(raw, i, text, sizeof(text), &m), VIGIL_OK);
    CHECK(m == vigil_b64u_encoded_len(i), "length %zu", i);
    CHECK_RC(vigil_b64u_decode(text, m, (uint8_t *)text, sizeof(text), &n), VIGIL_OK);
    CHECK(n == i && memcmp(text, raw, i) == 0, "round trip in place %zu", i);
  }
  CHECK_RC(vigil_b64u_encode((const uint8_t *)"abc", 3, text, 3, &n), VIGIL_E_NOSPACE);
}

static int parses(const char *s) {
  vigil_jtok_t t[32];
  size_t n;
  return vigil_json_parse(s, strlen(s), t, 32, &n) == VIGIL_OK;
}

static void test_json_reader_is_strict(void) {
  static const char *const GOOD[] = {"{}", "[]", "0", "-0", "1.5e-3", "\"\\u00e9\\ud83d\\ude00\"", " {\"a\" : [1, true, null]} ",
                                     "\"\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80\"", "1E+2"};
  static const char *const BAD[] = {"", "{", "{,}", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "1e", "--1",
                                    "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"", "\"\xc0\xaf\"",
                                    "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "nul", "true false", "{\"a\"}",
                                    "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", "'a'", "\xef\xbb\xbf{}"};
  size_t i;
  for (i = 0; i < sizeof(GOOD) / sizeof(GOOD[0]); i++) CHECK(parses(GOOD[i]), "accepts %s", GOOD[i]);
  for (i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) CHECK(!parses(BAD[i]), "refuses %s", BAD[i]);
  {
    const char *s = "{\"k\\u0065y\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\"n\":12345678901234567890}";
    vigil_jtok_t t[8];
    size_t n, len, units;
    char out[64];
    uint64_t v;
    CHECK_RC(vigil_json_parse(s, strlen(s), t, 8, &n), VIGIL_OK);
    CHECK(n == 5 && t[0].size == 2, "tokens");
    CHECK(vigil_json_str_eq(s, &t[1], "key"), "escaped key");
    CHECK_RC(vigil_json_str(s, &t[2], out, sizeof(out), &len, &units), VIGIL_OK);
    CHECK(strcmp(out, "\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80") == 0 && units == 11, "decoded (%zu units)", units);
    CHECK_RC(vigil_json_uint(s, &t[4], UINT64_MAX, &v), VIGIL_OK);
    CHECK(v == 12345678901234567890ull, "u64");
    CHECK_RC(vigil_json_uint(s, &t[4], 9007199254740991ull, &v), VIGIL_E_ARG);
    CHECK_RC(vigil_json_str(s, &t[2], out, 5, &len, NULL), VIGIL_E_NOSPACE);
    CHECK_RC(vigil_json_parse(s, strlen(s), t, 4, &n), VIGIL_E_NOSPACE);
  }
}

static void test_json_writer(void) {
  char buf[256];
  vigil_jw_t w;
  size_t n;
  vigil_jw_init(&w, buf, sizeof(buf));
  vigil_jw_object(&w);
  vigil_jw_key(&w, "s");
  vigil_jw_cstr(&w, "q\"b\\c\x01\xc3\xa9");
  vigil_jw_key(&w, "a");
  vigil_jw_array(&w);
  vigil_jw_fixed(&w, 4.6, 2);
  vigil_jw_fixed(&w, -0.004, 2);
  vigil_jw_fixed(&w, 5.0, 2);
  vigil_jw_fixed(&w, -12.345678, 6);
  vigil_jw_fixed(&w, 0.125, 2);
  vigil_jw_int(&w, INT64_MIN);
  vigil_jw_uint(&w, 9007199254740991ull);
  vigil_jw_bool(&w, 0);
  vigil_jw_null(&w);
  vigil_jw_end(&w);
  vigil_jw_end(&w);
  CHECK_RC(vigil_jw_finish(&w, &n), VIGIL_OK);
  buf[n] = '\0';
  CHECK(strcmp(buf, "{\"s\":\"q\\\"b\\\\c\\u0001\xc3\xa9\",\"a\":[4.6,0,5,-12.345678,0.13,-9223372036854775808,"
                    "9007199254740991,false,null]}") == 0,
        "got %s", buf);
  CHECK(parses(buf), "the writer's output is strict JSON");
  /* refusals */
  vigil_jw_init(&w, buf, sizeof(buf));
  vigil_jw_cstr(&w, "\xff");
  CHECK_RC(vigil_jw_finish(&w, &n), VIGIL_E_ARG);
  vigil_jw_init(&w, buf, sizeof(buf));
  vigil_jw_fixed(&w, 0.0 / 0.0, 2);
  CHECK_RC(vigil_jw_finish(&w, &n), VIGIL_E_ARG);
  vigil_jw_init(&w, buf, 4);
  vigil_jw_cstr(&w, "toolong");
  CHECK_RC(vigil_jw_finish(&w, &n), VIGIL_E_NOSPACE);
  vigil_jw_init(&w, buf, sizeof(buf));
  vigil_jw_object(&w);
  CHECK_RC(vigil_jw_finish(&w, &n), VIGIL_E_ARG);
}

int main(void) {
  test_base64url_is_strict();
  test_json_reader_is_strict();
  test_json_writer();
  return tk_done("test_codec");
}
