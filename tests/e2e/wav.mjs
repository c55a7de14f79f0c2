// WAV writing shared by the end-to-end tests.

import fs from "node:fs";

/** The 44-byte header of a PCM WAV holding `dataBytes` bytes of samples. */
export function wavHeader(channels, rate, bits, dataBytes) {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE((rate * channels * bits) / 8, 28);
  header.writeUInt16LE((channels * bits) / 8, 32);
  header.writeUInt16LE(bits, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** Writes `seconds` of digital silence as a 16-bit mono PCM WAV at `rate` Hz. */
export function silentWav(out, seconds, rate = 22050) {
  const bytes = 2 * Math.round(seconds * rate);
  fs.writeFileSync(out, Buffer.concat([wavHeader(1, rate, 16, bytes), Buffer.alloc(bytes)]));
}
