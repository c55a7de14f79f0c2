//! Per-clip feature vectors (the study's mean MFCC, or speech statistics) for a whole corpus:
//! parallel, with a progress callback and an on-disk cache.
//!
//! # Pipeline (per clip)
//! Read the file's bytes → `ser_audio::Loader::load_bytes` at [`AudioConfig::target_rate`]
//! (decode, mono mean, resample) → the [`FeatureConfig::frontend`] (`ser_mfcc::Frontend`) →
//! one `[output_dim]` vector.
//! Clips run in parallel on rayon's pool with one frontend and one `ser_audio::Loader`
//! (planned resamplers) per worker (`map_init`). A clip that fails is recorded in
//! [`Features::failures`] and skipped; the run goes on.
//!
//! A [simulated audio-video twin](crate::Item::simulated_av_twin) is loaded at its own rate,
//! resampled to 44.1 kHz and quantised to 16 bits (what the study's `ffmpeg -ar 44100 -ac 2`
//! WAV extraction produced; the stereo duplication is omitted because the mono mix-down of two
//! equal channels is the same signal) and then resampled to the target rate like any clip.
//!
//! # Cache
//! One file per feature configuration, `<cache_dir>/features-<h>.bin`, where `h` is the first 16
//! hex digits of SHA-256 over the JSON of the full [`FeatureConfig`] plus a format version. The
//! file stores the configuration's JSON again (checked on load), then entries keyed by the
//! SHA-256 of the clip's **file content** (so renamed or copied corpora hit the cache and an
//! edited file never does; simulated twins use a derived key), and ends with a SHA-256 of
//! everything before it. A file that is truncated, fails the checksum or holds another
//! configuration is reported as [`CacheStatus::Corrupt`] and rebuilt. Writes go to a temporary
//! file in the same directory, then `rename` over the old one (atomic on POSIX). New entries are
//! merged with the loaded ones. A warm run still reads and hashes every file (about 0.1 s for
//! the 122 MB of RAVDESS speech) but decodes nothing.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use ser_audio::{load_bytes, Audio, LoadOptions, Loader};
use ser_mfcc::{Frontend, FrontendSpec, MfccConfig};

use crate::{CorpusError, Item, LabelSet};

/// How clips are loaded before the MFCCs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioConfig {
    /// Rate the clips are resampled to, Hz; must equal the frontend's
    /// ([`FrontendSpec::sample_rate`]).
    /// Default 22050 (librosa's `load`).
    pub target_rate: u32,
    /// Seconds skipped at the start of each clip. Default 0.
    pub offset: f64,
    /// Seconds kept from `offset` (`None`, the default: the whole clip).
    pub duration: Option<f64>,
    /// Speed perturbation (data augmentation, Ko et al. 2015): the clip is resampled to
    /// `target_rate / speed` Hz and read as `target_rate`, so it plays `speed` times faster
    /// with every frequency (pitch, formants) scaled by `speed`. In `0.5..=2.0`; default 1
    /// (left out of the JSON, so caches of unperturbed features keep their key).
    #[serde(default = "unit_speed", skip_serializing_if = "is_unit_speed")]
    pub speed: f64,
    /// Additive white Gaussian noise (data augmentation) at this signal-to-noise ratio, dB,
    /// relative to the clip's mean power after loading; the noise is drawn from a ChaCha8
    /// stream seeded by the clip's content hash, so a clip always gets the same noise.
    /// Default `None` (left out of the JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_snr_db: Option<f64>,
}

fn unit_speed() -> f64 {
    1.0
}

fn is_unit_speed(s: &f64) -> bool {
    *s == 1.0
}

impl Default for AudioConfig {
    fn default() -> Self {
        AudioConfig {
            target_rate: ser_audio::DEFAULT_SAMPLE_RATE,
            offset: 0.0,
            duration: None,
            speed: 1.0,
            noise_snr_db: None,
        }
    }
}

impl AudioConfig {
    fn load_options(&self, target_rate: Option<u32>) -> LoadOptions {
        LoadOptions {
            target_rate,
            offset: self.offset,
            duration: self.duration,
        }
    }
}

