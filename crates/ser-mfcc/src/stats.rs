//! [`SpeechStats`]: per-clip statistics of frame-level features over the clip's speech frames.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::config::LogMelConfig;
use crate::dct::dct_ortho_matrix;
use crate::delta::DeltaFilter;
use crate::error::{invalid, MfccError};
use crate::logmel::LogMel;
use crate::pitch::{Pitch, PitchConfig};
use crate::vad::{nearest_rank, sorted, Vad, VadConfig, VadDecision};

/// Settings of [`SpeechStats`]. In JSON every field is optional (defaults below) and unknown
/// fields are rejected, so a stored specification never silently loses a setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpeechStatsConfig {
    /// The log-mel spectrogram the statistics are taken over. Default [`LogMelConfig`]'s
    /// default: 16 kHz, n_fft 512, 25 ms window, 10 ms hop, 64 Slaney mel bands, dB with an
    /// 80 dB floor.
    pub log_mel: LogMelConfig,
    /// MFCCs (DCT-II ortho of the log-mel frames, librosa `mfcc(S=log_mel)`), `1..=n_mels`.
    /// Default 40.
    pub n_mfcc: usize,
    /// Savitzky-Golay window of the MFCC deltas (librosa `delta(width=..)`), odd and >= 3.
    /// Clips with fewer frames get zero deltas. Default 9.
    pub delta_width: usize,
    /// Which frames count: `Some` keeps the [`Vad`]'s speech frames (all frames when it finds
    /// none); `None` keeps every frame. Default `Some(VadConfig::default())`.
    pub vad: Option<VadConfig>,
    /// The log-F0 statistics (YIN); `None` leaves them out. Default `Some(PitchConfig::default())`.
    pub pitch: Option<PitchConfig>,
    /// Percentiles (each in `0..=100`, nearest rank below) of every MFCC and every log-mel band
    /// over the kept frames, appended after the other values. Default none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percentiles: Vec<f32>,
    /// Prosodic dynamics, appended last (7 values, 15 with pitch): the 10th / 50th / 90th
    /// percentile of log energy, the std of its frame-to-frame change, its slope over the
    /// kept frames (per second), the fraction of the clip's frames kept (speech, not pause)
    /// and the rate of energy peaks (syllable-like bursts per second of speech); with pitch
    /// also the median log F0, the mean absolute change of log F0 between tracked frames
    /// 20 ms apart, the mean and std of YIN's aperiodicity, the fraction of voiced frames
    /// (aperiodicity below [`VOICED_APERIODICITY`]), the mean and std of log F0 over those
    /// voiced frames and its slope over them (per second). Default `false`.
    #[serde(skip_serializing_if = "is_false")]
    pub prosody: bool,
}

// (not serialised when off: specifications written before the field existed stay identical)
fn is_false(b: &bool) -> bool {
    !b
}

/// Aperiodicity (YIN's `d'` at the chosen lag) below which a frame counts as voiced in the
/// prosodic statistics.
pub const VOICED_APERIODICITY: f32 = 0.25;

impl Default for SpeechStatsConfig {
    fn default() -> Self {
        Self {
            log_mel: LogMelConfig::default(),
            n_mfcc: 40,
            delta_width: 9,
            vad: Some(VadConfig::default()),
            pitch: Some(PitchConfig::default()),
            percentiles: Vec::new(),
            prosody: false,
        }
    }
}

impl SpeechStatsConfig {
    /// Length of the output vector: `2 * (2 * n_mfcc + n_mels)` (mean and std of the MFCCs,
    /// their deltas and the log-mel bands), `+ 4` with pitch, `+ 3` (mean and std of log
    /// energy, speech duration), `+ percentiles.len() * (n_mfcc + n_mels)`, and with `prosody`
    /// `+ 7`, `+ 8` more with pitch. 295 with the defaults.
    pub fn output_dim(&self) -> usize {
        let pitch = self.pitch.is_some();
        let prosody = match (self.prosody, pitch) {
            (false, _) => 0,
            (true, false) => 7,
            (true, true) => 15,
        };
        2 * (2 * self.n_mfcc + self.log_mel.n_mels)
            + if pitch { 4 } else { 0 }
            + 3
            + self.percentiles.len() * (self.n_mfcc + self.log_mel.n_mels)
            + prosody
    }

