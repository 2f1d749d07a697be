#include "sensors.h"

#include <stdlib.h>
#include <string.h>

#include "dht22.h"
#include "driver/gpio.h"
#include "driver/uart.h"
#include "esp_attr.h"
#include "esp_adc/adc_cali_scheme.h"
#include "esp_log.h"
#include "freertos/task.h"
#include "app_events.h"
#include "sdkconfig.h"
#include "sensor_math.h"

static const char *TAG = "vigil.sensors";
#define GPS_UART UART_NUM_1
#define SHT31_ADDR 0x44

static QueueHandle_t input_events;

static void IRAM_ATTR on_gpio(void *arg) {
  app_event_t ev = {(app_event_kind_t)(intptr_t)arg, 0};
  BaseType_t woken = pdFALSE;
  xQueueSendFromISR(input_events, &ev, &woken);
  if (woken) portYIELD_FROM_ISR();
}

static void input_pin(int gpio, gpio_int_type_t edge, int pullup, app_event_kind_t kind) {
  gpio_config_t c = {
      .pin_bit_mask = 1ull << gpio,
      .mode = GPIO_MODE_INPUT,
      .pull_up_en = pullup ? GPIO_PULLUP_ENABLE : GPIO_PULLUP_DISABLE,
      .pull_down_en = GPIO_PULLDOWN_DISABLE,
      .intr_type = edge,
  };
  gpio_config(&c);
  gpio_isr_handler_add(gpio, on_gpio, (void *)(intptr_t)kind);
}

int sensors_door_open(void) {
#if CONFIG_VIGIL_DOOR_GPIO >= 0
  return gpio_get_level(CONFIG_VIGIL_DOOR_GPIO) == 1; /* reed to ground: closed pulls low */
#else
  return 0;
#endif
}

int sensors_mains_present(void) {
#if CONFIG_VIGIL_MAINS_GPIO >= 0
  return gpio_get_level(CONFIG_VIGIL_MAINS_GPIO) == 1;
#else
  return 0;
#endif
}

i2c_master_bus_handle_t sensors_i2c(sensors_t *s) { return s->bus; }