/// Everything that determines a feature vector (and therefore the cache key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureConfig {
    /// Loading (rate, offset, duration). Default [`AudioConfig::default`].
    pub audio: AudioConfig,
    /// The per-clip frontend (one vector per clip: [`FrontendSpec::MeanMfcc`] or
    /// [`FrontendSpec::SpeechStats`]). Default the mean of [`MfccConfig::default`] (librosa ≥
    /// 0.10, 40 coefficients).
    pub frontend: FrontendSpec,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self::for_frontend(FrontendSpec::MeanMfcc(MfccConfig::default()))
    }
}

impl FeatureConfig {
    /// The study's features: 22050 Hz, librosa 0.6.3 MFCC (reflect padding), 40 coefficients.
    pub fn study() -> Self {
        Self::for_frontend(FrontendSpec::MeanMfcc(MfccConfig::librosa_0_6()))
    }

    /// The whole clip, resampled to the frontend's rate.
    pub fn for_frontend(frontend: FrontendSpec) -> Self {
        FeatureConfig {
            audio: AudioConfig {
                target_rate: frontend.sample_rate(),
                ..AudioConfig::default()
            },
            frontend,
        }
    }

    /// Checks that the audio rate matches the frontend's rate, that the frontend gives one
    /// vector per clip, and that its configuration is valid.
    ///
    /// # Errors
    /// [`CorpusError::InvalidFeatureConfig`] or [`CorpusError::Mfcc`].
    pub fn validate(&self) -> Result<(), CorpusError> {
        let rate = self.frontend.sample_rate();
        if self.audio.target_rate != rate {
            return Err(CorpusError::InvalidFeatureConfig {
                what: "audio.target_rate",
                expected: format!("the frontend's sample rate, {rate} Hz"),
                actual: format!("{} Hz", self.audio.target_rate),
            });
        }
        if !(0.5..=2.0).contains(&self.audio.speed) {
            return Err(CorpusError::InvalidFeatureConfig {
                what: "audio.speed",
                expected: "0.5..=2.0".into(),
                actual: self.audio.speed.to_string(),
            });
        }
        if let Some(snr) = self.audio.noise_snr_db {
            if !snr.is_finite() {
                return Err(CorpusError::InvalidFeatureConfig {
                    what: "audio.noise_snr_db",
                    expected: "a finite SNR in dB".into(),
                    actual: snr.to_string(),
                });
            }
        }
        if self.frontend.is_sequence() {
            return Err(CorpusError::InvalidFeatureConfig {
                what: "frontend",
                expected: "a per-clip frontend (mean_mfcc or speech_stats)".into(),
                actual: "a frame sequence".into(),
            });
        }
        self.frontend
            .validate()
            .map_err(|source| CorpusError::Mfcc {
                path: PathBuf::from("<config>"),
                source,
            })
    }

    /// 16 hex digits identifying this configuration (SHA-256 of its JSON, the cache format
    /// version and [`ser_mfcc::OUTPUT_VERSION`]), used in the cache file name: features cached
    /// by an extractor whose output has since changed are not reused.
    ///
    /// # Errors
    /// [`CorpusError::Json`] if the configuration cannot be serialised (non-finite floats).
    pub fn fingerprint(&self) -> Result<String, CorpusError> {
        let json = self.canonical_json()?;
        let d = Sha256::digest(json.as_bytes());
        Ok(hex(&d[..8]))
    }

    /// What identifies the cached values: also stored in the cache file and compared on read.
    fn canonical_json(&self) -> Result<String, CorpusError> {
        self.canonical_json_at(ser_mfcc::OUTPUT_VERSION)
    }

    fn canonical_json_at(&self, output_version: u32) -> Result<String, CorpusError> {
        Ok(format!(
            "{CACHE_FORMAT}:mfcc-output-{output_version}:{}",
            serde_json::to_string(self)?
        ))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A progress callback of [`extract_features`]: called once per finished clip with the number
/// of clips finished so far and the total. It runs on rayon's worker threads, so calls may
/// arrive slightly out of order (a count of 7 before 6); exactly one call has `done == total`.
pub type ProgressFn = dyn Fn(usize, usize) + Send + Sync;

/// Options of [`extract_features`].
#[derive(Clone, Default)]
pub struct ExtractOptions {
    /// Cache directory (created if missing); `None` (default) disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Progress callback; `None` (default) reports nothing. The library itself never prints:
    /// drawing a bar (e.g. with `indicatif`) is up to the caller.
    pub progress: Option<Arc<ProgressFn>>,
}

impl std::fmt::Debug for ExtractOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtractOptions")
            .field("cache_dir", &self.cache_dir)
            .field(
                "progress",
                &self.progress.as_ref().map(|_| "Fn(done, total)"),
            )
            .finish()
    }
}

