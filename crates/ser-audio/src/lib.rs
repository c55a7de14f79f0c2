//! Audio loading for speech emotion recognition: decode a file (or bytes, or any reader) with
//! [symphonia] 0.6, mix it down to mono and resample it with [rubato] 5 to the rate the features
//! expect — what `librosa.load(path, sr=22050)` does.
//!
//! ```
//! use ser_audio::{load, LoadOptions};
//!
//! # fn main() -> Result<(), ser_audio::AudioError> {
//! # let clip = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/ravdess/03-01-01-01-01-01-01.wav");
//! // librosa.load(clip): mono, 22050 Hz, whole clip.
//! let audio = load(clip, &LoadOptions::default())?;
//! assert_eq!((audio.sample_rate, audio.source_rate, audio.source_channels), (22050, 48000, 1));
//! assert_eq!(audio.samples.len(), 72838); // ceil(158558 * 22050 / 48000)
//!
//! // librosa.load(clip, sr=None, offset=0.5, duration=1.0): keep the file's rate.
//! let opts = LoadOptions { target_rate: None, offset: 0.5, duration: Some(1.0) };
//! let part = load(clip, &opts)?;
//! assert_eq!(part.samples.len(), 48000);
//!
//! // Resampling on its own: plan once, reuse for many clips.
//! let mut rs = ser_audio::Resampler::new(48000, 22050)?;
//! let y = rs.process(&part.samples)?;
//! assert_eq!(y.len(), 22050);
//!
//! // Errors name the file and the cause.
//! let err = ser_audio::load_bytes(b"not audio", "notes.txt", &LoadOptions::default()).unwrap_err();
//! assert!(matches!(err, ser_audio::AudioError::NotAudio { .. }));
//! assert!(err.to_string().starts_with("notes.txt: "));
//! # Ok(())
//! # }
//! ```
//!
//! # Formats
//! Everything symphonia's `all` feature decodes: WAV (8/16/24/32-bit integer PCM, 32/64-bit
//! float, A-law/µ-law, IMA/MS ADPCM; extra RIFF chunks such as `bext`, `LIST`, `FLLR` anywhere),
//! AIFF, CAF, FLAC, MP1/2/3, Ogg Vorbis, AAC-LC (ADTS or MP4/M4A), ALAC, MKV/WebM with those
//! codecs. Opus and others are recognised but not decodable ([`AudioError::UnsupportedCodec`]).
//! The default audio track is decoded; for chained Ogg files only the first logical stream.
//! The container is recognised by the file's content, not its name: an AIFF file named `.wav`
//! decodes. [`discover`] holds the one list of audio file extensions (those a test proves
//! decode) and the recursive walker the tools use to find audio files.
//!
//! # Samples
//! Integer PCM is scaled as libsndfile/soundfile do (`i16 / 32768`, `i24 / 2^23`, `i32 / 2^31`,
//! `(u8 - 128) / 128`); float is kept as is (values outside ±1 too). The mono mix-down is the mean
//! of the channels, as `librosa.to_mono`. Lossy codecs are trimmed gaplessly where the container
//! says how (encoder delay and padding), so an MP3 or Vorbis clip has its source's length.
//!
//! # Offset and duration
//! As `librosa.load`: applied at the file's own rate before resampling, `start = int(offset * sr)`
//! and `len = int(duration * sr)` frames. Decoding stops once the span is complete.
//!
//! # Resampling
//! [`Resampler`] / [`resample`]: band-limited (windowed-sinc anti-alias filter) FFT resampling,
//! delay-compensated so the output is time-aligned with the input, output length exactly
//! `ceil(n * to / from)` as `librosa.resample`. Same rate: a copy. Samples beyond
//! ±[`MAX_RESAMPLE_MAGNITUDE`] are refused ([`AudioError::TooLoud`]). To load many clips, use
//! one [`Loader`] (per thread): it keeps the planned resamplers.
//!
//! # Long recordings
//! [`AudioStream`] decodes, mixes down and resamples a file block by block (symphonia packet
//! by packet, [`Resampler::push`]), in memory that does not grow with the file's length; its
//! samples are bit-identical to [`load`]'s (tested).
//!
//! # Errors
//! One enum, [`AudioError`]; every variant about a file names it (the path, or the `name` argument
//! for bytes and readers) and carries the expected/actual values. See its docs for the table of
//! variants. No input bytes make this crate panic: the decoder is also run under
//! [`std::panic::catch_unwind`], so a panic inside symphonia on a malformed stream becomes
//! [`AudioError::Corrupt`] (this needs the default `panic = "unwind"`). A property test feeds
//! random and mutated WAV bytes to [`load_bytes`].

