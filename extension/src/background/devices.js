// Which device a new cast goes to. `add` casts only when it names a device (the daemon's
// default_device applies to `play` alone), so the extension always decides here.

/**
 * The device the user picked in the popup; else the daemon's configured default_device; else the
 * first device discovery finds; else none (the torrent is added without casting).
 */
export async function chooseDevice({ chosen, defaultDevice, discover }) {
  if (chosen) return { device: chosen, source: 'chosen' };
  if (defaultDevice) return { device: defaultDevice, source: 'default' };
  let found = [];
  try {
    found = (await discover()) ?? [];
  } catch {
    found = [];
  }
  if (found.length > 0) return { device: found[0].name, source: 'discovered' };
  return { device: null, source: 'none' };
}
