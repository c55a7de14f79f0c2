//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while loading or resampling audio.
///
/// Every variant that concerns a file carries `path`: the file's path for [`load`](crate::load),
/// or the `name` argument for [`load_bytes`](crate::load_bytes) and
/// [`load_reader`](crate::load_reader). Variants carry the expected and actual values where there
/// are any, so the message alone says what was wrong.
///
/// | variant | when |
/// |---|---|
/// | [`NotFound`](AudioError::NotFound) | the path does not exist |
/// | [`Io`](AudioError::Io) | any other I/O error while opening or reading |
/// | [`NotAudio`](AudioError::NotAudio) | no container format recognised (text, random bytes, empty file) |
/// | [`UnsupportedCodec`](AudioError::UnsupportedCodec) | a known container holding a codec this build cannot decode |
/// | [`Corrupt`](AudioError::Corrupt) | malformed headers or packets, or a decoder panic caught at the boundary |
/// | [`Truncated`](AudioError::Truncated) | the stream ends before the frame count its header declares |
/// | [`NoAudioTrack`](AudioError::NoAudioTrack) | the container has no decodable audio track |
/// | [`Empty`](AudioError::Empty) | the file decodes to zero samples (or the offset is past its end) |
/// | [`NonFinite`](AudioError::NonFinite) | a decoded sample is NaN or infinite (float WAVs) |
/// | [`InvalidOption`](AudioError::InvalidOption) | a [`LoadOptions`](crate::LoadOptions) field is out of range |
/// | [`InvalidRate`](AudioError::InvalidRate) | a zero sample rate given to the resampler |
/// | [`TooLong`](AudioError::TooLong) | the resampled output would exceed [`MAX_SAMPLES`](crate::MAX_SAMPLES) |
/// | [`TooLoud`](AudioError::TooLoud) | a sample beyond [`MAX_RESAMPLE_MAGNITUDE`](crate::MAX_RESAMPLE_MAGNITUDE) was to be resampled |
/// | [`Resample`](AudioError::Resample) | the resampling library reported an error |
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file does not exist.
    #[error("{path}: file not found")]
    NotFound {
        /// The path that was asked for.
        path: PathBuf,
    },

    /// Opening or reading the file failed for a reason other than "not found".
    #[error("{path}: I/O error")]
    Io {
        /// The file (or the `name` given for a reader).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// No supported container format was recognised in the bytes.
    #[error("{path}: not a recognised audio file ({detail})")]
    NotAudio {
        /// The file (or name).
        path: PathBuf,
        /// What the probe reported.
        detail: String,
    },

    /// The container was recognised but its audio codec cannot be decoded by this build.
    #[error("{path}: unsupported audio codec {codec}")]
    UnsupportedCodec {
        /// The file (or name).
        path: PathBuf,
        /// The codec's name (e.g. `"opus"`), or its numeric id when the name is not known.
        codec: String,
    },

    /// The stream is malformed: a header or packet could not be parsed, or the decoder panicked
    /// (caught and reported here, see the crate docs).
    #[error("{path}: corrupt audio stream: {detail}")]
    Corrupt {
        /// The file (or name).
        path: PathBuf,
        /// What the demuxer or decoder reported.
        detail: String,
    },

    /// The stream ends before the number of frames its header declares.
    #[error("{path}: truncated audio stream: header declares {expected_frames} frames, only {actual_frames} present")]
    Truncated {
        /// The file (or name).
        path: PathBuf,
        /// Frames (samples per channel) the header declares.
        expected_frames: u64,
        /// Frames actually decoded before the data ran out.
        actual_frames: u64,
    },

    /// The container holds no audio track with known codec parameters.
    #[error("{path}: no audio track")]
    NoAudioTrack {
        /// The file (or name).
        path: PathBuf,
    },

    /// Decoding produced zero samples (an empty data chunk, or an offset at or past the end).
    #[error(
        "{path}: no audio samples (file has {source_frames} frames, offset {offset_frames} frames)"
    )]
    Empty {
        /// The file (or name).
        path: PathBuf,
        /// Frames decoded from the file, before offset/duration were applied.
        source_frames: u64,
        /// The offset in frames at the file's rate that was requested.
        offset_frames: u64,
    },

    /// A decoded sample (after the mono mix-down) is NaN or infinite.
    #[error("{path}: non-finite sample {value} at frame {frame}")]
    NonFinite {
        /// The file (or name).
        path: PathBuf,
        /// Index of the first offending frame, at the file's rate.
        frame: u64,
        /// Its value (NaN or ±inf).
        value: f32,
    },

    /// A [`LoadOptions`](crate::LoadOptions) field is out of range.
    #[error("{path}: invalid option {option} = {value}: expected {expected}")]
    InvalidOption {
        /// The file (or name) being loaded.
        path: PathBuf,
        /// The field name, e.g. `"offset"`.
        option: &'static str,
        /// The value given, formatted.
        value: String,
        /// What is allowed, e.g. `"a finite number >= 0"`.
        expected: &'static str,
    },

    /// A sample rate of zero was given to the resampler (or a file declared one).
    #[error("invalid sample rates: from {from} Hz to {to} Hz (both must be > 0)")]
    InvalidRate {
        /// Input rate in Hz.
        from: u32,
        /// Output rate in Hz.
        to: u32,
    },

    /// The resampled output would be longer than [`MAX_SAMPLES`](crate::MAX_SAMPLES).
    #[error("{}resampling {input} samples from {from} Hz to {to} Hz gives {output} samples, more than the limit of {limit}", prefix(.path.as_deref()))]
    TooLong {
        /// The file being loaded; `None` from [`resample`](crate::resample) / [`Resampler`](crate::Resampler).
        path: Option<PathBuf>,
        /// Input length in samples.
        input: usize,
        /// Output length in samples it would give.
        output: u64,
        /// The limit, [`MAX_SAMPLES`](crate::MAX_SAMPLES).
        limit: u64,
        /// Input rate in Hz.
        from: u32,
        /// Output rate in Hz.
        to: u32,
    },

    /// A sample is not finite (NaN, ±inf) or too large in magnitude to resample: the FFT sums
    /// inside the resampler would overflow `f32` or spread the NaN (audio is nominally within
    /// ±1; only corrupt float data gets here).
    #[error("{}sample {value:e} at index {index} cannot be resampled (it must be finite with |sample| at most {limit:e})", prefix(.path.as_deref()))]
    TooLoud {
        /// The file being loaded; `None` from [`resample`](crate::resample) / [`Resampler`](crate::Resampler).
        path: Option<PathBuf>,
        /// Index of the first such sample in the resampler's input.
        index: usize,
        /// Its value.
        value: f32,
        /// The largest magnitude accepted, [`MAX_RESAMPLE_MAGNITUDE`](crate::MAX_RESAMPLE_MAGNITUDE).
        limit: f32,
    },

    /// The resampling library reported an error (not expected for valid rates).
    #[error("resampling from {from} Hz to {to} Hz failed: {detail}")]
    Resample {
        /// Input rate in Hz.
        from: u32,
        /// Output rate in Hz.
        to: u32,
        /// The library's message.
        detail: String,
    },
}

