//! [`AudioStream`]: a file decoded, mixed down and resampled block by block.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use crate::decode::{PacketDecoder, SeekableReader};
use crate::{check_finite, io_error, open_file, AudioError, LoadOptions, Resampler};

/// A long recording read block by block: the same samples as [`crate::load`] (bit-identical,
/// tested), but in memory that does not depend on the recording's length. Each
/// [`read`](Self::read) decodes one packet (symphonia: a few ms to about 100 ms of audio,
/// depending on the container), mixes it down to mono and pushes it through the resampler
/// ([`Resampler::push`], which holds at most one chunk of about 2048 frames).
///
/// A file can be streamed any number of times (open a new `AudioStream` for each pass).
///
/// ```
/// # fn main() -> Result<(), ser_audio::AudioError> {
/// # let clip = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/ravdess/03-01-01-01-01-01-01.wav");
/// use ser_audio::{AudioStream, LoadOptions};
/// let opts = LoadOptions::default(); // mono, 22050 Hz
/// let mut stream = AudioStream::open(clip, &opts)?;
/// assert_eq!(stream.sample_rate(), 22050);
/// let (mut block, mut total, mut peak) = (Vec::new(), 0, 0.0f32);
/// while stream.read(&mut block)? {
///     total += block.len();
///     peak = block.iter().fold(peak, |p, x| p.max(x.abs()));
/// }
/// assert_eq!(total, ser_audio::load(clip, &opts)?.samples.len());
/// # Ok(())
/// # }
/// ```
pub struct AudioStream {
    decoder: PacketDecoder<'static>,
    /// From the file's rate to the target, when they differ.
    resampler: Option<Resampler>,
    path: PathBuf,
    /// The decoded (mono, file-rate) samples of the current packet.
    decoded: Vec<f32>,
    /// The first packet, decoded by `open` to learn the rate when the header does not say.
    held: Option<Vec<f32>>,
    /// Source frames of the span decoded so far.
    kept: u64,
    /// Output samples returned so far.
    returned: u64,
    /// The decoder has ended and the resampler was flushed.
    ended: bool,
}

impl std::fmt::Debug for AudioStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioStream")
            .field("path", &self.path)
            .field("source_rate", &self.decoder.rate())
            .field("sample_rate", &self.sample_rate())
            .field("returned", &self.returned)
            .finish_non_exhaustive()
    }
}

impl AudioStream {
    /// Opens a file to stream with `opts` (target rate, offset, duration: as [`crate::load`]).
    ///
    /// # Errors
    /// As [`crate::load`] for opening and probing the file (the errors of the samples come
    /// from [`read`](Self::read)).
    pub fn open(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Self, AudioError> {
        let path = path.as_ref();
        let span = opts.validate(path)?;
        let file = open_file(path)?;
        Self::start(PacketDecoder::open(Box::new(file), path, span)?, path, opts)
    }

    /// Streams from any seekable reader; `name` is used in errors and its extension, if any,
    /// as a format hint.
    ///
    /// # Errors
    /// As [`crate::load_reader`] for opening and probing.
    pub fn from_reader<R: Read + Seek + Send + Sync + 'static>(
        reader: R,
        name: &str,
        opts: &LoadOptions,
    ) -> Result<Self, AudioError> {
        let path = Path::new(name);
        let span = opts.validate(path)?;
        let src = SeekableReader::new(reader).map_err(|e| io_error(path, e))?;
        Self::start(PacketDecoder::open(Box::new(src), path, span)?, path, opts)
    }

    fn start(
        mut decoder: PacketDecoder<'static>,
        path: &Path,
        opts: &LoadOptions,
    ) -> Result<Self, AudioError> {
        let mut held = None;
        if decoder.rate() == 0 {
            let mut first = Vec::new();
            decoder.next_into(&mut first)?;
            held = Some(first);
        }
        // A stream that never says its rate is corrupt (as `load` reports it).
        decoder.finish(Vec::new())?;
        let resampler = match opts.target_rate {
            Some(to) if to != decoder.rate() => {
                Some(Resampler::new(decoder.rate(), to).map_err(|e| e.at_path(path))?)
            }
            _ => None,
        };
        Ok(Self {
            decoder,
            resampler,
            path: path.to_path_buf(),
            decoded: Vec::new(),
            held,
            kept: 0,
            returned: 0,
            ended: false,
        })
    }

