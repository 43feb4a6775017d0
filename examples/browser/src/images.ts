/** Image helpers of the page: files to 8-bit RGB, pixels to canvases, the sample images. */
import type { MaskPixels, Pixels } from './pixels.js';

/** Decodes an image file (any format the browser reads) to 8-bit RGB pixels. */
export async function decodeFile(file: Blob): Promise<Pixels> {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return fromRgba(ctx.getImageData(0, 0, canvas.width, canvas.height));
}

/**
 * Decodes a mask image (any format the browser reads) to levels 0–255 at `width × height`: its
 * luminance, stretched to fill that size (white where the style applies).
 */
export async function decodeMaskFile(file: Blob, width: number, height: number): Promise<MaskPixels> {
  const bitmap = await createImageBitmap(file, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const img = ctx.getImageData(0, 0, width, height);
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 0; j < data.length; i += 4, j++)
    data[j] = Math.round(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]);
  return { width, height, data };
}

/** An image bitmap's pixels as 8-bit RGB (closes the bitmap). */
export function bitmapToPixels(bitmap: ImageBitmap): Pixels {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return fromRgba(ctx.getImageData(0, 0, canvas.width, canvas.height));
}

/** A result 0–255 `[H, W, 3]` (float) as RGBA bytes for `putImageData`. */
export function toRgba(output: Float32Array, width: number, height: number): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; j < output.length; i += 4, j += 3) {
    rgba[i] = Math.round(output[j]);
    rgba[i + 1] = Math.round(output[j + 1]);
    rgba[i + 2] = Math.round(output[j + 2]);
    rgba[i + 3] = 255;
  }
  return rgba;
}

function fromRgba(img: ImageData): Pixels {
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < img.data.length; i += 4, j += 3) {
    data[j] = img.data[i];
    data[j + 1] = img.data[i + 1];
    data[j + 2] = img.data[i + 2];
  }
  return { width: img.width, height: img.height, data };
}

/** Draws 8-bit RGB pixels on a canvas (resizing it to the image). */
export function drawPixels(canvas: HTMLCanvasElement, p: Pixels): void {
  canvas.width = p.width;
  canvas.height = p.height;
  const img = new ImageData(p.width, p.height);
  for (let i = 0, j = 0; j < p.data.length; i += 4, j += 3) {
    img.data[i] = p.data[j];
    img.data[i + 1] = p.data[j + 1];
    img.data[i + 2] = p.data[j + 2];
    img.data[i + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}

/** The model's −1…1 output `[H, W, 3]` as 8-bit RGB (clipped, rounded). */
export function toBytes(output: Float32Array, width: number, height: number): Pixels {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round((output[i] + 1) * 127.5)));
  return { width, height, data };
}

/** Sample images drawn here, so the page works without any file: a "photo" and two "paintings". */
export function sampleImages(): { content: Pixels; styles: Pixels[] } {
  // Seeded grain (±12 levels) as photos and canvases have: perfectly flat areas would make many
  // exemplar pixels exact twins, whose order among equal distances is arbitrary.
  let seed = 12345;
  const grain = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return ((seed >>> 16) % 25) - 12;
  };
  const draw = (w: number, h: number, paint: (ctx: OffscreenCanvasRenderingContext2D) => void): Pixels => {
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d')!;
    paint(ctx);
    const p = fromRgba(ctx.getImageData(0, 0, w, h));
    for (let i = 0; i < p.data.length; i++) p.data[i] = Math.max(0, Math.min(255, p.data[i] + grain()));
    return p;
  };
  const content = draw(320, 256, (ctx) => {
    const sky = ctx.createLinearGradient(0, 0, 0, 256);
    sky.addColorStop(0, '#7fb2e5');
    sky.addColorStop(0.6, '#dfeaf2');
    sky.addColorStop(0.61, '#5a8f3c');
    sky.addColorStop(1, '#2f5a1e');
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, 320, 256);
    ctx.fillStyle = '#f4d35e';
    ctx.beginPath();
    ctx.arc(250, 60, 28, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#8b5a2b';
    ctx.fillRect(60, 110, 90, 70);
    ctx.fillStyle = '#b23a48';
    ctx.beginPath();
    ctx.moveTo(50, 112);
    ctx.lineTo(105, 70);
    ctx.lineTo(160, 112);
    ctx.fill();
    ctx.fillStyle = '#3d2b1f';
    ctx.fillRect(95, 140, 22, 40);
  });
  const stripes = draw(256, 256, (ctx) => {
    for (let i = 0; i < 16; i++) {
      ctx.fillStyle = `hsl(${(i * 37) % 360} 70% ${40 + (i % 3) * 12}%)`;
      ctx.save();
      ctx.translate(128, 128);
      ctx.rotate(0.5);
      ctx.fillRect(-200 + i * 26, -200, 18, 400);
      ctx.restore();
    }
  });
  const swirls = draw(256, 256, (ctx) => {
    ctx.fillStyle = '#0d1b4c';
    ctx.fillRect(0, 0, 256, 256);
    for (let i = 0; i < 60; i++) {
      ctx.strokeStyle = `hsl(${40 + ((i * 11) % 30)} 90% ${55 + (i % 4) * 8}%)`;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc((i * 53) % 256, (i * 97) % 256, 8 + (i % 5) * 6, 0, 1.6 * Math.PI);
      ctx.stroke();
    }
  });
  return { content, styles: [stripes, swirls] };
}