mod decode;
pub mod discover;
mod error;
mod resample;
mod stream;

use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};

pub use error::AudioError;
pub use resample::{output_len, resample, Resampler, MAX_RESAMPLE_MAGNITUDE, MAX_SAMPLES};
pub use stream::AudioStream;

use decode::{Decoded, SeekableReader, Span};

/// The sample rate `librosa.load` resamples to by default, and this crate's default target: 22050 Hz.
pub const DEFAULT_SAMPLE_RATE: u32 = 22050;

/// How to load a clip; the fields mirror `librosa.load`'s `sr`, `offset` and `duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Rate to resample to, in Hz; `None` keeps the file's own rate (librosa's `sr=None`).
    /// Default: `Some(22050)` ([`DEFAULT_SAMPLE_RATE`]). Must not be `Some(0)`.
    pub target_rate: Option<u32>,
    /// Start reading this many seconds into the file (at the file's rate, before resampling).
    /// Default: `0.0`. Must be finite and `>= 0`.
    pub offset: f64,
    /// Read at most this many seconds from `offset`; `None` reads to the end. Default: `None`.
    /// Must be finite and `>= 0` when given.
    pub duration: Option<f64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            target_rate: Some(DEFAULT_SAMPLE_RATE),
            offset: 0.0,
            duration: None,
        }
    }
}

impl LoadOptions {
    /// Options that keep the file's own rate (`sr=None`), whole clip.
    pub fn native_rate() -> Self {
        Self {
            target_rate: None,
            ..Self::default()
        }
    }

    /// Options that resample to `rate` Hz, whole clip.
    pub fn with_rate(rate: u32) -> Self {
        Self {
            target_rate: Some(rate),
            ..Self::default()
        }
    }

    fn validate(&self, path: &Path) -> Result<Span, AudioError> {
        let bad = |option: &'static str, value: String, expected: &'static str| {
            AudioError::InvalidOption {
                path: path.to_path_buf(),
                option,
                value,
                expected,
            }
        };
        if self.target_rate == Some(0) {
            return Err(bad("target_rate", "0".to_string(), "None or a rate > 0 Hz"));
        }
        if !(self.offset.is_finite() && self.offset >= 0.0) {
            return Err(bad(
                "offset",
                self.offset.to_string(),
                "a finite number of seconds >= 0",
            ));
        }
        if let Some(d) = self.duration {
            if !(d.is_finite() && d >= 0.0) {
                return Err(bad(
                    "duration",
                    d.to_string(),
                    "None or a finite number of seconds >= 0",
                ));
            }
        }
        Ok(Span {
            offset: self.offset,
            duration: self.duration,
        })
    }
}

/// A decoded clip: mono `f32` samples and their rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Mono samples (the mean of the file's channels), nominally in `[-1, 1]`, at `sample_rate`.
    /// Never empty.
    pub samples: Vec<f32>,
    /// Rate of `samples` in Hz: the target rate, or the file's own rate if none was asked for.
    pub sample_rate: u32,
    /// The file's own sample rate in Hz.
    pub source_rate: u32,
    /// The file's channel count (before the mix-down).
    pub source_channels: usize,
}