/// A clip that produced no vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The file.
    pub path: PathBuf,
    /// Whether it was the simulated audio-video twin of the file.
    pub simulated_av_twin: bool,
    /// The error's message with its causes (`a: b: c`).
    pub reason: String,
}

/// What happened to the cache file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheStatus {
    /// No cache directory given.
    Disabled,
    /// No cache file for this configuration yet.
    Missing,
    /// Loaded and verified.
    Loaded,
    /// Present but unusable (reason); rebuilt.
    Corrupt(String),
}

/// Cache statistics of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheInfo {
    /// The cache file (None when disabled).
    pub path: Option<PathBuf>,
    /// State of the file before the run.
    pub status: CacheStatus,
    /// Clips served from the cache.
    pub hits: usize,
    /// Clips computed.
    pub misses: usize,
    /// Whether the file was (re)written.
    pub written: bool,
}

/// Feature vectors of a corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// `[n_clips, output_dim]`: row `i` is the feature vector of `items[i]`.
    pub x: Array2<f32>,
    /// The items that produced a vector, in input order.
    pub items: Vec<Item>,
    /// The items that failed, in input order.
    pub failures: Vec<Failure>,
    /// Cache statistics.
    pub cache: CacheInfo,
}

impl Features {
    /// Class indices of the rows in `classes` (row `i`'s label is `classes.get(result[i])`).
    ///
    /// # Errors
    /// [`CorpusError::LabelNotInSet`] for the first item whose label `classes` lacks.
    pub fn class_indices(&self, classes: &LabelSet) -> Result<Vec<usize>, CorpusError> {
        self.items
            .iter()
            .map(|it| {
                classes
                    .index_of(&it.label)
                    .ok_or_else(|| CorpusError::LabelNotInSet {
                        path: it.path.clone(),
                        label: it.label.to_string(),
                        labels: classes.to_string(),
                    })
            })
            .collect()
    }

    /// Class indices of the rows in the study's eight classes ([`crate::Emotion::index`]).
    ///
    /// # Errors
    /// As [`Features::class_indices`] (e.g. EmoDB boredom, a user's own label).
    pub fn labels(&self) -> Result<Vec<usize>, CorpusError> {
        self.class_indices(&LabelSet::study())
    }
}

const CACHE_FORMAT: &str = "ser-corpus-features-v1";
const MAGIC: &[u8; 8] = b"SERFEAT1";

type Key = [u8; 32];

/// Per-clip outcome: cache key (when caching), cache hit, the vector.
type ClipResult = (Option<Key>, bool, Result<Vec<f32>, CorpusError>);

/// Loads a clip as the features see it: [`AudioConfig`] applied, at the target rate; for a
/// simulated audio-video twin through 44.1 kHz 16-bit first (see the module docs).
///
/// # Errors
/// [`CorpusError::Audio`] when decoding or resampling fails.
pub fn load_clip(
    loader: &mut Loader,
    bytes: &[u8],
    path: &Path,
    simulated_av_twin: bool,
    audio: &AudioConfig,
) -> Result<Audio, CorpusError> {
    let name = path.to_string_lossy();
    let err = |source| CorpusError::Audio {
        path: path.to_path_buf(),
        source,
    };
    if !simulated_av_twin {
        let rate = if audio.speed == 1.0 {
            audio.target_rate
        } else {
            (f64::from(audio.target_rate) / audio.speed)
                .round()
                .max(1.0) as u32
        };
        let mut a = loader
            .load_bytes(bytes, &name, &audio.load_options(Some(rate)))
            .map_err(err)?;
        a.sample_rate = audio.target_rate;
        if let Some(snr) = audio.noise_snr_db {
            add_noise(&mut a.samples, snr, entry_key(bytes, false));
        }
        return Ok(a);
    }
    let mut a = loader
        .load_bytes(bytes, &name, &audio.load_options(None))
        .map_err(err)?;
    let mut x = loader
        .resample(&a.samples, a.sample_rate, 44100)
        .map_err(err)?;
    for v in &mut x {
        // ffmpeg's float -> s16 conversion: round(x * 32768), saturated.
        *v = (*v * 32768.0).round().clamp(-32768.0, 32767.0) / 32768.0;
    }
    a.samples = loader.resample(&x, 44100, audio.target_rate).map_err(err)?;
    a.sample_rate = audio.target_rate;
    Ok(a)
}