    /// Names of the output values, in order (`mfcc3_mean`, `dmfcc3_std`, `mel12_mean`,
    /// `logf0_p90`, `log_energy_std`, `speech_seconds`, ...).
    pub fn output_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.output_dim());
        for (prefix, n) in [
            ("mfcc", self.n_mfcc),
            ("dmfcc", self.n_mfcc),
            ("mel", self.log_mel.n_mels),
        ] {
            for stat in ["mean", "std"] {
                names.extend((0..n).map(|i| format!("{prefix}{i}_{stat}")));
            }
        }
        if self.pitch.is_some() {
            names.extend(["logf0_mean", "logf0_std", "logf0_p10", "logf0_p90"].map(String::from));
        }
        names.extend(["log_energy_mean", "log_energy_std", "speech_seconds"].map(String::from));
        for (prefix, n) in [("mfcc", self.n_mfcc), ("mel", self.log_mel.n_mels)] {
            for p in &self.percentiles {
                names.extend((0..n).map(|i| format!("{prefix}{i}_p{p}")));
            }
        }
        if self.prosody {
            names.extend(
                [
                    "log_energy_p10",
                    "log_energy_p50",
                    "log_energy_p90",
                    "dlog_energy_std",
                    "log_energy_slope",
                    "speech_fraction",
                    "energy_peak_rate",
                ]
                .map(String::from),
            );
            if self.pitch.is_some() {
                names.extend(
                    [
                        "logf0_p50",
                        "dlogf0_abs_mean",
                        "aperiodicity_mean",
                        "aperiodicity_std",
                        "voiced_fraction",
                        "voiced_logf0_mean",
                        "voiced_logf0_std",
                        "voiced_logf0_slope",
                    ]
                    .map(String::from),
                );
            }
        }
        names
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<(), MfccError> {
        self.log_mel.validate()?;
        if self.n_mfcc == 0 || self.n_mfcc > self.log_mel.n_mels {
            return Err(invalid(
                "n_mfcc",
                format!("1..={} (n_mels)", self.log_mel.n_mels),
                self.n_mfcc,
            ));
        }
        DeltaFilter::check(self.delta_width, 1)?;
        if let Some(v) = &self.vad {
            v.validate()?;
        }
        if let Some(p) = &self.pitch {
            p.validate(self.log_mel.sample_rate)?;
        }
        if let Some(p) = self
            .percentiles
            .iter()
            .find(|p| !(0.0..=100.0).contains(*p))
        {
            return Err(invalid("percentiles", "each in 0..=100", p));
        }
        Ok(())
    }
}

/// Per-clip statistics of frame-level speech features, one vector `[output_dim]` per clip
/// (295 values with the default [`SpeechStatsConfig`], 310 with `prosody` as the default model
/// uses it):
///
/// | values | what |
/// |---|---|
/// | `2 * n_mfcc` | mean, then standard deviation over frames of each MFCC |
/// | `2 * n_mfcc` | the same of each MFCC delta |
/// | `2 * n_mels` | the same of each log-mel band (dB) |
/// | 4 (with pitch) | mean, std, 10th and 90th percentile of log F0 ([`Pitch`], YIN, every second kept frame) |
/// | 2 | mean and std of the frames' log RMS energy (`ln(rms + 1e-6)`, window `win_length`) |
/// | 1 | seconds of the frames kept (`frames * hop / sample_rate`) |
/// | `percentiles.len() * (n_mfcc + n_mels)` | the given percentiles of each MFCC, then of each log-mel band |
/// | 7, 15 with pitch (with `prosody`) | prosodic dynamics, see [`SpeechStatsConfig::prosody`] |
///
/// Only the frames the [`Vad`] judges speech count (every frame if it finds none, or with
/// `vad: None`), so silence before and after an utterance does not dilute the statistics.
/// Standard deviations are population ones. This is the clip representation of the
/// linear baseline quoted in issue 10 (`shared/tools/baseline.py`, which trims silence at
/// 40 dB instead of a VAD), computed in Rust.
///
/// ```
/// use ser_mfcc::{SpeechStats, SpeechStatsConfig};
/// let sr = 16_000;
/// let x: Vec<f32> = (0..sr)
///     .map(|i| 0.3 * (i as f32 * 0.07).sin() * (1.0 + (i as f32 * 0.003).sin()))
///     .collect();
/// let mut stats = SpeechStats::new(SpeechStatsConfig::default())?;
/// let v = stats.compute(&x)?;
/// assert_eq!(v.len(), 295);
/// assert!(v.iter().all(|x| x.is_finite()));
/// # Ok::<(), ser_mfcc::MfccError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SpeechStats {
    cfg: SpeechStatsConfig,
    log_mel: LogMel,
    /// `[n_mfcc, n_mels]`.
    dct: Array2<f32>,
    delta: DeltaFilter,
    vad: Option<Vad>,
    pitch: Option<Pitch>,
    mel: Array2<f32>,
}

