/** Small stroke icons (24-unit grid, drawn at 16 px), always next to a text label. */
import { s } from '../dom.ts';

const PATHS: Record<string, string> = {
  plug: 'M9 2v6M15 2v6M6 8h12v4a6 6 0 0 1-12 0zM12 18v4',
  battery: 'M3 7h15v10H3zM21 10v4',
  bolt: 'M13 2 4 14h7l-1 8 9-12h-7z',
  alert: 'M12 3 2 21h20zM12 10v5M12 18v.5',
  check: 'M4 12l5 5L20 6',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 3',
  pin: 'M12 22s7-7.2 7-12.5A7 7 0 0 0 5 9.5C5 14.8 12 22 12 22zM12 7a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
  truck:
    'M2 6h11v10H2zM13 10h5l3 3v3h-8zM6 19a2 2 0 1 0 0-4 2 2 0 0 0 0 4zM17 19a2 2 0 1 0 0-4 2 2 0 0 0 0 4z',
  heart: 'M12 20s-7-4.4-9-9a5 5 0 0 1 9-3 5 5 0 0 1 9 3c-2 4.6-9 9-9 9z',
  thermo: 'M10 4a2 2 0 0 1 4 0v10a4 4 0 1 1-4 0zM12 9v7',
  signal: 'M4 20v-3M9 20v-7M14 20v-11M19 20V5',
  power: 'M12 3v9M6.3 7a8 8 0 1 0 11.4 0',
  shield: 'M12 3l8 3v6c0 5-3.4 8.6-8 10-4.6-1.4-8-5-8-10V6z',
  copy: 'M8 8h12v12H8zM4 16V4h12',
  download: 'M12 3v12M7 10l5 5 5-5M4 21h16',
  plus: 'M12 5v14M5 12h14',
  x: 'M6 6l12 12M18 6 6 18',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7',
  menu: 'M4 7h16M4 12h16M4 17h16',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0',
};

/** An icon by name; `aria-hidden` since a text label always accompanies it. */
export function icon(name: keyof typeof PATHS | string, cls = 'icon'): SVGSVGElement {
  return s(
    'svg',
    {
      class: cls,
      viewBox: '0 0 24 24',
      width: 16,
      height: 16,
      'aria-hidden': 'true',
      focusable: 'false',
    },
    s('path', { d: PATHS[name] ?? PATHS.alert ?? '' }),
  );
}

/** The Vigil mark: a shield with a snowflake (cold chain). */
export function logo(): SVGSVGElement {
  return s(
    'svg',
    { class: 'logo', viewBox: '0 0 32 32', width: 28, height: 28, 'aria-hidden': 'true' },
    s('rect', { width: 32, height: 32, rx: 7, class: 'logo-bg' }),
    s('path', { d: 'M16 5l9 3.5v7c0 5.6-3.8 10-9 11.5-5.2-1.5-9-5.9-9-11.5v-7z', class: 'logo-shield' }),
    s('path', { d: 'M16 10v12M11 13l10 6M21 13l-10 6', class: 'logo-flake' }),
  );
}
