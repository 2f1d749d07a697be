import qrcode from 'qrcode-generator';

/**
 * An SVG QR code (ISO/IEC 18004, error correction M, byte mode) of `text`, for authenticator apps
 * to scan the otpauth URI. The markup is built here from the module matrix, not taken from the
 * library: one `<rect>` and one `<path>` with presentation attributes only, so it holds no script,
 * no style, no link and no external reference, and renders under the dashboard's CSP.
 */
export function qrSvg(text: string, opts: { moduleSize?: number; margin?: number } = {}): string {
  const moduleSize = opts.moduleSize ?? 4;
  // ISO/IEC 18004 §6.3.8: a quiet zone of 4 modules.
  const margin = opts.margin ?? 4;
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const size = n + 2 * margin;
  let d = '';
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (qr.isDark(row, col)) d += `M${col + margin} ${row + margin}h1v1h-1z`;
    }
  }
  const px = size * moduleSize;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${px}" height="${px}" ` +
    `shape-rendering="crispEdges" role="img" aria-label="QR code for the authenticator app">` +
    `<rect width="${size}" height="${size}" fill="#ffffff"/><path fill="#000000" d="${d}"/></svg>`
  );
}