impl AudioError {
    /// Names `file` in the resampler's errors, which are raised without one (`TooLong`,
    /// `TooLoud` from [`Resampler`](crate::Resampler)); other errors are returned unchanged.
    pub(crate) fn at_path(mut self, file: &std::path::Path) -> Self {
        if let AudioError::TooLong { path, .. } | AudioError::TooLoud { path, .. } = &mut self {
            if path.is_none() {
                *path = Some(file.to_path_buf());
            }
        }
        self
    }

    /// The file (or name) the error concerns, if it concerns one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            AudioError::NotFound { path }
            | AudioError::Io { path, .. }
            | AudioError::NotAudio { path, .. }
            | AudioError::UnsupportedCodec { path, .. }
            | AudioError::Corrupt { path, .. }
            | AudioError::Truncated { path, .. }
            | AudioError::NoAudioTrack { path }
            | AudioError::Empty { path, .. }
            | AudioError::NonFinite { path, .. }
            | AudioError::InvalidOption { path, .. } => Some(path),
            AudioError::TooLong { path, .. } | AudioError::TooLoud { path, .. } => path.as_deref(),
            AudioError::InvalidRate { .. } | AudioError::Resample { .. } => None,
        }
    }
}

/// `"path: "` for messages about an optional file.
fn prefix(path: Option<&std::path::Path>) -> String {
    path.map_or_else(String::new, |p| format!("{}: ", p.display()))
}
