// The `predict` example's command-line interface (relied on by the README and the demo test).
// Run by .ci/e2e with PREDICT_BIN pointing at the release binary.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { silentWav } from "./wav.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PREDICT_BIN = process.env.PREDICT_BIN || path.join(ROOT, "target/release/examples/predict");
// The default model's labels (RAVDESS calm merged into neutral; see models/default/README.md).
const EMOTIONS = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"];
const AUDIO = /\.(wav|flac|mp3|ogg|m4a)$/i;

function predict(...args) {
  const r = spawnSync(PREDICT_BIN, args, { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function jsonLines(out) {
  return out.trim().split("\n").map((line) => JSON.parse(line));
}

function bundled() {
  return ["ravdess", "savee"].flatMap((d) =>
    fs.readdirSync(path.join(ROOT, "tests/data", d)).filter((f) => AUDIO.test(f)).map((f) => `tests/data/${d}/${f}`),
  );
}

let failures = 0;
function check(name, fn) {
  try {
    fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures += 1;
    console.log(`FAIL ${name}\n     ${String(err.stack || err).split("\n").join("\n     ")}`);
  }
}

check("no PATH: a table of the bundled clips, exit 0", () => {
  const { code, out } = predict();
  assert.equal(code, 0);
  const lines = out.split("\n");
  assert.match(lines[0], /^file\s+emotion\s+conf\s+top 3$/);
  for (const clip of bundled()) {
    const row = lines.find((l) => l.startsWith(clip + " "));
    assert.ok(row, `row for ${clip}`);
    const [, emotion, conf] = row.trim().split(/\s+/);
    assert.ok(EMOTIONS.includes(emotion), row);
    assert.match(conf, /^\d+\.\d%$/);
  }
  assert.match(out, new RegExp(`${bundled().length} classified, 0 failed`));
});

check("--json: one object per file with every label's probability", () => {
  const { code, out } = predict("--json", "tests/data/savee");
  assert.equal(code, 0);
  const lines = jsonLines(out);
  assert.equal(lines.length, 4);
  for (const l of lines) {
    assert.ok(l.file.startsWith("tests/data/savee/"), l.file);
    assert.deepEqual(Object.keys(l.probabilities), EMOTIONS);
    const sum = Object.values(l.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `sum ${sum}`);
    const best = EMOTIONS.reduce((a, b) => (l.probabilities[b] > l.probabilities[a] ? b : a));
    assert.equal(l.emotion, best);
    assert.equal(l.speech, true);
    assert.equal(l.timeline, undefined);
  }
});

check("--timeline adds per-window probabilities", () => {
  const { code, out } = predict("--json", "--timeline", "tests/data/ravdess/03-01-03-01-01-02-01.wav");
  assert.equal(code, 0);
  const [l] = jsonLines(out);
  assert.equal(l.timeline.window_s, 3);
  assert.equal(l.timeline.hop_s, 1);
  assert.equal(l.timeline.windows.length, 2); // 3.47 s: 0-3 s and the end-aligned 0.47-3.47 s
  assert.equal(l.timeline.windows[0].start, 0);
  assert.ok(Math.abs(l.timeline.windows[1].end - l.duration_s) < 1e-6);
  for (const w of l.timeline.windows) {
    assert.equal(w.speech, true);
    assert.ok(EMOTIONS.includes(w.emotion), w.emotion);
  }
});

check("a file without speech says so: no emotion, exit 0", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ser-predict-"));
  try {
    // 6 s of digital silence at 16 kHz.
    const file = path.join(dir, "silence.wav");
    silentWav(file, 6, 16000);

    const json = predict("--json", "--timeline", file);
    assert.equal(json.code, 0, json.err);
    const [l] = jsonLines(json.out);
    assert.equal(l.speech, false);
    assert.equal(l.emotion, null);
    assert.equal(l.confidence, null);
    assert.equal(l.probabilities, null);
    assert.deepEqual(l.labels, EMOTIONS);
    assert.ok(Math.abs(l.duration_s - 6) < 1e-3, l.duration_s);
    assert.equal(l.timeline.windows.length, 4);
    for (const w of l.timeline.windows) {
      assert.equal(w.speech, false);
      assert.equal(w.emotion, null);
      assert.equal(w.probabilities, null);
    }

    const table = predict(file, "tests/data/savee/d02.wav");
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /silence\.wav\s+no speech\n/);
    assert.match(table.out, /tests\/data\/savee\/d02\.wav\s+\w+\s+\d/);
    assert.match(table.out, /2 classified, 0 failed, 1 without speech/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

check("directories are searched recursively; bad files get an error line; exit 1", () => {
  const { code, out } = predict("--json", "tests/data");
  assert.equal(code, 1);
  const lines = jsonLines(out);
  const files = lines.map((l) => l.file);
  assert.ok(!files.some((f) => f.endsWith("text.txt")), "non-audio extensions are skipped");
  for (const f of ["formats/03-01-01-01-01-01-01.mp3", "formats/03-01-01-01-01-01-01.m4a", "savee/su02.wav"]) {
    const l = lines.find((x) => x.file.endsWith(f));
    assert.ok(l && l.emotion, `${f} classified`);
  }
  for (const f of ["broken/empty.wav", "broken/garbage.wav", "broken/truncated.wav", "broken/zero_samples.wav"]) {
    const l = lines.find((x) => x.file.endsWith(f));
    assert.ok(l && l.error && l.error.includes(path.basename(f)), `${f}: ${JSON.stringify(l)}`);
  }
});

check("a missing path is an error line, the others are still classified", () => {
  const { code, out } = predict("no-such-file.wav", "tests/data/savee/d02.wav");
  assert.equal(code, 1);
  assert.match(out, /no-such-file\.wav\s+error:/);
  assert.match(out, /tests\/data\/savee\/d02\.wav\s+\w+\s+\d/);
});

check("--model seed-a..d and a checkpoint directory; unknown names are refused", () => {
  for (const m of ["seed-a", "seed-b", "seed-c", "seed-d", "models/default"]) {
    const { code, out } = predict("--model", m, "--json", "tests/data/savee/f01.wav");
    assert.equal(code, 0, m);
    assert.ok(EMOTIONS.includes(jsonLines(out)[0].emotion), m);
  }
  const def = jsonLines(predict("--json", "tests/data/savee/f01.wav").out)[0];
  const dir = jsonLines(predict("--model", "models/default", "--json", "tests/data/savee/f01.wav").out)[0];
  assert.deepEqual(dir.probabilities, def.probabilities, "models/default is the embedded default");
  const bad = predict("--model", "seed-e");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown model "seed-e"/);
});

if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("all predict CLI checks passed");
