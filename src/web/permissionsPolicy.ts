/**
 * Turns off the powerful browser features VideoVote never uses, on every response, so a script
 * that slipped in (or a page that frames us) cannot ask for the camera, the microphone or the
 * member's location. Helmet does not set this header. Fullscreen, picture-in-picture and
 * autoplay stay allowed: the video player uses them.
 */
import type { RequestHandler } from 'express';

const FEATURES_OFF = [
  'camera',
  'microphone',
  'geolocation',
  'display-capture',
  'payment',
  'usb',
  'serial',
  'hid',
  'bluetooth',
  'midi',
  'accelerometer',
  'gyroscope',
  'magnetometer',
  'screen-wake-lock',
  'xr-spatial-tracking',
  'publickey-credentials-get',
  'idle-detection',
  'browsing-topics',
];

export const PERMISSIONS_POLICY = FEATURES_OFF.map((feature) => `${feature}=()`).join(', ');

export const setPermissionsPolicy: RequestHandler = (_req, res, next) => {
  res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
  next();
};
