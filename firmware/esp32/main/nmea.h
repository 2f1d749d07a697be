/*
 * A GPS fix from NMEA 0183 sentences (RMC and GGA from any talker: GP, GN, GL, GA, BD) read
 * over UART. Pure C, no ESP-IDF: tested on the host (firmware/tests/test_esp32_pure.c).
 */
#ifndef VIGIL_NMEA_H
#define VIGIL_NMEA_H

#include <stddef.h>
#include <stdint.h>

typedef struct nmea_fix {
  int valid;        /* RMC status A and GGA quality > 0 (when GGA was seen) */
  double lat, lon;  /* decimal degrees, south and west negative */
  int quality;      /* GGA fix quality, -1 before the first GGA */
  int satellites;
} nmea_fix_t;

typedef struct nmea_parser {
  char line[96]; /* NMEA 0183 sentences are at most 82 characters */
  size_t len;
  int overflow;
  nmea_fix_t fix;
} nmea_parser_t;

void nmea_init(nmea_parser_t *p);
/** Feeds received bytes; returns 1 when a sentence changed the fix. */
int nmea_feed(nmea_parser_t *p, const uint8_t *data, size_t len);
/** Parses one sentence ("$...*hh", no line end). 1 when it is a valid RMC or GGA. */
int nmea_parse_sentence(const char *s, size_t len, nmea_fix_t *fix);

#endif