    /// Rate of the samples [`read`](Self::read) returns, Hz: the target rate, or the file's
    /// own.
    pub fn sample_rate(&self) -> u32 {
        self.resampler
            .as_ref()
            .map_or(self.decoder.rate(), Resampler::to_rate)
    }

    /// The file's own sample rate in Hz.
    pub fn source_rate(&self) -> u32 {
        self.decoder.rate()
    }

    /// The file's channel count (before the mix-down).
    pub fn source_channels(&self) -> usize {
        self.decoder.channels().max(1)
    }

    /// Samples returned so far (at [`sample_rate`](Self::sample_rate)).
    pub fn samples_read(&self) -> u64 {
        self.returned
    }

    /// Replaces the contents of `out` with the next samples (mono, at
    /// [`sample_rate`](Self::sample_rate)); `Ok(false)`, with `out` empty, once the stream has
    /// ended. Blocks are not empty and have no fixed length (a packet's worth, resampled).
    ///
    /// # Errors
    /// As [`crate::load`]: [`AudioError::Empty`] at the end of a stream without samples in the
    /// span, [`AudioError::NonFinite`], [`AudioError::TooLoud`] and the decoding errors.
    pub fn read(&mut self, out: &mut Vec<f32>) -> Result<bool, AudioError> {
        out.clear();
        while out.is_empty() && !self.ended {
            let more = match self.held.take() {
                Some(first) => {
                    self.decoded = first;
                    true
                }
                None => {
                    self.decoded.clear();
                    self.decoder.next_into(&mut self.decoded)?
                }
            };
            if more {
                let first_frame = self.decoder.start_frame() + self.kept;
                check_finite(&self.decoded, &self.path, first_frame)?;
                self.kept += self.decoded.len() as u64;
                match &mut self.resampler {
                    Some(r) => r
                        .push(&self.decoded, out)
                        .map_err(|e| e.at_path(&self.path))?,
                    None => out.extend_from_slice(&self.decoded),
                }
            } else {
                self.ended = true;
                if self.kept == 0 {
                    return Err(AudioError::Empty {
                        path: self.path.clone(),
                        source_frames: self.decoder.frames_decoded(),
                        offset_frames: self.decoder.start_frame(),
                    });
                }
                if let Some(r) = &mut self.resampler {
                    r.finish(out).map_err(|e| e.at_path(&self.path))?;
                }
            }
        }
        self.returned += out.len() as u64;
        Ok(!out.is_empty())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data");

    #[test]
    fn streamed_samples_equal_load_bit_for_bit() {
        let files: Vec<PathBuf> = crate::discover::audio_files(Path::new(DATA))
            .unwrap()
            .into_iter()
            .take(12)
            .collect();
        assert!(!files.is_empty());
        for opts in [
            LoadOptions::default(),
            LoadOptions::with_rate(16000),
            LoadOptions::native_rate(),
            LoadOptions {
                target_rate: Some(16000),
                offset: 0.3,
                duration: Some(1.1),
            },
        ] {
            for file in &files {
                let Ok(whole) = crate::load(file, &opts) else {
                    assert!(AudioStream::open(file, &opts)
                        .and_then(|mut s| {
                            let mut b = Vec::new();
                            while s.read(&mut b)? {}
                            Ok(())
                        })
                        .is_err());
                    continue;
                };
                let mut stream = AudioStream::open(file, &opts).unwrap();
                assert_eq!(stream.sample_rate(), whole.sample_rate);
                assert_eq!(stream.source_rate(), whole.source_rate);
                let (mut all, mut block) = (Vec::new(), Vec::new());
                while stream.read(&mut block).unwrap() {
                    assert!(!block.is_empty());
                    all.extend_from_slice(&block);
                }
                assert!(block.is_empty());
                assert!(!stream.read(&mut block).unwrap());
                assert_eq!(all, whole.samples, "{} {opts:?}", file.display());
                assert_eq!(stream.samples_read(), all.len() as u64);
            }
        }
    }

    #[test]
    fn errors_match_load() {
        let missing = AudioStream::open("no/such/file.wav", &LoadOptions::default());
        assert!(matches!(missing, Err(AudioError::NotFound { .. })));
        let junk = AudioStream::from_reader(
            std::io::Cursor::new(b"not audio at all".to_vec()),
            "x.txt",
            &LoadOptions::default(),
        );
        assert!(matches!(junk, Err(AudioError::NotAudio { .. })));
    }
}
