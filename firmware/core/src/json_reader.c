#include "vigil/json_reader.h"

#include <stdlib.h>
#include <string.h>

#include "vigil/config.h"
#include "vigil/error.h"

typedef struct {
  const char *s;
  size_t len;
  size_t pos;
  vigil_jtok_t *toks;
  size_t cap;
  size_t count;
} parser_t;

static void skip_ws(parser_t *p) {
  /* RFC 8259 §2: ws = space, horizontal tab, line feed, carriage return */
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

static int new_tok(parser_t *p, uint8_t type, size_t *idx) {
  vigil_jtok_t *t;
  if (p->count >= p->cap) return VIGIL_E_NOSPACE;
  t = &p->toks[p->count];
  memset(t, 0, sizeof(*t));
  t->type = type;
  t->start = (uint32_t)p->pos;
  *idx = p->count++;
  return VIGIL_OK;
}

static int hex4(const char *s, uint32_t *out) {
  uint32_t v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4), or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return (avail >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    if (avail < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    if (avail < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
      return 0;
    return 4;
  }
  return 0;
}

static int parse_string(parser_t *p, size_t *idx) {
  int rc;
  p->pos++; /* opening quote */
  rc = new_tok(p, VIGIL_JSON_STRING, idx);
  if (rc != VIGIL_OK) return rc;
  while (p->pos < p->len) {
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') {
      p->toks[*idx].end = (uint32_t)p->pos;
      p->pos++;
      return VIGIL_OK;
    }
    if (c < 0x20) return VIGIL_E_JSON;
    if (c == '\\') {
      uint32_t u, lo;
      char e;
      p->toks[*idx].flags |= VIGIL_JSON_ESCAPED;
      if (p->pos + 1 >= p->len) return VIGIL_E_JSON;
      e = p->s[p->pos + 1];
      if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
          e == 't') {
        p->pos += 2;
        continue;
      }
      if (e != 'u' || p->pos + 6 > p->len || !hex4(p->s + p->pos + 2, &u)) return VIGIL_E_JSON;
      p->pos += 6;
      if (u >= 0xdc00 && u <= 0xdfff) return VIGIL_E_JSON; /* lone low surrogate */
      if (u >= 0xd800 && u <= 0xdbff) {
        if (p->pos + 6 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
            !hex4(p->s + p->pos + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
          return VIGIL_E_JSON;
        p->pos += 6;
      }
      continue;
    }
    {
      size_t n = utf8_seq((const unsigned char *)p->s + p->pos, p->len - p->pos);
      if (n == 0) return VIGIL_E_JSON;
      p->pos += n;
    }
  }
  return VIGIL_E_JSON;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser_t *p, size_t *idx) {
  /* RFC 8259 §6: [ minus ] int [ frac ] [ exp ] */
  int rc = new_tok(p, VIGIL_JSON_NUMBER, idx);
  int plain = 1;
  if (rc != VIGIL_OK) return rc;
  if (p->s[p->pos] == '-') {
    plain = 0;
    p->pos++;
  }
  if (p->pos >= p->len || !is_digit(p->s[p->pos])) return VIGIL_E_JSON;
  if (p->s[p->pos] == '0') {
    p->pos++;
  } else {
    while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
  }
  if (p->pos < p->len && p->s[p->pos] == '.') {
    plain = 0;
    p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos])) return VIGIL_E_JSON;
    while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
  }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    plain = 0;
    p->pos++;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos])) return VIGIL_E_JSON;
    while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
  }
  p->toks[*idx].end = (uint32_t)p->pos;
  if (plain) p->toks[*idx].flags |= VIGIL_JSON_INT;
  return VIGIL_OK;
}

static int parse_literal(parser_t *p, const char *word, uint8_t type, size_t *idx) {
  size_t n = strlen(word);
  int rc;
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return VIGIL_E_JSON;
  rc = new_tok(p, type, idx);
  if (rc != VIGIL_OK) return rc;
  p->pos += n;
  p->toks[*idx].end = (uint32_t)p->pos;
  return VIGIL_OK;
}

