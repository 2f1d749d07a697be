#include "bytes.h"

uint32_t vigil_crc32(uint32_t crc, const uint8_t *p, size_t n) {
  /* Bitwise: no 1 KiB table in flash; the records it protects are small. */
  crc = ~crc;
  while (n--) {
    int k;
    crc ^= *p++;
    for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}
