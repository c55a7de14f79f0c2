//! Decoding with symphonia 0.6 into a mono `f32` signal at the file's own rate.

use std::io::{Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use symphonia::core::audio::conv::FromSample;
use symphonia::core::audio::sample::Sample;
use symphonia::core::audio::{Audio, AudioBuffer, GenericAudioBufferRef};
use symphonia::core::codecs::audio::{
    well_known as ids, AudioCodecId, AudioDecoder, AudioDecoderOptions,
};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use crate::AudioError;

/// Most samples reserved up front from a header's frame count (16 Mi samples, 64 MiB); a longer
/// clip just grows the vector. Guards against headers that declare absurd lengths.
const MAX_RESERVE: u64 = 1 << 24;

/// Which part of the stream to keep, in seconds (validated: finite, >= 0).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    /// Start, seconds.
    pub offset: f64,
    /// Length, seconds; `None` = to the end.
    pub duration: Option<f64>,
}

impl Span {
    /// The span in frames at `rate` Hz, as librosa's `load` computes it:
    /// `start = int(offset * sr)`, `len = int(duration * sr)` (truncation).
    pub(crate) fn frames(&self, rate: u32) -> (u64, Option<u64>) {
        let r = f64::from(rate);
        // `as` saturates for out-of-range floats; the inputs are finite and >= 0.
        let start = (self.offset * r) as u64;
        let len = self.duration.map(|d| (d * r) as u64);
        (start, len)
    }

    /// The span's first frame and end (exclusive; `None` = to the end) at `rate` Hz.
    pub(crate) fn bounds(&self, rate: u32) -> (u64, Option<u64>) {
        let (start, len) = self.frames(rate);
        (start, len.map(|l| start.saturating_add(l)))
    }
}

/// The mono mix-down of (a span of) a file at its own rate.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// Mono samples (mean of the channels), the kept span only.
    pub samples: Vec<f32>,
    /// The file's sample rate in Hz.
    pub rate: u32,
    /// The file's channel count.
    pub channels: usize,
    /// Frames decoded in all (up to the end of the span when decoding stopped early).
    pub frames_decoded: u64,
    /// The span's first frame at `rate`.
    pub start_frame: u64,
}

/// A `Read + Seek` adapter that tells symphonia the source is seekable and how long it is.
pub(crate) struct SeekableReader<R> {
    inner: R,
    len: Option<u64>,
}

impl<R: Read + Seek> SeekableReader<R> {
    /// Wraps `inner`, measuring its length by seeking to the end and back.
    pub(crate) fn new(mut inner: R) -> std::io::Result<Self> {
        let pos = inner.stream_position()?;
        let end = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(pos))?;
        Ok(Self {
            inner,
            len: Some(end),
        })
    }
}

impl<R: Read> Read for SeekableReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for SeekableReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: Read + Seek + Send + Sync> MediaSource for SeekableReader<R> {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        self.len
    }
}