static int parse_value(parser_t *p, int depth, size_t *idx);

static int parse_container(parser_t *p, int depth, size_t *idx) {
  int is_obj = p->s[p->pos] == '{';
  char close = is_obj ? '}' : ']';
  int rc = new_tok(p, is_obj ? VIGIL_JSON_OBJECT : VIGIL_JSON_ARRAY, idx);
  uint32_t size = 0;
  if (rc != VIGIL_OK) return rc;
  if (depth >= VIGIL_JSON_MAX_DEPTH) return VIGIL_E_JSON;
  p->pos++;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
  } else {
    for (;;) {
      size_t child;
      skip_ws(p);
      if (p->pos >= p->len) return VIGIL_E_JSON;
      if (is_obj) {
        if (p->s[p->pos] != '"') return VIGIL_E_JSON;
        rc = parse_string(p, &child);
        if (rc != VIGIL_OK) return rc;
        p->toks[child].next = (uint32_t)p->count;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') return VIGIL_E_JSON;
        p->pos++;
        skip_ws(p);
      }
      rc = parse_value(p, depth + 1, &child);
      if (rc != VIGIL_OK) return rc;
      size++;
      skip_ws(p);
      if (p->pos >= p->len) return VIGIL_E_JSON;
      if (p->s[p->pos] == ',') {
        p->pos++;
        continue;
      }
      if (p->s[p->pos] != close) return VIGIL_E_JSON;
      p->pos++;
      break;
    }
  }
  p->toks[*idx].size = size;
  p->toks[*idx].end = (uint32_t)p->pos;
  return VIGIL_OK;
}

static int parse_value(parser_t *p, int depth, size_t *idx) {
  int rc;
  char c;
  if (p->pos >= p->len) return VIGIL_E_JSON;
  c = p->s[p->pos];
  if (c == '{' || c == '[') rc = parse_container(p, depth, idx);
  else if (c == '"') rc = parse_string(p, idx);
  else if (c == '-' || is_digit(c)) rc = parse_number(p, idx);
  else if (c == 't') rc = parse_literal(p, "true", VIGIL_JSON_TRUE, idx);
  else if (c == 'f') rc = parse_literal(p, "false", VIGIL_JSON_FALSE, idx);
  else if (c == 'n') rc = parse_literal(p, "null", VIGIL_JSON_NULL, idx);
  else rc = VIGIL_E_JSON;
  if (rc == VIGIL_OK) p->toks[*idx].next = (uint32_t)p->count;
  return rc;
}

int vigil_json_parse(const char *text, size_t len, vigil_jtok_t *toks, size_t cap, size_t *count) {
  parser_t p;
  size_t root;
  int rc;
  if (!text || !toks || len > 0x7fffffffu) return VIGIL_E_ARG;
  p.s = text;
  p.len = len;
  p.pos = 0;
  p.toks = toks;
  p.cap = cap;
  p.count = 0;
  skip_ws(&p);
  rc = parse_value(&p, 0, &root);
  if (rc != VIGIL_OK) return rc;
  skip_ws(&p);
  if (p.pos != len) return VIGIL_E_JSON;
  if (count) *count = p.count;
  return VIGIL_OK;
}

/* Writes code point cp as UTF-8 (1..4 bytes) at out when out is not NULL; returns its length. */
static size_t put_utf8(uint32_t cp, char *out) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xc0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    b[0] = (char)(0xf0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    n = 4;
  }
  if (out) memcpy(out, b, n);
  return n;
}

/*
 * Decodes the next unit of a STRING token starting at *pos (the token was validated by the
 * parser, so escapes are well formed). Writes its UTF-8 bytes to buf (4 bytes room) and returns
 * their count; *units receives its UTF-16 length.
 */