/// Adds white Gaussian noise at `snr_db` below the mean power of `x` (nothing for silence),
/// drawn from the ChaCha8 stream seeded by `seed`.
fn add_noise(x: &mut [f32], snr_db: f64, seed: Key) {
    use rand_chacha::rand_core::{Rng, SeedableRng};
    let power = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64;
    if power <= 0.0 {
        return;
    }
    let sigma = (power / 10f64.powf(snr_db / 10.0)).sqrt();
    let mut rng = rand_chacha::ChaCha8Rng::from_seed(seed);
    let mut uniform = || (f64::from(rng.next_u32()) + 0.5) / 4_294_967_296.0;
    for pair in x.chunks_mut(2) {
        // Box-Muller: two normal draws from two uniform ones
        let (u1, u2) = (uniform(), uniform());
        let r = (-2.0 * u1.ln()).sqrt() * sigma;
        let t = 2.0 * std::f64::consts::PI * u2;
        for (v, z) in pair.iter_mut().zip([r * t.cos(), r * t.sin()]) {
            *v += z as f32;
        }
    }
}

fn entry_key(bytes: &[u8], simulated_av_twin: bool) -> Key {
    let mut h = Sha256::new();
    h.update(bytes);
    let content: Key = h.finalize().into();
    if !simulated_av_twin {
        return content;
    }
    let mut h = Sha256::new();
    h.update(b"simulated-av-twin:44100:s16");
    h.update(content);
    h.finalize().into()
}

/// Extracts the feature vector of every item (see the module docs).
///
/// # Errors
/// Only for problems that concern the whole run: an invalid configuration or an unusable cache
/// directory ([`CorpusError::Io`]). Per-clip problems go to [`Features::failures`]; a corrupt
/// cache file is rebuilt.
pub fn extract_features(
    items: &[Item],
    cfg: &FeatureConfig,
    opts: &ExtractOptions,
) -> Result<Features, CorpusError> {
    cfg.validate()?;
    let dim = cfg.frontend.output_dim();
    let cache_path = match &opts.cache_dir {
        Some(dir) => {
            fs::create_dir_all(dir).map_err(|source| CorpusError::Io {
                path: dir.clone(),
                source,
            })?;
            Some(dir.join(format!("features-{}.bin", cfg.fingerprint()?)))
        }
        None => None,
    };
    let config_json = cfg.canonical_json()?;
    let (cache, status) = match &cache_path {
        None => (HashMap::new(), CacheStatus::Disabled),
        Some(p) => match read_cache(p, &config_json, dim) {
            Ok(Some(m)) => (m, CacheStatus::Loaded),
            Ok(None) => (HashMap::new(), CacheStatus::Missing),
            Err(e) => (
                HashMap::new(),
                CacheStatus::Corrupt(crate::error::chain(&e)),
            ),
        },
    };

    let done = AtomicUsize::new(0);
    let results: Vec<ClipResult> = items
        .par_iter()
        .map_init(
            || Worker {
                frontend: cfg.frontend.build(),
                loader: Loader::new(),
            },
            |worker, item| {
                let r = one_clip(item, cfg, worker, &cache, cache_path.is_some());
                if let Some(progress) = &opts.progress {
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, items.len());
                }
                r
            },
        )
        .collect();

    let mut x = Vec::with_capacity(items.len() * dim);
    let mut ok_items = Vec::new();
    let mut failures = Vec::new();
    let mut new_entries: Vec<(Key, Vec<f32>)> = Vec::new();
    let (mut hits, mut misses) = (0, 0);
    for (item, (key, hit, r)) in items.iter().zip(results) {
        match r {
            Ok(v) if v.len() == dim => {
                if hit {
                    hits += 1;
                } else {
                    misses += 1;
                    if let Some(k) = key {
                        new_entries.push((k, v.clone()));
                    }
                }
                x.extend_from_slice(&v);
                ok_items.push(item.clone());
            }
            Ok(v) => failures.push(Failure {
                path: item.path.clone(),
                simulated_av_twin: item.simulated_av_twin,
                reason: format!("feature length {} instead of {dim}", v.len()),
            }),
            Err(e) => {
                misses += 1;
                failures.push(Failure {
                    path: item.path.clone(),
                    simulated_av_twin: item.simulated_av_twin,
                    reason: crate::error::chain(&e),
                })
            }
        }
    }
    let mut written = false;
    if let Some(p) = &cache_path {
        if !new_entries.is_empty() || matches!(status, CacheStatus::Corrupt(_)) {
            let mut all = cache;
            all.extend(new_entries);
            write_cache(p, &config_json, dim, &all)?;
            written = true;
        }
    }
    let n = ok_items.len();
    let x = Array2::from_shape_vec((n, dim), x).map_err(|e| CorpusError::InvalidFeatureConfig {
        what: "feature matrix shape",
        expected: format!("[{n}, {dim}]"),
        actual: e.to_string(),
    })?;
    Ok(Features {
        x,
        items: ok_items,
        failures,
        cache: CacheInfo {
            path: cache_path,
            status,
            hits,
            misses,
            written,
        },
    })
}