impl SpeechStats {
    /// Plans an extractor for `cfg`.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] when [`SpeechStatsConfig::validate`] fails.
    pub fn new(cfg: SpeechStatsConfig) -> Result<Self, MfccError> {
        cfg.validate()?;
        Ok(Self {
            log_mel: LogMel::new(cfg.log_mel.clone())?,
            dct: dct_ortho_matrix(cfg.n_mfcc, cfg.log_mel.n_mels),
            delta: DeltaFilter::new(cfg.delta_width, 1)?,
            vad: cfg.vad.clone().map(Vad::new).transpose()?,
            pitch: cfg
                .pitch
                .clone()
                .map(|p| Pitch::new(p, cfg.log_mel.sample_rate))
                .transpose()?,
            mel: Array2::zeros((0, 0)),
            cfg,
        })
    }

    /// The configuration this extractor was built with.
    pub fn config(&self) -> &SpeechStatsConfig {
        &self.cfg
    }

    /// The frames kept for `samples`: the speech mask on the log-mel frame grid (all `true`
    /// without a VAD or when it finds no speech). `known` is a decision already made over
    /// these samples with this extractor's VAD settings (else the VAD runs).
    fn keep_mask(
        &mut self,
        samples: &[f32],
        frames: usize,
        known: Option<&VadDecision>,
    ) -> Result<Vec<bool>, MfccError> {
        let sr = self.cfg.log_mel.sample_rate;
        let hop_seconds = self.cfg.log_mel.hop_length as f64 / f64::from(sr);
        let Some(vad) = &mut self.vad else {
            return Ok(vec![true; frames]);
        };
        let mask = match known {
            Some(d) => d.mask_for(frames, hop_seconds),
            None => vad.decide(samples, sr)?.mask_for(frames, hop_seconds),
        };
        Ok(if mask.iter().any(|&m| m) {
            mask
        } else {
            vec![true; frames]
        })
    }

    /// The statistics of `samples` (mono, at `config().log_mel.sample_rate` Hz), shape
    /// `[output_dim]`.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`], [`MfccError::NonFinite`], [`MfccError::TooLarge`] (as
    /// [`LogMel::compute`]).
    pub fn compute(&mut self, samples: &[f32]) -> Result<Array1<f32>, MfccError> {
        self.compute_with_vad(samples, None)
    }

    /// As [`SpeechStats::compute`], reusing `decision` when it is the VAD decision over these
    /// very samples made with this extractor's VAD settings (e.g. a recogniser's speech check):
    /// the VAD then does not run twice. A decision with another configuration or frame count
    /// than this extractor's is ignored (the VAD runs).
    ///
    /// # Errors
    /// As [`SpeechStats::compute`].
    pub fn compute_with_vad(
        &mut self,
        samples: &[f32],
        decision: Option<(&VadConfig, &VadDecision)>,
    ) -> Result<Array1<f32>, MfccError> {
        let sr = self.cfg.log_mel.sample_rate;
        let known = match (decision, &self.vad) {
            (Some((cfg, d)), Some(vad))
                if cfg == vad.config() && d.total_frames == vad.n_frames(samples.len(), sr)? =>
            {
                Some(d)
            }
            _ => None,
        };
        let mut mel = std::mem::replace(&mut self.mel, Array2::zeros((0, 0)));
        let result = self.compute_with(samples, &mut mel, known);
        self.mel = mel;
        result
    }

