/**
 * Outside air around a vehicle or building: annual mean plus a season and a day cycle in local
 * solar time, derived from the position and the timestamp only (no weather data).
 */
import { clamp } from './dynamics.ts';

/** Outdoor conditions at one place and instant. */
export interface Ambient {
  tempC: number;
  /** Extra heating of a sunlit vehicle body over air temperature (0 at night). */
  sunLoadC: number;
  rhPct: number;
}

const DAY_MS = 86_400_000;
const YEAR_DAYS = 365.2425;

export function ambientAt(meanTempC: number, lat: number, lon: number, ts: number): Ambient {
  const solarHour = (((ts / 3_600_000 + lon / 15) % 24) + 24) % 24;
  const dayOfYear = (((ts / DAY_MS) % YEAR_DAYS) + YEAR_DAYS) % YEAR_DAYS;
  // warmest around 19 July in the north, 17 January in the south; the tropics barely have seasons
  const peakDay = lat >= 0 ? 200 : 17;
  const seasonal =
    Math.min(9, 0.16 * Math.abs(lat)) * Math.cos((2 * Math.PI * (dayOfYear - peakDay)) / YEAR_DAYS);
  // air is warmest mid-afternoon, around 15:00 solar time
  const daily = Math.cos((2 * Math.PI * (solarHour - 15)) / 24);
  const tempC = meanTempC + seasonal + 4.5 * daily;
  const sunLoadC = solarHour > 6 && solarHour < 18 ? 6 * Math.sin((Math.PI * (solarHour - 6)) / 12) : 0;
  const rhPct = clamp(65 - 15 * daily, 20, 100);
  return { tempC, sunLoadC, rhPct };
}