/// Names for the codecs symphonia knows by id (used in [`AudioError::UnsupportedCodec`]).
fn codec_name(id: AudioCodecId) -> String {
    let known: &[(AudioCodecId, &str)] = &[
        (ids::CODEC_ID_OPUS, "opus"),
        (ids::CODEC_ID_SPEEX, "speex"),
        (ids::CODEC_ID_MUSEPACK, "musepack"),
        (ids::CODEC_ID_AC3, "ac3"),
        (ids::CODEC_ID_EAC3, "eac3"),
        (ids::CODEC_ID_AC4, "ac4"),
        (ids::CODEC_ID_DCA, "dts"),
        (ids::CODEC_ID_ATRAC1, "atrac1"),
        (ids::CODEC_ID_ATRAC3, "atrac3"),
        (ids::CODEC_ID_ATRAC3PLUS, "atrac3plus"),
        (ids::CODEC_ID_ATRAC9, "atrac9"),
        (ids::CODEC_ID_WMA, "wma"),
        (ids::CODEC_ID_RA10, "realaudio 1.0"),
        (ids::CODEC_ID_RA20, "realaudio 2.0"),
        (ids::CODEC_ID_SIPR, "sipr"),
        (ids::CODEC_ID_COOK, "cook"),
        (ids::CODEC_ID_SBC, "sbc"),
        (ids::CODEC_ID_APTX, "aptx"),
        (ids::CODEC_ID_APTX_HD, "aptx hd"),
        (ids::CODEC_ID_LDAC, "ldac"),
        (ids::CODEC_ID_BINK_AUDIO, "bink audio"),
        (ids::CODEC_ID_SMACKER_AUDIO, "smacker audio"),
        (ids::CODEC_ID_WAVPACK, "wavpack"),
        (ids::CODEC_ID_MONKEYS_AUDIO, "monkey's audio"),
        (ids::CODEC_ID_TTA, "tta"),
        (ids::CODEC_ID_RALF, "ralf"),
        (ids::CODEC_ID_TRUEHD, "truehd"),
        (ids::CODEC_ID_ADPCM_G722, "adpcm g.722"),
        (ids::CODEC_ID_ADPCM_G726, "adpcm g.726"),
        (ids::CODEC_ID_ADPCM_G726LE, "adpcm g.726le"),
        (ids::CODEC_ID_ADPCM_IMA_QT, "adpcm ima qt"),
        (ids::CODEC_ID_PCM_ALAW, "pcm a-law"),
        (ids::CODEC_ID_PCM_MULAW, "pcm mu-law"),
        (ids::CODEC_ID_AAC, "aac"),
        (ids::CODEC_ID_ALAC, "alac"),
        (ids::CODEC_ID_MP1, "mp1"),
        (ids::CODEC_ID_MP2, "mp2"),
        (ids::CODEC_ID_MP3, "mp3"),
        (ids::CODEC_ID_VORBIS, "vorbis"),
        (ids::CODEC_ID_FLAC, "flac"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == id)
        .map_or_else(|| format!("id {id}"), |(_, n)| (*n).to_string())
}

/// Adds the channel mean of frames `[skip, skip + take)` of `buf` to the end of `out`.
///
/// Mono buffers are converted straight into `out`; multichannel ones are accumulated plane by
/// plane (each sample scaled by `1 / channels`, so large float samples cannot overflow), which
/// reads each plane contiguously and allocates nothing beyond `out`'s growth.
///
/// `conv` turns one sample into `f32` (symphonia's `FromSample`, or a faster equivalent).
fn mix_into<S, F>(buf: &AudioBuffer<S>, skip: usize, take: usize, out: &mut Vec<f32>, conv: F)
where
    S: Sample,
    F: Fn(S) -> f32,
{
    let planes = buf.num_planes();
    if planes == 0 || take == 0 {
        return;
    }
    let base = out.len();
    if planes == 1 {
        if let Some(p) = buf.plane(0) {
            let end = (skip + take).min(p.len());
            let src = p.get(skip..end).unwrap_or(&[]);
            out.extend(src.iter().map(|&s| conv(s)));
        }
        return;
    }
    out.resize(base + take, 0.0);
    let dst = &mut out[base..];
    let inv = 1.0 / planes as f32;
    for ch in 0..planes {
        if let Some(p) = buf.plane(ch) {
            let end = (skip + take).min(p.len());
            let src = p.get(skip..end).unwrap_or(&[]);
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += conv(s) * inv;
            }
        }
    }
}

fn mix_generic(buf: &GenericAudioBufferRef<'_>, skip: usize, take: usize, out: &mut Vec<f32>) {
    match buf {
        GenericAudioBufferRef::U8(b) => mix_into(b, skip, take, out, f32::from_sample),
        GenericAudioBufferRef::U16(b) => mix_into(b, skip, take, out, f32::from_sample),
        GenericAudioBufferRef::U24(b) => mix_into(b, skip, take, out, f32::from_sample),
        GenericAudioBufferRef::U32(b) => mix_into(b, skip, take, out, f32::from_sample),
        GenericAudioBufferRef::S8(b) => mix_into(b, skip, take, out, f32::from_sample),
        GenericAudioBufferRef::S16(b) => mix_into(b, skip, take, out, f32::from_sample),
        GenericAudioBufferRef::S24(b) => mix_into(b, skip, take, out, f32::from_sample),
        // FLAC and 32-bit WAV: symphonia converts through f64 (`s as f64 / 2^31`), which does
        // not vectorise well; rounding `s` to f32 and scaling by the power of two 2^-31 rounds
        // the same real number once, so the result is bit-identical.
        GenericAudioBufferRef::S32(b) => mix_into(b, skip, take, out, i32_to_f32),
        GenericAudioBufferRef::F32(b) => mix_into(b, skip, take, out, f32::from_sample),
        GenericAudioBufferRef::F64(b) => mix_into(b, skip, take, out, f32::from_sample),
    }
}

