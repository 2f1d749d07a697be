#include "vigil/json_writer.h"

#include <string.h>

#include "vigil/error.h"

void vigil_jw_init(vigil_jw_t *w, char *buf, size_t cap) {
  memset(w, 0, sizeof(*w));
  w->buf = buf;
  w->cap = cap;
}

static void put(vigil_jw_t *w, const char *s, size_t n) {
  if (w->err) return;
  if (w->cap - w->len < n) {
    w->err = VIGIL_E_NOSPACE;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

/* Comma handling before a value or a key. */
static void before_item(vigil_jw_t *w) {
  if (w->err) return;
  if (w->after_key) {
    w->after_key = 0;
    return;
  }
  if (w->depth > 0) {
    if (w->has_item[w->depth - 1]) put(w, ",", 1);
    w->has_item[w->depth - 1] = 1;
  } else if (w->len > 0) {
    w->err = VIGIL_E_ARG; /* a second top-level value */
  }
}

static void open_container(vigil_jw_t *w, char c) {
  before_item(w);
  if (w->err) return;
  if (w->depth >= VIGIL_JW_MAX_DEPTH) {
    w->err = VIGIL_E_NOSPACE;
    return;
  }
  put(w, &c, 1);
  w->closer[w->depth] = c == '{' ? '}' : ']';
  w->has_item[w->depth++] = 0;
}

void vigil_jw_object(vigil_jw_t *w) { open_container(w, '{'); }
void vigil_jw_array(vigil_jw_t *w) { open_container(w, '['); }

void vigil_jw_end(vigil_jw_t *w) {
  if (w->err) return;
  if (w->depth == 0 || w->after_key) {
    w->err = VIGIL_E_ARG;
    return;
  }
  w->depth--;
  put(w, &w->closer[w->depth], 1);
}

static void put_escaped(vigil_jw_t *w, const char *s, size_t n) {
  static const char HEX[] = "0123456789abcdef";
  size_t i = 0;
  put(w, "\"", 1);
  while (i < n && !w->err) {
    unsigned char c = (unsigned char)s[i];
    size_t run;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      put(w, e, 2);
      i++;
      continue;
    }
    if (c < 0x20) {
      char e[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
      put(w, e, 6);
      i++;
      continue;
    }
    /* RFC 3629: refuse invalid UTF-8 instead of sending text the receiver cannot decode. */
    if (c < 0x80) run = 1;
    else if (c >= 0xc2 && c <= 0xdf) run = 2;
    else if (c >= 0xe0 && c <= 0xef) run = 3;
    else if (c >= 0xf0 && c <= 0xf4) run = 4;
    else run = 0;
    if (run == 0 || i + run > n) {
      w->err = VIGIL_E_ARG;
      return;
    }
    {
      size_t k;
      for (k = 1; k < run; k++) {
        if (((unsigned char)s[i + k] & 0xc0) != 0x80) {
          w->err = VIGIL_E_ARG;
          return;
        }
      }
      if (run == 3) {
        unsigned char c1 = (unsigned char)s[i + 1];
        if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f)) w->err = VIGIL_E_ARG;
      } else if (run == 4) {
        unsigned char c1 = (unsigned char)s[i + 1];
        if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f)) w->err = VIGIL_E_ARG;
      }
    }
    put(w, s + i, run);
    i += run;
  }
  put(w, "\"", 1);
}

void vigil_jw_key(vigil_jw_t *w, const char *key) {
  if (w->err) return;
  if (w->depth == 0 || w->after_key) {
    w->err = VIGIL_E_ARG;
    return;
  }
  before_item(w);
  put_escaped(w, key, strlen(key));
  put(w, ":", 1);
  w->after_key = 1;
}

void vigil_jw_string(vigil_jw_t *w, const char *s, size_t n) {
  before_item(w);
  put_escaped(w, s, n);
}

void vigil_jw_cstr(vigil_jw_t *w, const char *s) { vigil_jw_string(w, s, strlen(s)); }

static size_t format_u64(uint64_t v, char out[20]) {
  char tmp[20];
  size_t n = 0, i;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

void vigil_jw_uint(vigil_jw_t *w, uint64_t v) {
  char d[20];
  before_item(w);
  put(w, d, format_u64(v, d));
}

void vigil_jw_int(vigil_jw_t *w, int64_t v) {
  char d[20];
  uint64_t mag = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
  before_item(w);
  if (v < 0) put(w, "-", 1);
  put(w, d, format_u64(mag, d));
}

void vigil_jw_fixed(vigil_jw_t *w, double v, unsigned decimals) {
  static const uint64_t POW10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                   1000000000};
  uint64_t scale, scaled, ip, fp;
  int neg;
  char d[20];
  if (w->err) return;
  if (decimals > 9 || !(v == v) || v >= 1e12 || v <= -1e12) {
    w->err = VIGIL_E_ARG;
    return;
  }
  scale = POW10[decimals];
  neg = v < 0;
  /* Round half away from zero in integer arithmetic; |v| * scale < 1e21 fits a double's range
   * and, below 2^53, is exact enough for sensor values. */
  scaled = (uint64_t)((neg ? -v : v) * (double)scale + 0.5);
  ip = scaled / scale;
  fp = scaled % scale;
  before_item(w);
  if (neg && scaled != 0) put(w, "-", 1);
  put(w, d, format_u64(ip, d));
  if (fp != 0) {
    char f[9];
    unsigned i, n = decimals;
    for (i = decimals; i-- > 0;) {
      f[i] = (char)('0' + fp % 10);
      fp /= 10;
    }
    while (n > 0 && f[n - 1] == '0') n--;
    put(w, ".", 1);
    put(w, f, n);
  }
}

void vigil_jw_bool(vigil_jw_t *w, int v) {
  before_item(w);
  if (v) put(w, "true", 4);
  else put(w, "false", 5);
}

void vigil_jw_null(vigil_jw_t *w) {
  before_item(w);
  put(w, "null", 4);
}

void vigil_jw_raw(vigil_jw_t *w, const char *json, size_t n) {
  before_item(w);
  put(w, json, n);
}

void vigil_jw_append(vigil_jw_t *w, const char *s, size_t n) { put(w, s, n); }

void vigil_jw_append_uint(vigil_jw_t *w, uint64_t v) {
  char d[20];
  put(w, d, format_u64(v, d));
}

int vigil_jw_finish(vigil_jw_t *w, size_t *len) {
  if (w->err) return w->err;
  if (w->depth != 0 || w->after_key || w->len == 0) return VIGIL_E_ARG;
  if (len) *len = w->len;
  return VIGIL_OK;
}
