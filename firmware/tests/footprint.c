/* Prints the static RAM the core needs for one device with the limits it was compiled with
 * (firmware/footprint.sh compiles it with the host and the ESP32 limits). */
#include <stdio.h>

#include "vigil/device.h"

int main(void) {
  vigil_device_t d;
  printf("vigil_device_t %zu\n", sizeof(vigil_device_t));
  printf("  inflight envelopes %zu (%d x %zu)\n", sizeof(d.inflight), VIGIL_MAX_INFLIGHT, sizeof(d.inflight[0]));
  printf("  body being sealed %zu\n", sizeof(d.body));
  printf("  downlink work buffer %zu\n", sizeof(d.dl_work));
  printf("  json tokens %zu\n", sizeof(d.toks));
  printf("  downlink replay window %zu\n", sizeof(d.downlink));
  printf("  keys (mbedTLS contexts) %zu\n", sizeof(d.keys));
  printf("  command history %zu\n", sizeof(d.cmds));
  return 0;
}