/// `s / 2^31` as f32, bit-identical to symphonia's `f32::from_sample(s)` (tested).
#[inline]
fn i32_to_f32(s: i32) -> f32 {
    s as f32 * (1.0 / 2_147_483_648.0)
}

fn corrupt(path: &Path, e: &SymError) -> AudioError {
    AudioError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Runs `f` under [`catch_unwind`]: symphonia is documented to possibly panic on some malformed
/// streams, and a panic becomes [`AudioError::Corrupt`] (symphonia is pure safe Rust, so
/// unwinding out of it leaves no broken invariants we rely on: the reader, decoder and partial
/// output are all dropped or left at a packet boundary).
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, AudioError>) -> Result<T, AudioError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            Err(AudioError::Corrupt {
                path: path.to_path_buf(),
                detail: format!("decoder panicked: {msg}"),
            })
        }
    }
}

/// Decodes the default audio track of `source` to mono at its own rate, keeping `span` only:
/// [`PacketDecoder`] run to the end.
pub(crate) fn decode(
    source: Box<dyn MediaSource + '_>,
    path: &Path,
    span: Span,
) -> Result<Decoded, AudioError> {
    let mut decoder = PacketDecoder::open(source, path, span)?;
    let mut samples = Vec::with_capacity(decoder.reserve().min(MAX_RESERVE) as usize);
    while decoder.next_into(&mut samples)? {}
    decoder.finish(samples)
}

/// Packet-by-packet decoding of the default audio track of a source to mono at its own rate,
/// keeping a span only: the one decoding loop behind [`decode`] (whole file) and
/// [`crate::AudioStream`] (block by block). Each step runs under [`catch_unwind`].
pub(crate) struct PacketDecoder<'s> {
    format: Box<dyn FormatReader + 's>,
    decoder: Box<dyn AudioDecoder>,
    path: PathBuf,
    span: Span,
    track_id: u32,
    declared_frames: Option<u64>,
    /// The file's rate (0 until known: from the header, else the first buffer).
    rate: u32,
    channels: usize,
    /// The span in frames, once the rate is known.
    start: u64,
    span_end: Option<u64>,
    /// Frames decoded so far.
    frames: u64,
    done: bool,
}

impl<'s> PacketDecoder<'s> {
    /// Probes `source` and opens a decoder for its default audio track.
    pub(crate) fn open(
        source: Box<dyn MediaSource + 's>,
        path: &Path,
        span: Span,
    ) -> Result<Self, AudioError> {
        guarded(path, || Self::open_inner(source, path, span))
    }