static size_t next_unit(const char *s, size_t *pos, char buf[4], size_t *units) {
  unsigned char c = (unsigned char)s[*pos];
  if (c != '\\') {
    size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    memcpy(buf, s + *pos, n);
    *pos += n;
    *units = n == 4 ? 2 : 1;
    return n;
  }
  {
    char e = s[*pos + 1];
    uint32_t u = 0, lo = 0;
    *units = 1;
    if (e != 'u') {
      *pos += 2;
      buf[0] = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
      return 1;
    }
    (void)hex4(s + *pos + 2, &u);
    *pos += 6;
    if (u >= 0xd800 && u <= 0xdbff) {
      (void)hex4(s + *pos + 2, &lo);
      *pos += 6;
      u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
      *units = 2;
    }
    return put_utf8(u, buf);
  }
}

int vigil_json_str(const char *text, const vigil_jtok_t *t, char *out, size_t cap, size_t *len,
                   size_t *utf16_len) {
  size_t pos, o = 0, units = 0;
  if (!t || t->type != VIGIL_JSON_STRING) return VIGIL_E_ARG;
  pos = t->start;
  while (pos < t->end) {
    char buf[4];
    size_t u, n = next_unit(text, &pos, buf, &u);
    if (out) {
      if (o + n + 1 > cap) return VIGIL_E_NOSPACE;
      memcpy(out + o, buf, n);
    }
    o += n;
    units += u;
  }
  if (out) {
    if (cap < 1) return VIGIL_E_NOSPACE;
    out[o] = '\0';
  }
  if (len) *len = o;
  if (utf16_len) *utf16_len = units;
  return VIGIL_OK;
}

int vigil_json_str_eq(const char *text, const vigil_jtok_t *t, const char *lit) {
  size_t pos, i = 0, n = strlen(lit);
  if (!t || t->type != VIGIL_JSON_STRING) return 0;
  if (!(t->flags & VIGIL_JSON_ESCAPED))
    return t->end - t->start == n && memcmp(text + t->start, lit, n) == 0;
  pos = t->start;
  while (pos < t->end) {
    char buf[4];
    size_t u, k = next_unit(text, &pos, buf, &u);
    if (i + k > n || memcmp(lit + i, buf, k) != 0) return 0;
    i += k;
  }
  return i == n;
}

int vigil_json_str_same(const char *text, const vigil_jtok_t *a, const vigil_jtok_t *b) {
  size_t pa, pb;
  if (a->type != VIGIL_JSON_STRING || b->type != VIGIL_JSON_STRING) return 0;
  pa = a->start;
  pb = b->start;
  while (pa < a->end && pb < b->end) {
    char ba[4], bb[4];
    size_t u, na = next_unit(text, &pa, ba, &u), nb = next_unit(text, &pb, bb, &u);
    if (na != nb || memcmp(ba, bb, na) != 0) return 0;
  }
  return pa == a->end && pb == b->end;
}

int vigil_json_uint(const char *text, const vigil_jtok_t *t, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  if (!t || t->type != VIGIL_JSON_NUMBER || !(t->flags & VIGIL_JSON_INT)) return VIGIL_E_ARG;
  if (t->end - t->start > 20) return VIGIL_E_ARG;
  for (i = t->start; i < t->end; i++) {
    uint64_t d = (uint64_t)(text[i] - '0');
    if (d > max || v > (max - d) / 10) return VIGIL_E_ARG;
    v = v * 10 + d;
  }
  *out = v;
  return VIGIL_OK;
}

int vigil_json_double(const char *text, const vigil_jtok_t *t, double *out) {
  char buf[65];
  size_t n;
  double v;
  if (!t || t->type != VIGIL_JSON_NUMBER) return VIGIL_E_ARG;
  n = t->end - t->start;
  if (n >= sizeof(buf)) return VIGIL_E_ARG;
  memcpy(buf, text + t->start, n);
  buf[n] = '\0';
  /* The parser already checked the RFC 8259 grammar, which strtod accepts in the C locale. */
  v = strtod(buf, NULL);
  if (!(v == v) || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) return VIGIL_E_ARG;
  *out = v;
  return VIGIL_OK;
}
