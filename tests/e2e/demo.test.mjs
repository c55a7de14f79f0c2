// End-to-end test of the demo page: the real binary, the real page, headless Debian Chromium.
//
// Run by .ci/e2e, which builds the binaries and installs Chromium and playwright-core. Inputs
// (environment): DEMO_BIN and PREDICT_BIN (the release example binaries), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOT (where to write the page with a prediction; optional).
//
// Checks:
//  1. a bundled clip uploaded through the file input and predicted with the default model shows
//     the emotion the library (the `predict` example) gives for that clip, with one bar per label;
//  2. the same with a seed model picked in the model menu;
//  3. a long recording (bundled clips joined, > 4 s) shows the timeline band: one segment per
//     window coloured by the library's per-window emotion, probabilities on hover, a click
//     plays that stretch (screenshot);
//  4. a silent upload reports no speech: no emotion, no bars, a band of blank segments;
//  5. a text file shows the "not an audio file" message (HTTP 415);
//  6. a damaged WAV shows the could-not-be-analysed message (HTTP 422);
//  7. a file over the upload limit shows the size message (HTTP 413);
//  8. recording from a (fake) microphone gives a WAV that the server answers (an emotion, or
//     no speech for the fake device's beeps).

import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { silentWav, wavHeader } from "./wav.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DEMO_BIN = process.env.DEMO_BIN || path.join(ROOT, "target/release/examples/demo");
const PREDICT_BIN = process.env.PREDICT_BIN || path.join(ROOT, "target/release/examples/predict");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SCREENSHOT = process.env.SCREENSHOT || "";
const UPLOAD_LIMIT_MB = 2;
// The default model's labels (RAVDESS calm merged into neutral; see models/default/README.md).
const EMOTIONS = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"];

const data = (p) => path.join(ROOT, "tests/data", p);
const CLIP = data("ravdess/03-01-08-01-01-01-01.wav");
const SEED_CLIP = data("savee/sa01.wav");
const NOT_AUDIO = data("broken/text.txt");
const LONG_PARTS = [
  "ravdess/03-01-01-01-01-01-01.wav",
  "ravdess/03-01-03-01-01-02-01.wav",
  "ravdess/03-01-08-01-01-01-01.wav",
].map(data);

let failures = 0;
async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    failures += 1;
    console.log(`FAIL ${name}\n     ${String(err.stack || err).split("\n").join("\n     ")}`);
  }
}