/// What each rayon worker plans once and reuses for all its clips.
struct Worker {
    frontend: Result<Frontend, ser_mfcc::MfccError>,
    loader: Loader,
}

fn one_clip(
    item: &Item,
    cfg: &FeatureConfig,
    worker: &mut Worker,
    cache: &HashMap<Key, Vec<f32>>,
    use_cache: bool,
) -> ClipResult {
    let bytes = match fs::read(&item.path) {
        Ok(b) => b,
        Err(source) => {
            return (
                None,
                false,
                Err(CorpusError::Io {
                    path: item.path.clone(),
                    source,
                }),
            )
        }
    };
    let key = use_cache.then(|| entry_key(&bytes, item.simulated_av_twin));
    if let Some(v) = key.as_ref().and_then(|k| cache.get(k)) {
        return (key, true, Ok(v.clone()));
    }
    let r = (|| {
        let m = worker.frontend.as_mut().map_err(|e| CorpusError::Mfcc {
            path: item.path.clone(),
            source: e.clone(),
        })?;
        let audio = load_clip(
            &mut worker.loader,
            &bytes,
            &item.path,
            item.simulated_av_twin,
            &cfg.audio,
        )?;
        let v: Array2<f32> = m
            .compute(&audio.samples)
            .map_err(|source| CorpusError::Mfcc {
                path: item.path.clone(),
                source,
            })?;
        Ok(v.iter().copied().collect())
    })();
    (key, false, r)
}

fn read_cache(
    path: &Path,
    config_json: &str,
    dim: usize,
) -> Result<Option<HashMap<Key, Vec<f32>>>, CorpusError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CorpusError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    decode_cache(&bytes, path, config_json, dim).map(Some)
}

/// Parses the bytes of a feature cache file (written by [`encode_cache`]): magic, the
/// configuration JSON (must equal `config_json`), the dimension (must equal `dim`), the
/// entries (32-byte key + `dim` little-endian `f32`) and a trailing SHA-256 of everything
/// before it, checked first. Errors name `path`. Public for the fuzz targets (`fuzz/`) and
/// their regression tests; not a stable API.
#[doc(hidden)]
pub fn decode_cache(
    bytes: &[u8],
    path: &Path,
    config_json: &str,
    dim: usize,
) -> Result<HashMap<[u8; 32], Vec<f32>>, CorpusError> {
    let bad = |reason: String| CorpusError::Cache {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < MAGIC.len() + 4 + 4 + 8 + 32 {
        return Err(bad(format!(
            "{} bytes, shorter than the smallest valid file",
            bytes.len()
        )));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return Err(bad("checksum mismatch (truncated or modified)".into()));
    }
    if &body[..8] != MAGIC {
        return Err(bad("bad magic".into()));
    }
    let mut pos: usize = 8;
    let mut take = |n: usize| -> Result<&[u8], CorpusError> {
        let s = pos
            .checked_add(n)
            .and_then(|end| body.get(pos..end))
            .ok_or_else(|| bad(format!("truncated at byte {pos}: {n} more bytes declared")))?;
        pos += n;
        Ok(s)
    };
    let u32_at = |s: &[u8]| s.try_into().map(u32::from_le_bytes).unwrap_or(0) as usize;
    let jlen = u32_at(take(4)?);
    let json = take(jlen)?;
    if json != config_json.as_bytes() {
        return Err(bad(
            "stored configuration differs from the requested one".into()
        ));
    }
    let n = u32_at(take(4)?);
    if n != dim {
        return Err(bad(format!("dim {n}, expected {dim}")));
    }
    let count = take(8)?.try_into().map(u64::from_le_bytes).unwrap_or(0);
    let entry = 32 + 4 * n;
    let size = usize::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(entry))
        .ok_or_else(|| {
            bad(format!(
                "{count} entries declared: more than memory can hold"
            ))
        })?;
    let rest = take(size)?;
    let mut map = HashMap::with_capacity(rest.len() / entry.max(1));
    for e in rest.chunks_exact(entry) {
        let (k, v) = e.split_at(32);
        let mut key = [0u8; 32];
        key.copy_from_slice(k);
        let v = v
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        map.insert(key, v);
    }
    Ok(map)
}

