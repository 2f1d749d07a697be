/* The ESP32 application's hardware-free parts, on the host: NMEA parsing, SHT31 and DHT22
 * frames, battery curve (firmware/esp32/main/nmea.c, sensor_math.c). */
#include <math.h>
#include <string.h>

#include "nmea.h"
#include "sensor_math.h"
#include "testkit.h"

static int near(double a, double b, double eps) { return fabs(a - b) < eps; }

static void test_nmea(void) {
  nmea_parser_t p;
  nmea_fix_t f;
  const char *stream =
      "garbage\r\n$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
      "$GNGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*59\r\n";
  nmea_init(&p);
  CHECK(nmea_feed(&p, (const uint8_t *)stream, strlen(stream)) == 1, "a fix from the stream");
  CHECK(p.fix.valid && near(p.fix.lat, 48.1173, 1e-4) && near(p.fix.lon, 11.516667, 1e-5), "Munich %f %f",
        p.fix.lat, p.fix.lon);
  CHECK(p.fix.quality == 1 && p.fix.satellites == 8, "GGA quality and satellites");
  memset(&f, 0, sizeof(f));
  f.quality = -1;
  CHECK(nmea_parse_sentence("$GNRMC,101010.00,A,3351.123,S,15112.500,W,0.0,0.0,010125,,,A*4E", strlen("$GNRMC,101010.00,A,3351.123,S,15112.500,W,0.0,0.0,010125,,,A*4E"), &f) == 1 &&
            f.valid && near(f.lat, -33.85205, 1e-5) && near(f.lon, -151.208333, 1e-5),
        "south and west are negative");
  CHECK(nmea_parse_sentence("$GPRMC,123519,V,,,,,,,230394,,*33", strlen("$GPRMC,123519,V,,,,,,,230394,,*33"), &f) == 1 && !f.valid, "status V: no fix");
  CHECK(nmea_parse_sentence("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B", strlen("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B"), &f) == 0,
        "a wrong checksum is ignored");
  CHECK(nmea_parse_sentence("$GPGGA,123519,,,,,0,00,,,M,,M,,*6B", strlen("$GPGGA,123519,,,,,0,00,,,M,,M,,*6B"), &f) == 1 && !f.valid && f.quality == 0,
        "GGA quality 0: no fix");
  {
    char longline[200];
    memset(longline, 'A', sizeof(longline));
    longline[0] = '$';
    nmea_init(&p);
    CHECK(nmea_feed(&p, (const uint8_t *)longline, sizeof(longline)) == 0 && !p.fix.valid, "overlong line");
  }
}

static void test_sensor_frames(void) {
  const uint8_t beef[2] = {0xbe, 0xef};
  uint8_t sht[6] = {0x66, 0x66, 0, 0x80, 0x00, 0};
  uint8_t dht[5] = {0x02, 0x8c, 0x01, 0x5f, 0};
  double t, rh;
  CHECK(sht31_crc8(beef, 2) == 0x92, "datasheet example 0xBEEF -> 0x92");
  sht[2] = sht31_crc8(sht, 2);
  sht[5] = sht31_crc8(sht + 3, 2);
  CHECK(sht31_convert(sht, &t, &rh) && near(t, 25.0, 0.01) && near(rh, 50.0, 0.01), "SHT31 %f %f", t, rh);
  sht[5] ^= 1;
  CHECK(!sht31_convert(sht, &t, &rh), "SHT31 CRC failure");
  dht[4] = (uint8_t)(dht[0] + dht[1] + dht[2] + dht[3]);
  CHECK(dht22_decode(dht, &t, &rh) && near(rh, 65.2, 1e-9) && near(t, 35.1, 1e-9), "DHT22 datasheet frame");
  dht[2] |= 0x80;
  dht[4] = (uint8_t)(dht[0] + dht[1] + dht[2] + dht[3]);
  CHECK(dht22_decode(dht, &t, &rh) && near(t, -35.1, 1e-9), "DHT22 negative");
  dht[4] ^= 1;
  CHECK(!dht22_decode(dht, &t, &rh), "DHT22 checksum");
  CHECK(battery_percent(2900) == 0 && battery_percent(4300) == 100 && near(battery_percent(3800), 50, 1e-9) &&
            near(battery_percent(3825), 55, 1e-9),
        "battery curve");
}

int main(void) {
  test_nmea();
  test_sensor_frames();
  return tk_done("test_esp32_pure");
}