    fn compute_with(
        &mut self,
        samples: &[f32],
        mel: &mut Array2<f32>,
        known: Option<&VadDecision>,
    ) -> Result<Array1<f32>, MfccError> {
        self.log_mel.compute_into(samples, mel)?;
        let frames = mel.nrows();
        let keep = self.keep_mask(samples, frames, known)?;
        // MFCCs of every frame (deltas need the neighbours), `[frames, n_mfcc]`.
        let mfcc = mel.dot(&self.dct.t());
        let mut d = Array2::<f32>::zeros((self.cfg.n_mfcc, frames));
        if self.delta.check_frames(frames).is_ok() {
            self.delta.apply(mfcc.t(), d.view_mut());
        }
        let rows: Vec<usize> = (0..frames).filter(|&i| keep[i]).collect();
        let mut out = Vec::with_capacity(self.cfg.output_dim());
        let kept_mfcc = mfcc.select(Axis(0), &rows);
        let kept_mel = mel.select(Axis(0), &rows);
        push_mean_std(&mut out, kept_mfcc.view());
        push_mean_std(&mut out, d.t().select(Axis(0), &rows).view());
        push_mean_std(&mut out, kept_mel.view());

        let hop = self.cfg.log_mel.hop_length;
        let frame_seconds = hop as f32 / self.cfg.log_mel.sample_rate as f32;
        let mut pitch_prosody = Vec::new();
        if let Some(pitch) = &mut self.pitch {
            // every second kept frame (20 ms): F0 statistics need no finer grid
            let pitch_rows: Vec<usize> = rows.iter().copied().step_by(2).collect();
            let track = pitch.track_with_aperiodicity(samples, hop, &pitch_rows)?;
            let logf0: Vec<f32> = track.iter().map(|(f, _)| f.ln()).collect();
            let (m, s) = mean_std(logf0.iter());
            let sorted_logf0 = sorted(&logf0);
            let q = |p| nearest_rank(&sorted_logf0, p);
            // (-inf for none, as `percentile`)
            let [p10, p90] = [10.0, 90.0].map(|p| q(p).unwrap_or(f32::NEG_INFINITY));
            out.extend([m, s, p10, p90]);
            if self.cfg.prosody {
                let median = q(50.0).unwrap_or(0.0);
                pitch_prosody = pitch_dynamics(&pitch_rows, &track, &logf0, median, frame_seconds);
            }
        }
        let win = self.cfg.log_mel.win_length;
        let energy: Vec<f32> = rows
            .iter()
            .map(|&i| (frame_rms(samples, i * hop, win) + 1e-6).ln())
            .collect();
        let (m, s) = mean_std(energy.iter());
        out.extend([m, s]);
        out.push((rows.len() * hop) as f32 / self.cfg.log_mel.sample_rate as f32);
        push_percentiles(&mut out, kept_mfcc.view(), &self.cfg.percentiles);
        push_percentiles(&mut out, kept_mel.view(), &self.cfg.percentiles);
        if self.cfg.prosody {
            // change between consecutive frames that are both kept
            let d_energy: Vec<f32> = rows
                .windows(2)
                .zip(energy.windows(2))
                .filter(|(r, _)| r[1] == r[0] + 1)
                .map(|(_, e)| e[1] - e[0])
                .collect();
            let sorted_energy = sorted(&energy);
            out.extend([10.0, 50.0, 90.0].map(|p| nearest_rank(&sorted_energy, p).unwrap_or(0.0)));
            out.push(mean_std(d_energy.iter()).1);
            let times: Vec<f32> = rows.iter().map(|&i| i as f32 * frame_seconds).collect();
            out.push(slope(&times, &energy));
            out.push(rows.len() as f32 / frames.max(1) as f32);
            out.push(peak_count(&energy) as f32 / (rows.len() as f32 * frame_seconds).max(1e-3));
            out.extend(pitch_prosody);
        }
        Ok(Array1::from(out))
    }
}

/// Least-squares slope of `y` over `x`; 0 for fewer than 2 points or no spread in `x`.
fn slope(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let (mx, _) = mean_std(x[..n].iter());
    let (my, _) = mean_std(y[..n].iter());
    let (mut sxy, mut sxx) = (0.0f64, 0.0f64);
    for (&a, &b) in x[..n].iter().zip(&y[..n]) {
        let dx = f64::from(a - mx);
        sxy += dx * f64::from(b - my);
        sxx += dx * dx;
    }
    if sxx > 0.0 {
        (sxy / sxx) as f32
    } else {
        0.0
    }
}