impl Audio {
    /// Length in seconds: `samples.len() / sample_rate`.
    pub fn duration_secs(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

/// Loads a file: decode, mono mix-down, offset/duration, resample (see the crate docs).
///
/// Plans a resampler for this one call; to load many clips, reuse a [`Loader`].
///
/// # Errors
/// [`AudioError::NotFound`] if `path` does not exist, [`AudioError::Io`] for other I/O errors,
/// and every decoding error listed on [`AudioError`].
pub fn load(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Audio, AudioError> {
    Loader::new().load(path, opts)
}

/// Loads a clip from bytes in memory (the whole file's contents). `name` is used in errors and its
/// extension, if any, as a format hint (e.g. `"clip.flac"`).
///
/// Plans a resampler for this one call; to load many clips, reuse a [`Loader`].
///
/// # Errors
/// Every decoding error listed on [`AudioError`], naming `name`.
pub fn load_bytes(bytes: &[u8], name: &str, opts: &LoadOptions) -> Result<Audio, AudioError> {
    Loader::new().load_bytes(bytes, name, opts)
}

/// Loads a clip from any seekable reader (a file, a cursor, a network buffer). `name` is used in
/// errors and its extension, if any, as a format hint.
///
/// Plans a resampler for this one call; to load many clips, reuse a [`Loader`].
///
/// # Errors
/// [`AudioError::Io`] if the reader fails, and every decoding error listed on [`AudioError`],
/// naming `name`.
pub fn load_reader<R: Read + Seek + Send + Sync + 'static>(
    reader: R,
    name: &str,
    opts: &LoadOptions,
) -> Result<Audio, AudioError> {
    Loader::new().load_reader(reader, name, opts)
}

/// How many planned resamplers (distinct rate pairs) a [`Loader`] keeps; the oldest goes first.
const LOADER_PLANS: usize = 8;

/// A reusable loader: [`load`], [`load_bytes`] and [`load_reader`] that keep the resamplers they
/// plan for the next clip.
///
/// Planning a resampler (anti-alias filter design and FFT plans) costs a sizeable part of
/// resampling a short clip (about 0.14 ms against 0.8 ms for a 3.7 s clip from 48 kHz to
/// 22050 Hz), so a corpus at one rate should go through one `Loader` per thread. It keeps up to
/// 8 rate pairs. Results are identical to the free functions: every call resamples from a
/// clean state.
///
/// ```
/// # fn main() -> Result<(), ser_audio::AudioError> {
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/ravdess");
/// let mut loader = ser_audio::Loader::new();
/// let opts = ser_audio::LoadOptions::default();
/// for name in ["03-01-01-01-01-01-01.wav", "03-01-03-01-01-02-01.wav"] {
///     let audio = loader.load(format!("{dir}/{name}"), &opts)?; // plans 48 kHz -> 22050 Hz once
///     assert_eq!(audio.sample_rate, 22050);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Loader {
    /// Planned resamplers, most recently planned last.
    plans: Vec<Resampler>,
}

impl Loader {
    /// A loader with no plans yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// As [`load`].
    ///
    /// # Errors
    /// As [`load`].
    pub fn load(
        &mut self,
        path: impl AsRef<Path>,
        opts: &LoadOptions,
    ) -> Result<Audio, AudioError> {
        let path = path.as_ref();
        let span = opts.validate(path)?;
        let file = open_file(path)?;
        self.finish(decode::decode(Box::new(file), path, span)?, path, opts)
    }

    /// As [`load_bytes`].
    ///
    /// # Errors
    /// As [`load_bytes`].
    pub fn load_bytes(
        &mut self,
        bytes: &[u8],
        name: &str,
        opts: &LoadOptions,
    ) -> Result<Audio, AudioError> {
        let path = Path::new(name);
        let span = opts.validate(path)?;
        if bytes.is_empty() {
            return Err(empty_file(path));
        }
        let d = decode::decode(Box::new(Cursor::new(bytes)), path, span)?;
        self.finish(d, path, opts)
    }

    /// As [`load_reader`].
    ///
    /// # Errors
    /// As [`load_reader`].
    pub fn load_reader<R: Read + Seek + Send + Sync + 'static>(
        &mut self,
        reader: R,
        name: &str,
        opts: &LoadOptions,
    ) -> Result<Audio, AudioError> {
        let path = Path::new(name);
        let span = opts.validate(path)?;
        let src = SeekableReader::new(reader).map_err(|e| io_error(path, e))?;
        self.finish(decode::decode(Box::new(src), path, span)?, path, opts)
    }

