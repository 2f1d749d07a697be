#include "dht22.h"

#include "driver/gpio.h"
#include "esp_rom_sys.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sensor_math.h"

static portMUX_TYPE mux = portMUX_INITIALIZER_UNLOCKED;

/* Microseconds the line stays at `level`, or -1 after timeout_us. */
static int level_time(int gpio, int level, int timeout_us) {
  int64_t start = esp_timer_get_time();
  while (gpio_get_level(gpio) == level) {
    if (esp_timer_get_time() - start > timeout_us) return -1;
  }
  return (int)(esp_timer_get_time() - start);
}

esp_err_t dht22_read(int gpio, double *temp_c, double *rh_pct) {
  uint8_t frame[5] = {0};
  int i, ok = 1;
  /* AM2302 datasheet: host pulls low >= 1 ms, releases; sensor answers 80 us low, 80 us high,
   * then 40 bits: 50 us low, then 26-28 us high for 0 or 70 us high for 1 */
  gpio_set_direction(gpio, GPIO_MODE_OUTPUT_OD);
  gpio_set_level(gpio, 0);
  esp_rom_delay_us(1200);
  gpio_set_level(gpio, 1);
  gpio_set_direction(gpio, GPIO_MODE_INPUT);
  gpio_set_pull_mode(gpio, GPIO_PULLUP_ONLY);
  portENTER_CRITICAL(&mux);
  if (level_time(gpio, 1, 60) < 0 || level_time(gpio, 0, 100) < 0 || level_time(gpio, 1, 100) < 0) ok = 0;
  for (i = 0; ok && i < 40; i++) {
    int high;
    if (level_time(gpio, 0, 80) < 0 || (high = level_time(gpio, 1, 100)) < 0) {
      ok = 0;
      break;
    }
    if (high > 45) frame[i / 8] |= (uint8_t)(0x80 >> (i % 8));
  }
  portEXIT_CRITICAL(&mux);
  if (!ok) return ESP_ERR_TIMEOUT;
  return dht22_decode(frame, temp_c, rh_pct) ? ESP_OK : ESP_ERR_INVALID_CRC;
}
