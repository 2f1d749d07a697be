/**
 * Cities on vaccine distribution corridors: EPI hubs, ports with cold stores and the towns they
 * supply. Coordinates are city centres (decimal degrees); `meanTempC` is the approximate annual
 * mean air temperature, used to drive the ambient model.
 */
import type { LatLon } from './geo.ts';

export type Region = 'europe' | 'africa' | 'south-asia' | 'southeast-asia' | 'latin-america';

/** A city a simulated truck can start from or deliver to. */
export interface City extends LatLon {
  /** Slug, unique, usable in ids: `sao-paulo`. */
  id: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  region: Region;
  meanTempC: number;
}

export const CITIES: readonly City[] = Object.freeze([
  // Europe: vaccine plants and the Schiphol / Brussels Airport pharma cargo hubs
  {
    id: 'amsterdam',
    name: 'Amsterdam',
    country: 'NL',
    region: 'europe',
    lat: 52.3676,
    lon: 4.9041,
    meanTempC: 10.5,
  },
  {
    id: 'antwerp',
    name: 'Antwerp',
    country: 'BE',
    region: 'europe',
    lat: 51.2194,
    lon: 4.4025,
    meanTempC: 10.8,
  },
  {
    id: 'brussels',
    name: 'Brussels',
    country: 'BE',
    region: 'europe',
    lat: 50.8503,
    lon: 4.3517,
    meanTempC: 10.5,
  },
  { id: 'paris', name: 'Paris', country: 'FR', region: 'europe', lat: 48.8566, lon: 2.3522, meanTempC: 12.3 },
  { id: 'lyon', name: 'Lyon', country: 'FR', region: 'europe', lat: 45.764, lon: 4.8357, meanTempC: 12.5 },
  {
    id: 'geneva',
    name: 'Geneva',
    country: 'CH',
    region: 'europe',
    lat: 46.2044,
    lon: 6.1432,
    meanTempC: 10.5,
  },
  // Africa
  {
    id: 'nairobi',
    name: 'Nairobi',
    country: 'KE',
    region: 'africa',
    lat: -1.2921,
    lon: 36.8219,
    meanTempC: 19,
  },
  {
    id: 'mombasa',
    name: 'Mombasa',
    country: 'KE',
    region: 'africa',
    lat: -4.0435,
    lon: 39.6682,
    meanTempC: 26.5,
  },
  {
    id: 'kampala',
    name: 'Kampala',
    country: 'UG',
    region: 'africa',
    lat: 0.3476,
    lon: 32.5825,
    meanTempC: 22,
  },
  { id: 'lagos', name: 'Lagos', country: 'NG', region: 'africa', lat: 6.5244, lon: 3.3792, meanTempC: 27 },
  { id: 'ibadan', name: 'Ibadan', country: 'NG', region: 'africa', lat: 7.3775, lon: 3.947, meanTempC: 26.5 },
  { id: 'accra', name: 'Accra', country: 'GH', region: 'africa', lat: 5.6037, lon: -0.187, meanTempC: 27 },
  { id: 'kumasi', name: 'Kumasi', country: 'GH', region: 'africa', lat: 6.6885, lon: -1.6244, meanTempC: 26 },
  {
    id: 'dakar',
    name: 'Dakar',
    country: 'SN',
    region: 'africa',
    lat: 14.7167,
    lon: -17.4677,
    meanTempC: 24.5,
  },
  { id: 'thies', name: 'Thiès', country: 'SN', region: 'africa', lat: 14.791, lon: -16.9359, meanTempC: 26 },
  {
    id: 'addis-ababa',
    name: 'Addis Ababa',
    country: 'ET',
    region: 'africa',
    lat: 9.03,
    lon: 38.74,
    meanTempC: 16,
  },
  { id: 'adama', name: 'Adama', country: 'ET', region: 'africa', lat: 8.54, lon: 39.27, meanTempC: 21 },
  // South Asia
  {
    id: 'mumbai',
    name: 'Mumbai',
    country: 'IN',
    region: 'south-asia',
    lat: 19.076,
    lon: 72.8777,
    meanTempC: 27.2,
  },
  {
    id: 'pune',
    name: 'Pune',
    country: 'IN',
    region: 'south-asia',
    lat: 18.5204,
    lon: 73.8567,
    meanTempC: 25,
  },
  {
    id: 'delhi',
    name: 'Delhi',
    country: 'IN',
    region: 'south-asia',
    lat: 28.6139,
    lon: 77.209,
    meanTempC: 25,
  },
  {
    id: 'jaipur',
    name: 'Jaipur',
    country: 'IN',
    region: 'south-asia',
    lat: 26.9124,
    lon: 75.7873,
    meanTempC: 25.5,
  },
  {
    id: 'dhaka',
    name: 'Dhaka',
    country: 'BD',
    region: 'south-asia',
    lat: 23.8103,
    lon: 90.4125,
    meanTempC: 26,
  },
  {
    id: 'chattogram',
    name: 'Chattogram',
    country: 'BD',
    region: 'south-asia',
    lat: 22.3569,
    lon: 91.7832,
    meanTempC: 26,
  },
  // Southeast Asia
  {
    id: 'jakarta',
    name: 'Jakarta',
    country: 'ID',
    region: 'southeast-asia',
    lat: -6.2088,
    lon: 106.8456,
    meanTempC: 27.5,
  },
  {
    id: 'bandung',
    name: 'Bandung',
    country: 'ID',
    region: 'southeast-asia',
    lat: -6.9175,
    lon: 107.6191,
    meanTempC: 23,
  },
  {
    id: 'manila',
    name: 'Manila',
    country: 'PH',
    region: 'southeast-asia',
    lat: 14.5995,
    lon: 120.9842,
    meanTempC: 28,
  },
  {
    id: 'batangas',
    name: 'Batangas',
    country: 'PH',
    region: 'southeast-asia',
    lat: 13.7565,
    lon: 121.0583,
    meanTempC: 27.5,
  },
  // Latin America
  {
    id: 'lima',
    name: 'Lima',
    country: 'PE',
    region: 'latin-america',
    lat: -12.0464,
    lon: -77.0428,
    meanTempC: 19.5,
  },
  {
    id: 'ica',
    name: 'Ica',
    country: 'PE',
    region: 'latin-america',
    lat: -14.0678,
    lon: -75.7286,
    meanTempC: 22,
  },
  {
    id: 'bogota',
    name: 'Bogotá',
    country: 'CO',
    region: 'latin-america',
    lat: 4.711,
    lon: -74.0721,
    meanTempC: 14,
  },
  {
    id: 'medellin',
    name: 'Medellín',
    country: 'CO',
    region: 'latin-america',
    lat: 6.2442,
    lon: -75.5812,
    meanTempC: 22,
  },
  {
    id: 'sao-paulo',
    name: 'São Paulo',
    country: 'BR',
    region: 'latin-america',
    lat: -23.5505,
    lon: -46.6333,
    meanTempC: 19.5,
  },
  {
    id: 'campinas',
    name: 'Campinas',
    country: 'BR',
    region: 'latin-america',
    lat: -22.9099,
    lon: -47.0626,
    meanTempC: 21.5,
  },
  {
    id: 'rio-de-janeiro',
    name: 'Rio de Janeiro',
    country: 'BR',
    region: 'latin-america',
    lat: -22.9068,
    lon: -43.1729,
    meanTempC: 24,
  },
] satisfies City[]);

const BY_ID = new Map(CITIES.map((c) => [c.id, c]));

/** The city with this slug, or undefined. */
export function findCity(id: string): City | undefined {
  return BY_ID.get(id);
}
