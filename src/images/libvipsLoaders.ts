/**
 * libvips can decode dozens of formats (SVG, PDF, TIFF, FITS, ImageMagick's whole zoo), each
 * a parser an attacker could aim at. Only the loaders for the formats we accept stay enabled;
 * everything else is blocked process-wide before the first image is decoded.
 *
 * sharp (with libvips, about 25 MiB resident) is loaded on the first image rather than at
 * start-up: a server that is only serving pages never pays for it.
 */
import type sharpModule from 'sharp';

const ACCEPTED_LOADERS = [
  'VipsForeignLoadJpeg',
  'VipsForeignLoadPng',
  'VipsForeignLoadWebp',
  'VipsForeignLoadNsgif',
  'VipsForeignLoadHeif',
];

let loading: Promise<typeof sharpModule> | undefined;

/** sharp, with every decoder but the accepted ones blocked; loaded once, on first call. */
export function loadRestrictedSharp(): Promise<typeof sharpModule> {
  loading ??= import('sharp').then(({ default: sharp }) => {
    sharp.block({ operation: ['VipsForeignLoad'] });
    sharp.unblock({ operation: ACCEPTED_LOADERS });
    // The operation cache would keep decoded images of past uploads alive; memory must track live work only.
    sharp.cache(false);
    return sharp;
  });
  return loading;
}