esp_err_t sensors_init(sensors_t *s, vigil_profile_t profile, QueueHandle_t events) {
  i2c_master_bus_config_t bus = {
      .i2c_port = I2C_NUM_0,
      .sda_io_num = CONFIG_VIGIL_I2C_SDA,
      .scl_io_num = CONFIG_VIGIL_I2C_SCL,
      .clk_source = I2C_CLK_SRC_DEFAULT,
      .glitch_ignore_cnt = 7,
      .flags.enable_internal_pullup = true,
  };
  adc_oneshot_unit_init_cfg_t unit = {.unit_id = ADC_UNIT_1};
  adc_oneshot_chan_cfg_t chan = {.atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
  esp_err_t err;
  memset(s, 0, sizeof(*s));
  s->profile = profile;
  s->events = events;
  input_events = events;
  if (profile == VIGIL_PROFILE_PATIENT_VITALS) {
    ESP_LOGE(TAG, "patient-vitals needs a vitals front end this firmware does not drive");
    return ESP_ERR_NOT_SUPPORTED;
  }
  nmea_init(&s->gps);
  s->last_lat = strtod(CONFIG_VIGIL_DEPOT_LAT, NULL);
  s->last_lon = strtod(CONFIG_VIGIL_DEPOT_LON, NULL);
  if ((err = i2c_new_master_bus(&bus, &s->bus)) != ESP_OK) return err;
#if CONFIG_VIGIL_SENSOR_SHT31
  {
    i2c_device_config_t dev = {
        .dev_addr_length = I2C_ADDR_BIT_LEN_7, .device_address = SHT31_ADDR, .scl_speed_hz = 100000};
    if ((err = i2c_master_bus_add_device(s->bus, &dev, &s->sht31)) != ESP_OK) return err;
  }
#endif
#if CONFIG_VIGIL_GPS
  {
    uart_config_t u = {
        .baud_rate = CONFIG_VIGIL_GPS_BAUD,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    if ((err = uart_driver_install(GPS_UART, 1024, 0, 0, NULL, 0)) != ESP_OK) return err;
    uart_param_config(GPS_UART, &u);
    uart_set_pin(GPS_UART, CONFIG_VIGIL_GPS_UART_TX, CONFIG_VIGIL_GPS_UART_RX, UART_PIN_NO_CHANGE,
                 UART_PIN_NO_CHANGE);
  }
#endif
  if ((err = adc_oneshot_new_unit(&unit, &s->adc)) != ESP_OK) return err;
  if ((err = adc_oneshot_config_channel(s->adc, (adc_channel_t)CONFIG_VIGIL_BATTERY_ADC_CHANNEL, &chan)) != ESP_OK)
    return err;
#if ADC_CALI_SCHEME_CURVE_FITTING_SUPPORTED
  {
    adc_cali_curve_fitting_config_t c = {
        .unit_id = ADC_UNIT_1, .chan = (adc_channel_t)CONFIG_VIGIL_BATTERY_ADC_CHANNEL,
        .atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
    s->cali_ok = adc_cali_create_scheme_curve_fitting(&c, &s->cali) == ESP_OK;
  }
#elif ADC_CALI_SCHEME_LINE_FITTING_SUPPORTED
  {
    adc_cali_line_fitting_config_t c = {.unit_id = ADC_UNIT_1, .atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
    s->cali_ok = adc_cali_create_scheme_line_fitting(&c, &s->cali) == ESP_OK;
  }
#endif
  gpio_install_isr_service(0);
#if CONFIG_VIGIL_DOOR_GPIO >= 0
  input_pin(CONFIG_VIGIL_DOOR_GPIO, GPIO_INTR_ANYEDGE, 1, EV_INPUT_DOOR);
#endif
#if CONFIG_VIGIL_MAINS_GPIO >= 0
  input_pin(CONFIG_VIGIL_MAINS_GPIO, GPIO_INTR_ANYEDGE, 0, EV_INPUT_MAINS);
#endif
#if CONFIG_VIGIL_DISPATCH_GPIO >= 0
  input_pin(CONFIG_VIGIL_DISPATCH_GPIO, GPIO_INTR_NEGEDGE, 1, EV_INPUT_DISPATCH);
#endif
  return ESP_OK;
}

void sensors_poll_gps(sensors_t *s) {
#if CONFIG_VIGIL_GPS
  uint8_t buf[128];
  int n;
  while ((n = uart_read_bytes(GPS_UART, buf, sizeof(buf), 0)) > 0) {
    if (nmea_feed(&s->gps, buf, (size_t)n) && s->gps.fix.valid) {
      s->last_lat = s->gps.fix.lat;
      s->last_lon = s->gps.fix.lon;
    }
  }
#else
  (void)s;
#endif
}

static esp_err_t read_climate(sensors_t *s, double *t, double *rh) {
#if CONFIG_VIGIL_SENSOR_SHT31
  /* SHT3x datasheet §4.3: single shot, high repeatability, no clock stretching (0x2400) */
  static const uint8_t cmd[2] = {0x24, 0x00};
  uint8_t raw[6];
  esp_err_t err = i2c_master_transmit(s->sht31, cmd, sizeof(cmd), 50);
  if (err != ESP_OK) return err;
  vTaskDelay(pdMS_TO_TICKS(20));
  if ((err = i2c_master_receive(s->sht31, raw, sizeof(raw), 50)) != ESP_OK) return err;
  return sht31_convert(raw, t, rh) ? ESP_OK : ESP_ERR_INVALID_CRC;
#else
  (void)s;
  return dht22_read(CONFIG_VIGIL_DHT22_GPIO, t, rh);
#endif
}

esp_err_t sensors_read(sensors_t *s, uint64_t ts, int rssi_dbm, vigil_sample_t *out) {
  double t, rh;
  int raw = 0, mv = 0;
  esp_err_t err = read_climate(s, &t, &rh);
  if (err != ESP_OK) {
    ESP_LOGE(TAG, "temperature sensor: %s", esp_err_to_name(err));
    return err; /* no reading rather than a made-up one */
  }
  memset(out, 0, sizeof(*out));
  out->ts = ts;
  out->temp_c = t;
  /* capacitive sensors report slightly above 100 %RH when saturated */
  out->rh_pct = rh < 0 ? 0 : rh > 100 ? 100 : rh;
  if (adc_oneshot_read(s->adc, (adc_channel_t)CONFIG_VIGIL_BATTERY_ADC_CHANNEL, &raw) == ESP_OK) {
    if (s->cali_ok) adc_cali_raw_to_voltage(s->cali, raw, &mv);
    else mv = raw * 3300 / 4095;
  }
  out->bat_pct = battery_percent((uint32_t)(mv * CONFIG_VIGIL_BATTERY_DIVIDER_X100 / 100));
  out->power = sensors_mains_present() ? VIGIL_POWER_MAINS : VIGIL_POWER_BATTERY;
  out->door_open = sensors_door_open();
  out->lat = s->last_lat;
  out->lon = s->last_lon;
  out->rssi_dbm = rssi_dbm;
  if (s->profile == VIGIL_PROFILE_VACCINE_TRANSPORT) {
    /* lat/lon are required: the last fix, or the configured depot before the first one */
    out->present = VIGIL_F_TEMP_C | VIGIL_F_RH_PCT | VIGIL_F_LAT | VIGIL_F_LON | VIGIL_F_BAT_PCT | VIGIL_F_POWER;
    if (CONFIG_VIGIL_DOOR_GPIO >= 0) out->present |= VIGIL_F_DOOR;
  } else {
    out->present = VIGIL_F_TEMP_C | VIGIL_F_RH_PCT | VIGIL_F_BAT_PCT | VIGIL_F_POWER;
  }
  if (rssi_dbm < 0 && rssi_dbm >= -150) out->present |= VIGIL_F_RSSI_DBM;
  return ESP_OK;
}
