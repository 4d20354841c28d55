// Writes the app icons (PNG) with Node built-ins only: a white heart on teal.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

/** Inside the heart curve (x, y in -1.5..1.5, y up). */
const inHeart = (x, y) => (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0;

function icon(size, { maskable }) {
  const teal = [15, 92, 115];
  const white = [255, 255, 255];
  const scale = maskable ? 0.55 : 0.7; // maskable keeps the heart inside the safe zone
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      const x = ((px + 0.5) / size - 0.5) * 3 / scale;
      const y = -(((py + 0.5) / size - 0.5) * 3 / scale) + 0.15;
      const r = Math.hypot(px + 0.5 - size / 2, py + 0.5 - size / 2);
      const inside = maskable || r <= size / 2 - 0.5 || roundedSquare(px, py, size);
      const c = inHeart(x, y) ? white : teal;
      row.set([...c, inside ? 255 : 0], 1 + px * 4);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function roundedSquare(px, py, size) {
  const rad = size * 0.18;
  const cx = Math.min(Math.max(px, rad), size - rad);
  const cy = Math.min(Math.max(py, rad), size - rad);
  return Math.hypot(px - cx, py - cy) <= rad;
}

const out = new URL('../public/icons/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('icon-192.png', out), icon(192, { maskable: false }));
writeFileSync(new URL('icon-512.png', out), icon(512, { maskable: false }));
writeFileSync(new URL('maskable-512.png', out), icon(512, { maskable: true }));
writeFileSync(new URL('apple-touch-icon-180.png', out), icon(180, { maskable: true }));
console.log('icons written');
