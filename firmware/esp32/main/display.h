/*
 * Shows the delivery token of a dispatch (docs/protocol.md §7.2) to the person at the logger:
 * as a QR code on an SSD1306 display when the board has one (CONFIG_VIGIL_DISPLAY_SSD1306),
 * otherwise as a QR code and text on the serial console. Never written to the log.
 */
#ifndef VIGIL_ESP32_DISPLAY_H
#define VIGIL_ESP32_DISPLAY_H

#include "driver/i2c_master.h"
#include "esp_err.h"

esp_err_t display_init(i2c_master_bus_handle_t bus);
void display_token(const char *batch, const char *token);

#endif