/// The bytes of a feature cache file holding `entries` (see [`decode_cache`]). Public for the
/// fuzz targets' seeds; not a stable API.
#[doc(hidden)]
pub fn encode_cache(
    config_json: &str,
    dim: usize,
    entries: &HashMap<[u8; 32], Vec<f32>>,
) -> Vec<u8> {
    let mut sorted: Vec<(&Key, &Vec<f32>)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::with_capacity(64 + config_json.len() + sorted.len() * (32 + 4 * dim));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(config_json.len() as u32).to_le_bytes());
    out.extend_from_slice(config_json.as_bytes());
    out.extend_from_slice(&(dim as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u64).to_le_bytes());
    for (k, v) in sorted {
        out.extend_from_slice(k);
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

fn write_cache(
    path: &Path,
    config_json: &str,
    dim: usize,
    entries: &HashMap<Key, Vec<f32>>,
) -> Result<(), CorpusError> {
    let out = encode_cache(config_json, dim, entries);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp = path.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| CorpusError::Io { path: p, source }
    };
    fs::write(&tmp, &out).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// Groups (two or more paths, in item order) of items whose decoded samples are identical:
/// each file is decoded at its own rate (`ser_audio::load_bytes` with no resampling) and the
/// SHA-256 of its sample rate and `f32` sample bits compared. Simulated twins and repeated
/// paths are skipped. Files that fail to decode are returned as failures. Runs in parallel.
pub fn find_duplicates(items: &[Item]) -> (Vec<Vec<PathBuf>>, Vec<Failure>) {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<&Item> = items
        .iter()
        .filter(|i| !i.simulated_av_twin && seen.insert(i.path.clone()))
        .collect();
    let hashes: Vec<Result<Key, CorpusError>> = unique
        .par_iter()
        .map(|item| {
            let bytes = fs::read(&item.path).map_err(|source| CorpusError::Io {
                path: item.path.clone(),
                source,
            })?;
            let a = load_bytes(
                &bytes,
                &item.path.to_string_lossy(),
                &LoadOptions::native_rate(),
            )
            .map_err(|source| CorpusError::Audio {
                path: item.path.clone(),
                source,
            })?;
            let mut h = Sha256::new();
            h.update(a.sample_rate.to_le_bytes());
            for s in &a.samples {
                h.update(s.to_bits().to_le_bytes());
            }
            Ok(h.finalize().into())
        })
        .collect();
    let mut groups: HashMap<Key, Vec<PathBuf>> = HashMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut failures = Vec::new();
    for (item, h) in unique.iter().zip(hashes) {
        match h {
            Ok(k) => {
                let g = groups.entry(k).or_default();
                if g.is_empty() {
                    order.push(k);
                }
                g.push(item.path.clone());
            }
            Err(e) => failures.push(Failure {
                path: item.path.clone(),
                simulated_av_twin: false,
                reason: crate::error::chain(&e),
            }),
        }
    }
    let dups = order
        .into_iter()
        .filter_map(|k| groups.remove(&k))
        .filter(|g| g.len() > 1)
        .collect();
    (dups, failures)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_extractor_output_version_is_part_of_the_cache_identity() {
        let cfg = FeatureConfig::default();
        let now = cfg.canonical_json().unwrap();
        assert_eq!(
            now,
            cfg.canonical_json_at(ser_mfcc::OUTPUT_VERSION).unwrap()
        );
        // a changed extractor output (same configuration) is another cache file and is
        // refused by the stored-JSON check of an old one
        assert_ne!(
            now,
            cfg.canonical_json_at(ser_mfcc::OUTPUT_VERSION + 1).unwrap()
        );
    }
}
