#include "nmea.h"

#include <string.h>

void nmea_init(nmea_parser_t *p) {
  memset(p, 0, sizeof(*p));
  p->fix.quality = -1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Field i (0 = the sentence type) of a comma-separated sentence body, as [start, end). */
static int field(const char *s, size_t len, int i, size_t *start, size_t *end) {
  size_t pos = 0;
  int k = 0;
  while (k < i) {
    while (pos < len && s[pos] != ',') pos++;
    if (pos >= len) return 0;
    pos++;
    k++;
  }
  *start = pos;
  while (pos < len && s[pos] != ',') pos++;
  *end = pos;
  return 1;
}

/* Decimal text to double without strtod (no locale, no libm): digits with one optional point. */
static int decimal(const char *s, size_t n, double *out) {
  double v = 0, scale = 1;
  int point = 0, digits = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    if (s[i] == '.' && !point) {
      point = 1;
    } else if (s[i] >= '0' && s[i] <= '9') {
      if (point) {
        scale /= 10;
        v += (s[i] - '0') * scale;
      } else {
        v = v * 10 + (s[i] - '0');
      }
      digits++;
    } else {
      return 0;
    }
  }
  *out = v;
  return digits > 0;
}

/* ddmm.mmmm (deg_digits = 2) or dddmm.mmmm (3) plus hemisphere to signed decimal degrees */
static int coordinate(const char *s, size_t n, int deg_digits, char hemi, double *out) {
  double deg, min;
  if (n < (size_t)deg_digits + 2 || !decimal(s, (size_t)deg_digits, &deg) ||
      !decimal(s + deg_digits, n - (size_t)deg_digits, &min) || min >= 60)
    return 0;
  *out = deg + min / 60.0;
  if (hemi == 'S' || hemi == 'W') *out = -*out;
  else if (hemi != 'N' && hemi != 'E') return 0;
  return 1;
}

int nmea_parse_sentence(const char *s, size_t len, nmea_fix_t *fix) {
  size_t star, a, b, c, d;
  unsigned sum = 0;
  const char *body;
  double lat, lon;
  if (len < 10 || s[0] != '$') return 0;
  for (star = 1; star < len && s[star] != '*'; star++) sum ^= (unsigned char)s[star];
  /* NMEA 0183: the checksum is the XOR of the characters between '$' and '*' */
  if (star + 3 != len || hexval(s[star + 1]) < 0 || hexval(s[star + 2]) < 0 ||
      (unsigned)(hexval(s[star + 1]) * 16 + hexval(s[star + 2])) != sum)
    return 0;
  body = s + 1;
  len = star - 1;
  if (len < 5) return 0;
  if (memcmp(body + 2, "RMC", 3) == 0) {
    /* $xxRMC,time,status,lat,N/S,lon,E/W,... */
    if (!field(body, len, 2, &a, &b)) return 0;
    if (b - a != 1 || body[a] != 'A') {
      fix->valid = 0;
      return 1;
    }
    if (!field(body, len, 3, &a, &b) || !field(body, len, 4, &c, &d) || d - c != 1 ||
        !coordinate(body + a, b - a, 2, body[c], &lat))
      return 0;
    if (!field(body, len, 5, &a, &b) || !field(body, len, 6, &c, &d) || d - c != 1 ||
        !coordinate(body + a, b - a, 3, body[c], &lon))
      return 0;
    fix->lat = lat;
    fix->lon = lon;
    fix->valid = fix->quality != 0;
    return 1;
  }
  if (memcmp(body + 2, "GGA", 3) == 0) {
    /* $xxGGA,time,lat,N/S,lon,E/W,quality,satellites,... */
    double q, sats = 0;
    if (!field(body, len, 6, &a, &b) || !decimal(body + a, b - a, &q)) return 0;
    if (field(body, len, 7, &c, &d) && d > c) (void)decimal(body + c, d - c, &sats);
    fix->quality = (int)q;
    fix->satellites = (int)sats;
    if (fix->quality == 0) fix->valid = 0;
    return 1;
  }
  return 0;
}

int nmea_feed(nmea_parser_t *p, const uint8_t *data, size_t len) {
  int changed = 0;
  size_t i;
  for (i = 0; i < len; i++) {
    char ch = (char)data[i];
    if (ch == '$') {
      p->len = 0;
      p->overflow = 0;
    }
    if (ch == '\r' || ch == '\n') {
      if (p->len > 0 && !p->overflow) changed |= nmea_parse_sentence(p->line, p->len, &p->fix);
      p->len = 0;
      continue;
    }
    if (p->len < sizeof(p->line)) p->line[p->len++] = ch;
    else p->overflow = 1;
  }
  return changed;
}