/// Syllable-like energy peaks in `energy` (log energy of consecutive kept frames): after a
/// 5-frame moving average, frames that are the maximum within 5 frames either side and at
/// least 0.5 (natural log of RMS: about 4.3 dB) above the lowest value within those frames.
fn peak_count(energy: &[f32]) -> usize {
    const HALF: usize = 5;
    const DEPTH: f32 = 0.5;
    let n = energy.len();
    let smooth: Vec<f32> = (0..n)
        .map(|i| {
            let w = &energy[i.saturating_sub(2)..(i + 3).min(n)];
            w.iter().sum::<f32>() / w.len() as f32
        })
        .collect();
    (0..n)
        .filter(|&i| {
            let w = &smooth[i.saturating_sub(HALF)..(i + HALF + 1).min(n)];
            let max = w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let min = w.iter().copied().fold(f32::INFINITY, f32::min);
            // the first of equal maxima counts once
            smooth[i] >= max
                && smooth[i.saturating_sub(HALF)..i]
                    .iter()
                    .all(|&v| v < smooth[i])
                && smooth[i] - min >= DEPTH
        })
        .count()
}

/// The 8 pitch values of [`SpeechStatsConfig::prosody`] from the tracked `rows` (frame
/// indices), their `(f0, aperiodicity)`, log F0 and its median; frames are `frame_seconds`
/// apart.
fn pitch_dynamics(
    rows: &[usize],
    track: &[(f32, f32)],
    logf0: &[f32],
    median_logf0: f32,
    frame_seconds: f32,
) -> Vec<f32> {
    // tracked frames 20 ms apart (both kept by the VAD)
    let d_f0: Vec<f32> = rows
        .windows(2)
        .zip(logf0.windows(2))
        .filter(|(r, _)| r[1] == r[0] + 2)
        .map(|(_, f)| (f[1] - f[0]).abs())
        .collect();
    let ap: Vec<f32> = track.iter().map(|&(_, a)| a).collect();
    let (voiced_t, voiced): (Vec<f32>, Vec<f32>) = track
        .iter()
        .zip(logf0)
        .zip(rows)
        .filter(|(((_, a), _), _)| *a < VOICED_APERIODICITY)
        .map(|((_, &l), &r)| (r as f32 * frame_seconds, l))
        .unzip();
    let (ap_m, ap_s) = mean_std(ap.iter());
    let (v_m, v_s) = mean_std(voiced.iter());
    vec![
        median_logf0,
        mean_std(d_f0.iter()).0,
        ap_m,
        ap_s,
        voiced.len() as f32 / track.len().max(1) as f32,
        v_m,
        v_s,
        slope(&voiced_t, &voiced),
    ]
}

/// The `percentiles` of each column of `x` `[rows, n]` appended to `out` (for each
/// percentile, every column); zeros for no rows; nothing for no percentiles.
fn push_percentiles(out: &mut Vec<f32>, x: ArrayView2<f32>, percentiles: &[f32]) {
    if percentiles.is_empty() {
        return;
    }
    let cols: Vec<Vec<f32>> = x
        .columns()
        .into_iter()
        .map(|c| sorted(&c.to_vec()))
        .collect();
    for &p in percentiles {
        out.extend(
            cols.iter()
                .map(|v| nearest_rank(v, f64::from(p)).unwrap_or(0.0)),
        );
    }
}

/// Mean and population standard deviation of each column of `x` `[rows, n]` appended to
/// `out` (all means, then all stds); zeros for no rows.
fn push_mean_std(out: &mut Vec<f32>, x: ArrayView2<f32>) {
    let (means, stds): (Vec<f32>, Vec<f32>) =
        x.columns().into_iter().map(|c| mean_std(c.iter())).unzip();
    out.extend(means);
    out.extend(stds);
}

/// Mean and population standard deviation of `values` (computed in f64); `(0, 0)` for none.
fn mean_std<'a>(values: impl Iterator<Item = &'a f32> + Clone) -> (f32, f32) {
    let n = values.clone().count();
    if n == 0 {
        return (0.0, 0.0);
    }
    let n = n as f64;
    let m = values.clone().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = values.map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / n;
    (m as f32, var.sqrt() as f32)
}

