#include "display.h"

#include <stdio.h>
#include <string.h>

#include "esp_log.h"
#include "qrcode.h"
#include "sdkconfig.h"

#if CONFIG_VIGIL_DISPLAY_SSD1306
#include "esp_lcd_panel_io.h"
#include "esp_lcd_panel_ops.h"
#include "esp_lcd_panel_ssd1306.h"

#define W 128
#define H 64
static esp_lcd_panel_handle_t panel;
/* SSD1306 memory layout: 8 pages of 128 columns, one byte = 8 vertical pixels, LSB on top */
static uint8_t fb[W * H / 8];

static void set_px(int x, int y) {
  if (x >= 0 && x < W && y >= 0 && y < H) fb[x + (y / 8) * W] |= (uint8_t)(1u << (y % 8));
}

static void draw_qr(esp_qrcode_handle_t qr) {
  int size = esp_qrcode_get_size(qr), scale = H / (size + 2), x, y, dx, dy;
  int ox = (W - size * scale) / 2, oy = (H - size * scale) / 2;
  memset(fb, 0, sizeof(fb));
  /* dark modules on a lit background, with the quiet zone lit too */
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++) set_px(x, y);
  for (y = 0; y < size; y++)
    for (x = 0; x < size; x++)
      if (esp_qrcode_get_module(qr, x, y))
        for (dy = 0; dy < scale; dy++)
          for (dx = 0; dx < scale; dx++) {
            int px = ox + x * scale + dx, py = oy + y * scale + dy;
            fb[px + (py / 8) * W] &= (uint8_t) ~(1u << (py % 8));
          }
  esp_lcd_panel_draw_bitmap(panel, 0, 0, W, H, fb);
}
#endif

esp_err_t display_init(i2c_master_bus_handle_t bus) {
#if CONFIG_VIGIL_DISPLAY_SSD1306
  esp_lcd_panel_io_handle_t io;
  esp_lcd_panel_io_i2c_config_t io_cfg = {
      .dev_addr = 0x3c, .control_phase_bytes = 1, .dc_bit_offset = 6, .lcd_cmd_bits = 8, .lcd_param_bits = 8,
      .scl_speed_hz = 400000};
  esp_lcd_panel_dev_config_t panel_cfg = {.bits_per_pixel = 1, .reset_gpio_num = -1};
  esp_err_t err = esp_lcd_new_panel_io_i2c(bus, &io_cfg, &io);
  if (err == ESP_OK) err = esp_lcd_new_panel_ssd1306(io, &panel_cfg, &panel);
  if (err == ESP_OK) err = esp_lcd_panel_reset(panel);
  if (err == ESP_OK) err = esp_lcd_panel_init(panel);
  if (err == ESP_OK) err = esp_lcd_panel_disp_on_off(panel, true);
  return err;
#else
  (void)bus;
  return ESP_OK;
#endif
}

void display_token(const char *batch, const char *token) {
  esp_qrcode_config_t cfg = ESP_QRCODE_CONFIG_DEFAULT();
#if CONFIG_VIGIL_DISPLAY_SSD1306
  cfg.display_func = draw_qr;
  cfg.max_qrcode_version = 3; /* 29 modules: scale 2 on 64 rows */
#endif
  /* the console is the display of a board without one: printf, not the log */
  printf("\nDISPATCH batch %s\ndelivery token: %s\n", batch, token);
  esp_qrcode_generate(&cfg, token);
}
