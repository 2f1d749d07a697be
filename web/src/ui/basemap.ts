import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import atlasUrl from 'world-atlas/countries-50m.json?url';

/** The offline basemap: country shapes and the borders between them (world-atlas, bundled). */
export interface Basemap {
  land: GeoJSON.FeatureCollection;
  borders: GeoJSON.MultiLineString;
}

let basemap: Promise<Basemap> | null = null;

/** Loads the bundled world-atlas once per page; a failed load is retried on the next call. */
export function loadBasemap(): Promise<Basemap> {
  basemap ??= fetch(atlasUrl, { credentials: 'same-origin' })
    .then((r) => {
      if (!r.ok) throw new Error(`basemap ${r.status}`);
      return r.json() as Promise<Topology<{ countries: GeometryCollection }>>;
    })
    .then((topo) => ({
      land: feature(topo, topo.objects.countries) as GeoJSON.FeatureCollection,
      borders: mesh(topo, topo.objects.countries, (a, b) => a !== b),
    }))
    .catch((err) => {
      basemap = null;
      throw err;
    });
  return basemap;
}