/// RMS of the `win` samples centred on `centre` (zeros outside the clip).
pub(crate) fn frame_rms(samples: &[f32], centre: usize, win: usize) -> f32 {
    let start = centre.saturating_sub(win / 2);
    let end = (centre + win - win / 2).min(samples.len());
    let sum: f64 = samples
        .get(start..end)
        .unwrap_or(&[])
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum();
    (sum / win.max(1) as f64).sqrt() as f32
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn voiced(sr: usize, secs: f32, f0: f32) -> Vec<f32> {
        (0..(sr as f32 * secs) as usize)
            .map(|i| {
                let t = i as f32 / sr as f32;
                let env = 0.5 + 0.5 * (2.0 * std::f32::consts::PI * 4.0 * t).sin();
                let mut v = 0.0;
                for h in 1..6 {
                    v += (2.0 * std::f32::consts::PI * f0 * h as f32 * t).sin() / h as f32;
                }
                0.2 * env * v
            })
            .collect()
    }

    fn extended(pitch: Option<PitchConfig>) -> SpeechStatsConfig {
        SpeechStatsConfig {
            pitch,
            percentiles: vec![10.0, 50.0, 90.0],
            prosody: true,
            ..Default::default()
        }
    }

    #[test]
    fn names_match_dim_and_values_are_finite() {
        let plain = |pitch| SpeechStatsConfig {
            pitch,
            ..Default::default()
        };
        let with_pitch = || Some(PitchConfig::default());
        for cfg in [
            plain(None),
            plain(with_pitch()),
            extended(None),
            extended(with_pitch()),
        ] {
            assert_eq!(cfg.output_names().len(), cfg.output_dim());
            let mut s = SpeechStats::new(cfg.clone()).unwrap();
            let v = s.compute(&voiced(16000, 1.0, 150.0)).unwrap();
            assert_eq!(v.len(), cfg.output_dim());
            assert!(v.iter().all(|x| x.is_finite()));
            // short clip (fewer frames than the delta window), silence: still finite
            for x in [vec![0.1f32; 100], vec![0.0f32; 16000]] {
                let v = s.compute(&x).unwrap();
                assert!(v.iter().all(|x| x.is_finite()), "{v:?}");
            }
        }
    }

    #[test]
    fn extended_values_extend_the_default_ones() {
        let x = voiced(16000, 1.0, 150.0);
        let base = SpeechStats::new(SpeechStatsConfig::default())
            .unwrap()
            .compute(&x)
            .unwrap();
        let cfg = extended(Some(PitchConfig::default()));
        let names = cfg.output_names();
        let v = SpeechStats::new(cfg).unwrap().compute(&x).unwrap();
        assert_eq!(v.len(), 295 + 3 * 104 + 15);
        // the default values first, unchanged
        assert_eq!(
            v.iter().take(295).copied().collect::<Vec<_>>(),
            base.to_vec()
        );
        let at = |n: &str| v[names.iter().position(|x| x == n).unwrap()];
        for band in ["mfcc0", "mfcc5", "mel3", "mel60"] {
            let (p10, p50, p90) = (
                at(&format!("{band}_p10")),
                at(&format!("{band}_p50")),
                at(&format!("{band}_p90")),
            );
            assert!(p10 <= p50 && p50 <= p90, "{band}: {p10} {p50} {p90}");
        }
        assert!(at("log_energy_p10") <= at("log_energy_p50"));
        assert!(at("log_energy_p50") <= at("log_energy_p90"));
        // a harmonic tone at a steady 150 Hz: voiced except where its 4 Hz envelope nears 0
        assert!(at("voiced_fraction") > 0.75, "{}", at("voiced_fraction"));
        assert!(
            at("aperiodicity_mean") < 0.15,
            "{}",
            at("aperiodicity_mean")
        );
        assert!((at("voiced_logf0_mean").exp() - 150.0).abs() < 5.0);
        assert!(at("dlogf0_abs_mean") < 0.05, "{}", at("dlogf0_abs_mean"));
        assert!(
            at("voiced_logf0_slope").abs() < 0.1,
            "{}",
            at("voiced_logf0_slope")
        );
        // the 4 Hz envelope: about 4 energy bursts per second (one at an edge may be missed)
        let rate = at("energy_peak_rate");
        assert!((2.5..=5.0).contains(&rate), "{rate}");
        assert!(at("speech_fraction") > 0.5 && at("speech_fraction") <= 1.0);
    }

    #[test]
    fn slopes_and_peaks() {
        assert_eq!(slope(&[0.0, 1.0, 2.0], &[1.0, 3.0, 5.0]), 2.0);
        assert_eq!(slope(&[1.0], &[1.0]), 0.0);
        assert_eq!(slope(&[1.0, 1.0], &[0.0, 5.0]), 0.0);
        assert_eq!(peak_count(&[]), 0);
        assert_eq!(peak_count(&[1.0; 50]), 0);
        // two bumps 30 frames apart
        let e: Vec<f32> = (0..60)
            .map(|i| (-((i as f32 - 15.0) / 4.0).powi(2)).exp() * 3.0)
            .collect();
        let mut two = e.clone();
        for (i, v) in two.iter_mut().enumerate() {
            *v += (-((i as f32 - 45.0) / 4.0).powi(2)).exp() * 3.0;
        }
        assert_eq!(peak_count(&e), 1);
        assert_eq!(peak_count(&two), 2);
    }

    #[test]
    fn noise_is_not_voiced() {
        // white noise from a fixed LCG
        let mut state = 12345u32;
        let x: Vec<f32> = (0..16000)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        let cfg = extended(Some(PitchConfig::default()));
        let names = cfg.output_names();
        let v = SpeechStats::new(cfg).unwrap().compute(&x).unwrap();
        let at = |n: &str| v[names.iter().position(|x| x == n).unwrap()];
        assert!(at("voiced_fraction") < 0.2, "{}", at("voiced_fraction"));
        assert!(at("aperiodicity_mean") > 0.3, "{}", at("aperiodicity_mean"));
    }

    #[test]
    fn default_specification_serialises_as_before() {
        // specifications stored before `percentiles` / `prosody` existed stay byte-identical
        let json = serde_json::to_string(&SpeechStatsConfig::default()).unwrap();
        assert!(
            !json.contains("percentiles") && !json.contains("prosody"),
            "{json}"
        );
        let back: SpeechStatsConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, SpeechStatsConfig::default());
        let bad = SpeechStatsConfig {
            percentiles: vec![101.0],
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn a_known_vad_decision_gives_the_same_values() {
        let x = voiced(16000, 1.5, 180.0);
        let mut s = SpeechStats::new(SpeechStatsConfig::default()).unwrap();
        let plain = s.compute(&x).unwrap();
        let cfg = VadConfig::default();
        let d = Vad::new(cfg.clone()).unwrap().decide(&x, 16000).unwrap();
        assert_eq!(s.compute_with_vad(&x, Some((&cfg, &d))).unwrap(), plain);
        // a decision over other samples (another frame count) is ignored
        let other = Vad::new(cfg.clone())
            .unwrap()
            .decide(&x[..8000], 16000)
            .unwrap();
        assert_eq!(s.compute_with_vad(&x, Some((&cfg, &other))).unwrap(), plain);
    }

    #[test]
    fn pitch_statistics_track_f0() {
        let mut s = SpeechStats::new(SpeechStatsConfig::default()).unwrap();
        let names = s.config().output_names();
        let at = |n: &str| names.iter().position(|x| x == n).unwrap();
        for f0 in [110.0f32, 220.0] {
            let v = s.compute(&voiced(16000, 1.0, f0)).unwrap();
            let est = v[at("logf0_mean")].exp();
            assert!((est - f0).abs() / f0 < 0.03, "{f0} -> {est}");
            // most frames: the 10th and 90th percentiles are within 5 %
            for q in ["logf0_p10", "logf0_p90"] {
                assert!(
                    (v[at(q)].exp() - f0).abs() / f0 < 0.05,
                    "{f0}: {q} {}",
                    v[at(q)].exp()
                );
            }
        }
    }

    #[test]
    fn silence_around_speech_does_not_change_much() {
        let speech = voiced(16000, 1.0, 150.0);
        let mut padded = vec![0.0f32; 16000];
        padded.extend(&speech);
        padded.extend(vec![0.0f32; 16000]);
        let mut s = SpeechStats::new(SpeechStatsConfig::default()).unwrap();
        let a = s.compute(&speech).unwrap();
        let b = s.compute(&padded).unwrap();
        let names = s.config().output_names();
        let i = names.iter().position(|x| x == "mfcc0_mean").unwrap();
        // without the VAD the padded clip's c0 mean would drop by hundreds of units
        assert!((a[i] - b[i]).abs() < 30.0, "{} vs {}", a[i], b[i]);
        assert!(SpeechStats::new(SpeechStatsConfig {
            n_mfcc: 65,
            ..Default::default()
        })
        .is_err());
    }
}
