/**
 * libvips can decode dozens of formats (SVG, PDF, TIFF, FITS, ImageMagick's whole zoo), each
 * a parser an attacker could aim at. Only the loaders for the formats we accept stay enabled;
 * everything else is blocked process-wide before the first image is decoded.
 */
import sharp from 'sharp';

const ACCEPTED_LOADERS = [
  'VipsForeignLoadJpeg',
  'VipsForeignLoadPng',
  'VipsForeignLoadWebp',
  'VipsForeignLoadNsgif',
  'VipsForeignLoadHeif',
];

let restricted = false;

export function restrictImageDecoders(): void {
  if (restricted) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ACCEPTED_LOADERS });
  // The operation cache would keep decoded images of past uploads alive; memory must track live work only.
  sharp.cache(false);
  restricted = true;
}