/** The library's answer for a clip, through the `predict` example (one JSON line per file). */
function libraryPrediction(file, model = "default", ...extra) {
  const out = execFileSync(PREDICT_BIN, ["--model", model, "--json", ...extra, file], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n")[0]);
}

/** The number of timeline windows over `frames` at `rate`: 3 s every 1 s at the model's
 * 22050 Hz, plus one aligned to the end when the last regular window stops short of it. */
function windowCount(frames, rate) {
  const n = Math.ceil((frames * 22050) / rate);
  const [w, h] = [3 * 22050, 22050];
  return n <= w ? 1 : Math.floor((n - w) / h) + 1 + ((n - w) % h === 0 ? 0 : 1);
}

/** The band's segments as shown. */
async function bandSegments(page) {
  await page.waitForSelector("#timeline .band", { state: "visible" });
  return page.$$eval("#timeline .band .segment", (els) =>
    els.map((el) => ({
      speech: el.dataset.speech === "true",
      emotion: el.dataset.emotion,
      start: parseFloat(el.dataset.start),
      end: parseFloat(el.dataset.end),
      background: getComputedStyle(el).backgroundColor,
      width: el.getBoundingClientRect().width,
    })),
  );
}

/** Parses a PCM WAV (any extra chunks) into its format and data bytes. */
function readWav(file) {
  const buf = fs.readFileSync(file);
  assert.equal(buf.toString("ascii", 0, 4), "RIFF", `${file}: not RIFF`);
  let offset = 12;
  let fmt = null;
  let pcm = null;
  while (offset + 8 <= buf.length) {
    const id = buf.toString("ascii", offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = buf.subarray(offset + 8, offset + 8 + size);
    if (id === "fmt ") {
      fmt = { channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    } else if (id === "data") {
      pcm = body;
    }
    offset += 8 + size + (size % 2);
  }
  assert.ok(fmt && pcm, `${file}: no fmt/data chunk`);
  return { ...fmt, pcm };
}

/** Writes the concatenation of same-format PCM WAVs as one WAV. */
function joinWavs(files, out) {
  const parts = files.map(readWav);
  const { channels, rate, bits } = parts[0];
  for (const p of parts) assert.deepEqual([p.channels, p.rate, p.bits], [channels, rate, bits]);
  const pcm = Buffer.concat(parts.map((p) => p.pcm));
  fs.writeFileSync(out, Buffer.concat([wavHeader(channels, rate, bits, pcm.length), pcm]));
  return { frames: pcm.length / (channels * (bits / 8)), rate };
}

/** Starts the demo on a free port; resolves with { child, url } once it printed its URL. */
function startDemo() {
  return new Promise((resolve, reject) => {
    const child = spawn(DEMO_BIN, ["--port", "0", "--max-upload-mb", String(UPLOAD_LIMIT_MB)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error("demo did not print its URL in 30 s: " + out)), 30000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/(http:\/\/[^\s]+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.stderr.on("data", (chunk) => process.stderr.write("[demo] " + chunk));
    child.on("exit", (code) => reject(new Error(`demo exited with ${code}: ${out}`)));
  });
}

/** Uploads a file, presses Predict, waits for the API answer; returns the HTTP status. */
async function uploadAndPredict(page, file) {
  await page.setInputFiles("#file-input", file);
  await page.waitForSelector("#predict-button:not([disabled])");
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/api/predict")),
    page.click("#predict-button"),
  ]);
  await page.waitForSelector("#predict-button:not([disabled])");
  return response.status();
}

async function shownResult(page) {
  await page.waitForSelector("#result", { state: "visible" });
  const emotion = (await page.textContent("#emotion")).trim();
  const bars = await page.$$eval(".bar-fill", (els) =>
    els.map((el) => ({ emotion: el.dataset.emotion, width: parseFloat(el.style.width) })),
  );
  return { emotion, bars };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ser-e2e-"));
const { child: demo, url } = await startDemo();
console.log(`demo at ${url}`);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
  ],
});

try {
  const context = await browser.newContext({ viewport: { width: 860, height: 900 }, deviceScaleFactor: 1 });
  await context.grantPermissions(["microphone"], { origin: url.replace(/\/$/, "") });
  const page = await context.newPage();
  page.on("pageerror", (err) => {
    failures += 1;
    console.log("FAIL uncaught page error: " + err.message);
  });
  await page.goto(url);

  await check("the model menu lists the default and the four seed models", async () => {
    await page.waitForFunction(() => document.querySelectorAll("#model-select option").length === 5);
    const ids = await page.$$eval("#model-select option", (os) => os.map((o) => o.value));
    assert.deepEqual(ids, ["default", "seed-a", "seed-b", "seed-c", "seed-d"]);
    assert.equal(await page.inputValue("#model-select"), "default");
  });

  await check("a bundled clip shows the library's emotion (default model)", async () => {
    const expected = libraryPrediction(CLIP);
    assert.equal(await uploadAndPredict(page, CLIP), 200);
    const shown = await shownResult(page);
    assert.equal(shown.emotion, expected.emotion);
    assert.deepEqual(shown.bars.map((b) => b.emotion), EMOTIONS);
    for (const b of shown.bars) {
      assert.ok(Math.abs(b.width - 100 * expected.probabilities[b.emotion]) < 0.05, `bar ${b.emotion}`);
    }
    assert.ok(await page.isVisible("#player"), "the audio player is shown");
    assert.ok(!(await page.isVisible("#timeline-box")), "no timeline for a 3.4 s clip");
  });

  await check("a seed model picked in the menu gives the library's emotion", async () => {
    await page.selectOption("#model-select", "seed-b");
    const expected = libraryPrediction(SEED_CLIP, "seed-b");
    assert.equal(await uploadAndPredict(page, SEED_CLIP), 200);
    const shown = await shownResult(page);
    assert.equal(shown.emotion, expected.emotion);
    assert.match(await page.textContent("#confidence"), /seed-b/);
    await page.selectOption("#model-select", "default");
  });

  await check("a long recording shows the timeline band", async () => {
    const long = path.join(tmp, "three-sentences.wav");
    const { frames, rate } = joinWavs(LONG_PARTS, long);
    const seconds = frames / rate;
    assert.ok(seconds > 4);
    const expected = libraryPrediction(long, "default", "--timeline");
    assert.equal(await uploadAndPredict(page, long), 200);
    const shown = await shownResult(page);
    assert.equal(shown.emotion, expected.emotion);
    const segments = await bandSegments(page);
    const windows = windowCount(frames, rate);
    assert.equal(segments.length, windows, `windows over ${seconds.toFixed(2)} s`);
    assert.equal(expected.timeline.windows.length, windows);
    // One segment per window, in order, coloured by the library's per-window emotion; the
    // segments tile the band (no overlap, no gap).
    const bandWidth = await page.$eval("#timeline .band", (el) => el.clientWidth);
    const total = segments.reduce((a, s) => a + s.width, 0);
    assert.ok(Math.abs(total - bandWidth) < 2, `segments ${total} px of ${bandWidth} px`);
    segments.forEach((s, i) => {
      const w = expected.timeline.windows[i];
      assert.equal(s.speech, w.speech, `window ${i}`);
      assert.equal(s.emotion, w.speech ? w.emotion : "", `window ${i}`);
      assert.ok(Math.abs(s.start - w.start) < 1e-6 && Math.abs(s.end - w.end) < 1e-6, `window ${i}`);
    });
    assert.ok(segments.some((s) => s.speech), "three sentences hold speech");
    const colours = new Set(segments.filter((s) => s.speech).map((s) => s.emotion + " " + s.background));
    assert.equal(colours.size, new Set(segments.filter((s) => s.speech).map((s) => s.emotion)).size, "one colour per emotion");
    const legend = await page.$$eval("#timeline-legend span", (els) => els.map((e) => e.textContent));
    assert.deepEqual(legend, [...EMOTIONS, "no speech"]);

    // Hover: the window's probabilities.
    const i = segments.findIndex((s) => s.speech);
    const seg = page.locator("#timeline .segment").nth(i);
    await seg.hover();
    await page.waitForSelector("#band-tooltip", { state: "visible" });
    const tip = await page.textContent("#band-tooltip");
    const w = expected.timeline.windows[i];
    assert.match(tip, new RegExp(w.emotion));
    assert.match(tip, new RegExp((100 * w.probabilities[w.emotion]).toFixed(1).replace(".", "\\.") + " %"));
    assert.equal(await page.$$eval("#band-tooltip tr", (els) => els.length), EMOTIONS.length);
    if (SCREENSHOT) {
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`     screenshot: ${SCREENSHOT}`);
    }

    // Click: the player jumps to the window's start and plays until its end.
    const j = segments.length - 1;
    await page.locator("#timeline .segment").nth(j).click();
    await page.waitForFunction(
      ([start, end]) => {
        const t = document.querySelector("#player").currentTime;
        return t >= start - 0.05 && t <= end + 0.3;
      },
      [segments[j].start, segments[j].end],
    );
    assert.ok(await page.$eval("#timeline .segment:last-child", (el) => el.classList.contains("playing")));
  });

  await check("a silent upload reports no speech: no emotion, no bars, a blank band", async () => {
    const silent = path.join(tmp, "silence.wav");
    silentWav(silent, 5.5);
    const expected = libraryPrediction(silent, "default", "--timeline");
    assert.equal(expected.speech, false);
    assert.equal(expected.emotion, null);
    // The API answers 200 with "speech": false, "emotion": null (not an error).
    const response = await fetch(url + "api/predict?timeline=1&name=silence.wav", {
      method: "POST",
      body: fs.readFileSync(silent),
    });
    assert.equal(response.status, 200);
    const answer = await response.json();
    assert.equal(answer.speech, false);
    assert.equal(answer.emotion, null);
    assert.equal(answer.timeline.windows.length, windowCount(5.5 * 22050, 22050));
    assert.equal(await uploadAndPredict(page, silent), 200);
    const shown = await shownResult(page);
    assert.equal(shown.emotion, "No speech");
    assert.equal(shown.bars.length, 0);
    assert.ok(!(await page.isVisible("#bars")));
    assert.equal(await page.getAttribute("#result", "data-speech"), "false");
    const segments = await bandSegments(page);
    assert.equal(segments.length, windowCount(5.5 * 22050, 22050));
    assert.ok(segments.every((s) => !s.speech && s.emotion === ""), JSON.stringify(segments));
    await page.locator("#timeline .segment").first().hover();
    await page.waitForSelector("#band-tooltip", { state: "visible" });
    assert.match(await page.textContent("#band-tooltip"), /no speech/);
  });

  await check("a text file shows the not-audio message (HTTP 415)", async () => {
    assert.equal(await uploadAndPredict(page, NOT_AUDIO), 415);
    await page.waitForSelector("#error", { state: "visible" });
    assert.match(await page.textContent("#error"), /not an audio file/);
    assert.ok(!(await page.isVisible("#result")));
  });

  await check("a damaged WAV shows the could-not-be-analysed message (HTTP 422)", async () => {
    assert.equal(await uploadAndPredict(page, data("broken/truncated.wav")), 422);
    await page.waitForSelector("#error", { state: "visible" });
    assert.match(await page.textContent("#error"), /truncated\.wav.*could not be analysed/);
  });

  await check(`a file over the ${UPLOAD_LIMIT_MB} MB limit shows the size message (HTTP 413)`, async () => {
    const big = path.join(tmp, "too-long.wav");
    joinWavs([...LONG_PARTS, ...LONG_PARTS, ...LONG_PARTS], big);
    assert.ok(fs.statSync(big).size > UPLOAD_LIMIT_MB * 1024 * 1024);
    assert.equal(await uploadAndPredict(page, big), 413);
    await page.waitForSelector("#error", { state: "visible" });
    assert.match(await page.textContent("#error"), /too large/);
  });

  await check("recording from the microphone gives a WAV the server answers", async () => {
    await page.click("#record-button");
    await page.waitForFunction(() => document.querySelector("#record-status").textContent.startsWith("Recording"));
    await page.waitForTimeout(1500);
    await page.click("#record-button");
    await page.waitForFunction(() => document.querySelector("#source-name").textContent.startsWith("recording.wav"));
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes("/api/predict")),
      page.click("#predict-button"),
    ]);
    assert.equal(response.status(), 200, await response.text());
    const answer = await response.json();
    assert.ok(answer.duration_s > 1 && answer.duration_s < 5, `recorded ${answer.duration_s} s`);
    const shown = await shownResult(page);
    if (answer.speech) {
      assert.ok(EMOTIONS.includes(shown.emotion), shown.emotion);
      assert.equal(shown.emotion, answer.emotion);
    } else {
      // Chromium's fake microphone beeps: short steady tones are not speech.
      assert.equal(answer.emotion, null);
      assert.equal(shown.emotion, "No speech");
    }
  });
} finally {
  await browser.close();
  demo.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
}

if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("all end-to-end checks passed");
