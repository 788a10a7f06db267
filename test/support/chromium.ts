import serverlessChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/** Its own flags, and no network chatter. */
const CHROMIUM_ARGS = [
  ...serverlessChromium.args,
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Chromium that the @sparticuz/chromium dev dependency ships (unpacked on first launch): no
 * system browser, and nothing downloaded at run time.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await serverlessChromium.executablePath(), args: CHROMIUM_ARGS });
}