    fn open_inner(
        source: Box<dyn MediaSource + 's>,
        path: &Path,
        span: Span,
    ) -> Result<Self, AudioError> {
        let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(&ext.to_ascii_lowercase());
        }
        let format = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| match e {
                SymError::Unsupported(what) => AudioError::NotAudio {
                    path: path.to_path_buf(),
                    detail: what.to_string(),
                },
                SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                    AudioError::NotAudio {
                        path: path.to_path_buf(),
                        detail: "the data ends before any known header".to_string(),
                    }
                }
                SymError::IoError(io) => AudioError::Io {
                    path: path.to_path_buf(),
                    source: io,
                },
                other => corrupt(path, &other),
            })?;

        let track =
            format
                .default_track(TrackType::Audio)
                .ok_or_else(|| AudioError::NoAudioTrack {
                    path: path.to_path_buf(),
                })?;
        let track_id = track.id;
        let declared_frames = track.num_frames;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| AudioError::NoAudioTrack {
                path: path.to_path_buf(),
            })?
            .clone();

        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| match e {
                SymError::Unsupported(_) => AudioError::UnsupportedCodec {
                    path: path.to_path_buf(),
                    codec: codec_name(params.codec),
                },
                other => corrupt(path, &other),
            })?;

        let rate = params.sample_rate.unwrap_or(0);
        let channels = params.channels.as_ref().map_or(0, |c| c.count());
        let mut d = Self {
            format,
            decoder,
            path: path.to_path_buf(),
            span,
            track_id,
            declared_frames,
            rate,
            channels,
            start: 0,
            span_end: None,
            frames: 0,
            done: false,
        };
        if rate > 0 {
            d.set_bounds(rate);
        }
        Ok(d)
    }

    /// The span in frames at `rate`.
    fn set_bounds(&mut self, rate: u32) {
        (self.start, self.span_end) = self.span.bounds(rate);
    }

    /// Frames the header says the span holds (0 when it does not say).
    pub(crate) fn reserve(&self) -> u64 {
        self.declared_frames.map_or(0, |n| match self.span_end {
            Some(e) => n.min(e).saturating_sub(self.start),
            None => n.saturating_sub(self.start),
        })
    }

    /// The file's sample rate in Hz (0 while unknown: some containers only say with the first
    /// decoded buffer).
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    /// The file's channel count (0 while unknown).
    pub(crate) fn channels(&self) -> usize {
        self.channels
    }

    /// The span's first frame at the file's rate.
    pub(crate) fn start_frame(&self) -> u64 {
        self.start
    }

    /// Frames decoded so far.
    pub(crate) fn frames_decoded(&self) -> u64 {
        self.frames
    }

    /// Decodes the next packet of the track, appending its frames inside the span (mono) to
    /// `out`; `Ok(false)` once the stream or the span has ended (nothing appended).
    pub(crate) fn next_into(&mut self, out: &mut Vec<f32>) -> Result<bool, AudioError> {
        if self.done {
            return Ok(false);
        }
        let path = self.path.clone();
        let more = guarded(&path, || self.next_inner(out));
        if !matches!(more, Ok(true)) {
            self.done = true;
        }
        more
    }

    fn next_inner(&mut self, out: &mut Vec<f32>) -> Result<bool, AudioError> {
        let path = self.path.as_path();
        loop {
            if self.span_end.is_some_and(|e| self.frames >= e) {
                return Ok(false);
            }
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(false),
                // A chained Ogg stream switches tracks: only the first logical stream is decoded.
                Err(SymError::ResetRequired) => return Ok(false),
                Err(SymError::IoError(io)) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return match self.declared_frames {
                        Some(n) if self.frames < n => Err(AudioError::Truncated {
                            path: path.to_path_buf(),
                            expected_frames: n,
                            actual_frames: self.frames,
                        }),
                        _ => Ok(false),
                    }
                }
                Err(SymError::IoError(io)) => {
                    return Err(AudioError::Io {
                        path: path.to_path_buf(),
                        source: io,
                    })
                }
                Err(e) => return Err(corrupt(path, &e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let buf = self
                .decoder
                .decode(&packet)
                .map_err(|e| corrupt(path, &e))?;
            let n = buf.frames() as u64;
            if n == 0 {
                continue;
            }
            if self.rate == 0 {
                self.rate = buf.spec().rate();
                (self.start, self.span_end) = self.span.bounds(self.rate);
            }
            if self.channels == 0 {
                self.channels = buf.spec().channels().count();
            }
            // Frames of this buffer inside [span.start, span_end).
            let frames = self.frames;
            let lo = self.start.max(frames);
            let hi = self.span_end.map_or(frames + n, |e| e.min(frames + n));
            if hi > lo {
                let skip = (lo - frames) as usize;
                let take = (hi - lo) as usize;
                mix_generic(&buf, skip, take, out);
            }
            self.frames += n;
            return Ok(true);
        }
    }

    /// The decoded `samples` with what is known about the stream; fails for a stream that
    /// never said its rate.
    pub(crate) fn finish(&self, samples: Vec<f32>) -> Result<Decoded, AudioError> {
        if self.rate == 0 {
            return Err(AudioError::Corrupt {
                path: self.path.clone(),
                detail: "the stream declares a sample rate of 0 Hz".to_string(),
            });
        }
        Ok(Decoded {
            samples,
            rate: self.rate,
            channels: self.channels.max(1),
            frames_decoded: self.frames,
            start_frame: self.start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i32_conversion_is_bit_identical_to_symphonia() {
        let mut s: u32 = 0x9E37_79B9;
        let check = |v: i32| {
            assert_eq!(
                i32_to_f32(v).to_bits(),
                f32::from_sample(v).to_bits(),
                "{v}"
            )
        };
        for v in [
            0,
            1,
            -1,
            i32::MIN,
            i32::MAX,
            1 << 24,
            (1 << 24) + 1,
            -(1 << 24) - 3,
            0x7FFF_FF80,
        ] {
            check(v);
        }
        for _ in 0..1_000_000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            check(s as i32);
            check((s as i32) >> (s % 31));
        }
    }
}