    /// As [`resample`], with the plan for `from` -> `to` kept for the next call.
    ///
    /// # Errors
    /// As [`resample`].
    pub fn resample(
        &mut self,
        samples: &[f32],
        from: u32,
        to: u32,
    ) -> Result<Vec<f32>, AudioError> {
        self.resampler(from, to)?.process(samples)
    }

    /// The planned resampler for `from` -> `to`, planning it if needed.
    fn resampler(&mut self, from: u32, to: u32) -> Result<&mut Resampler, AudioError> {
        let found = self
            .plans
            .iter()
            .position(|r| r.from_rate() == from && r.to_rate() == to);
        let i = match found {
            Some(i) => i,
            None => {
                let r = Resampler::new(from, to)?;
                if self.plans.len() == LOADER_PLANS {
                    self.plans.remove(0);
                }
                self.plans.push(r);
                self.plans.len() - 1
            }
        };
        Ok(&mut self.plans[i])
    }

    /// Checks the decoded span (non-empty, finite) and resamples it.
    fn finish(&mut self, d: Decoded, path: &Path, opts: &LoadOptions) -> Result<Audio, AudioError> {
        if d.samples.is_empty() {
            return Err(AudioError::Empty {
                path: path.to_path_buf(),
                source_frames: d.frames_decoded,
                offset_frames: d.start_frame,
            });
        }
        check_finite(&d.samples, path, d.start_frame)?;
        let (samples, sample_rate) = match opts.target_rate {
            Some(to) if to != d.rate => {
                let y = self
                    .resampler(d.rate, to)
                    .and_then(|r| r.process(&d.samples))
                    .map_err(|e| e.at_path(path))?;
                (y, to)
            }
            _ => (d.samples, d.rate),
        };
        Ok(Audio {
            samples,
            sample_rate,
            source_rate: d.rate,
            source_channels: d.channels,
        })
    }
}

/// [`AudioError::NonFinite`] for the first NaN or infinite sample of `samples`, the decoded
/// frames from `first_frame` of the file at `path`.
fn check_finite(samples: &[f32], path: &Path, first_frame: u64) -> Result<(), AudioError> {
    match first_sample_where(samples, |v| !v.is_finite()) {
        Some((i, v)) => Err(AudioError::NonFinite {
            path: path.to_path_buf(),
            frame: first_frame + i as u64,
            value: v,
        }),
        None => Ok(()),
    }
}

/// Opens a file to decode; an empty file is not audio.
fn open_file(path: &Path) -> Result<std::fs::File, AudioError> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        // Opening a directory succeeds on Unix; reading it would fail as "not audio".
        let e = std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory");
        return Err(io_error(path, e));
    }
    let len = meta.len();
    if len == 0 {
        return Err(empty_file(path));
    }
    Ok(file)
}

/// Index and value of the first sample for which `bad` holds. Scans in blocks with the test
/// folded branch-free over each block, so the common all-good case vectorises; `bad` should
/// be a cheap comparison.
pub(crate) fn first_sample_where(x: &[f32], bad: impl Fn(f32) -> bool) -> Option<(usize, f32)> {
    const BLOCK: usize = 256;
    for (b, chunk) in x.chunks(BLOCK).enumerate() {
        if chunk.iter().fold(false, |any, &v| any | bad(v)) {
            let i = chunk.iter().position(|&v| bad(v))?;
            return Some((b * BLOCK + i, chunk[i]));
        }
    }
    None
}

fn io_error(path: &Path, e: std::io::Error) -> AudioError {
    if e.kind() == std::io::ErrorKind::NotFound {
        AudioError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        AudioError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

fn empty_file(path: &Path) -> AudioError {
    AudioError::NotAudio {
        path: PathBuf::from(path),
        detail: "empty file (0 bytes)".to_string(),
    }
}
