// Image files written at test time with sharp (nothing binary is committed): solid colours and
// vertical bands in each format, image folders by layout, truncated files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp, { type Sharp } from 'sharp';

export type Rgb = readonly [number, number, number];

/** The format follows the extension: .jpg, .png, .webp, .gif, .tif/.tiff. */
function encode(img: Sharp, file: string): Sharp {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return img.jpeg({ quality: 95 });
  if (ext === '.png') return img.png();
  if (ext === '.webp') return img.webp({ lossless: true });
  if (ext === '.gif') return img.gif();
  if (ext === '.tif' || ext === '.tiff') return img.tiff();
  throw new Error(`no encoder for ${file}`);
}

/** A solid-colour image (grey: one channel) of width x height. */
export async function writeSolid(file: string, width: number, height: number, colour: Rgb | number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const grey = typeof colour === 'number';
  const channels = grey ? 1 : 3;
  const data = Buffer.alloc(width * height * channels);
  for (let k = 0; k < width * height; k++) {
    if (grey) data[k] = colour;
    else for (let c = 0; c < 3; c++) data[3 * k + c] = colour[c]!;
  }
  let img = sharp(data, { raw: { width, height, channels } });
  if (grey) img = img.toColourspace('b-w');
  await encode(img, file).toFile(file);
}

/** Vertical bands of equal width, left to right, as a lossless PNG. */
export async function writeBands(file: string, bandWidth: number, height: number, colours: Rgb[]): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const width = bandWidth * colours.length;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) data[3 * (y * width + x) + c] = colours[Math.floor(x / bandWidth)]![c]!;
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

export const RED: Rgb = [220, 20, 20];
export const GREEN: Rgb = [20, 200, 20];
export const BLUE: Rgb = [20, 20, 220];

/**
 * A folder of `perClass` solid images per class under root/<prefix><class>/, class k in colour
 * k, in the formats given in turn (sizes vary, so that resizing is exercised).
 */
export async function writeClassFolders(
  root: string,
  classes: Record<string, Rgb | number>,
  perClass: number,
  formats: string[] = ['png'],
): Promise<void> {
  for (const [name, colour] of Object.entries(classes)) {
    for (let i = 0; i < perClass; i++) {
      const ext = formats[i % formats.length]!;
      await writeSolid(path.join(root, name, `${i}.${ext}`), 20 + 3 * i, 16 + 2 * (i % 3), colour);
    }
  }
}

/** Cuts a file to `keep` of its bytes (a truncated download). */
export function truncate(file: string, keep = 0.5): void {
  const b = fs.readFileSync(file);
  fs.writeFileSync(file, b.subarray(0, Math.floor(b.length * keep)));
}
