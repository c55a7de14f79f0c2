//! [`Pitch`]: a YIN fundamental-frequency tracker.

use serde::{Deserialize, Serialize};

use crate::error::{check_finite, invalid, MfccError};

/// Sample rate the tracker works at (input above it is low-pass filtered and decimated by an
/// integer factor first), Hz.
pub const PITCH_ANALYSIS_RATE: u32 = 8000;

/// Settings of the [`Pitch`] tracker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PitchConfig {
    /// Lowest F0 searched, Hz (also the integration window: one period of it). Default 60.
    pub fmin: f64,
    /// Highest F0 searched, Hz. Default 500.
    pub fmax: f64,
    /// YIN's threshold on the cumulative-mean-normalised difference (librosa
    /// `trough_threshold`). Default 0.1.
    pub threshold: f64,
}

impl Default for PitchConfig {
    fn default() -> Self {
        Self {
            fmin: 60.0,
            fmax: 500.0,
            threshold: 0.1,
        }
    }
}

impl PitchConfig {
    /// Checks the ranges for input at `sample_rate` Hz.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self, sample_rate: u32) -> Result<(), MfccError> {
        let rate = f64::from(analysis_rate(sample_rate));
        if !(self.fmin.is_finite() && self.fmin > 0.0) {
            return Err(invalid("pitch.fmin", "finite and > 0 Hz", self.fmin));
        }
        if !(self.fmax.is_finite() && self.fmax > self.fmin && self.fmax < rate / 4.0) {
            return Err(invalid(
                "pitch.fmax",
                format!("finite, > fmin and < {} Hz (analysis rate / 4)", rate / 4.0),
                self.fmax,
            ));
        }
        if rate / self.fmin > 4096.0 {
            return Err(invalid(
                "pitch.fmin",
                "a period of at most 4096 samples",
                self.fmin,
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(invalid("pitch.threshold", "in (0, 1)", self.threshold));
        }
        Ok(())
    }
}

fn decimation(sample_rate: u32) -> usize {
    (sample_rate / PITCH_ANALYSIS_RATE).max(1) as usize
}

fn analysis_rate(sample_rate: u32) -> u32 {
    sample_rate / decimation(sample_rate) as u32
}

/// A planned YIN F0 tracker (de Cheveigné & Kawahara 2002) for one input sample rate.
///
/// Input above [`PITCH_ANALYSIS_RATE`] is low-pass filtered (31-tap Hann-windowed sinc) and
/// decimated by `sample_rate / 8000` (2 at 16 kHz). Per frame: the squared difference
/// function over one period of `fmin`, its cumulative-mean-normalised form, the first lag
/// below `threshold` descended to its local minimum (else the global minimum), refined by a
/// parabola; F0 is clamped to `fmin..=fmax`. There is no voicing decision: every frame gets
/// an F0 (as librosa's `yin`), so pass speech frames only.
#[derive(Debug, Clone)]
pub struct Pitch {
    cfg: PitchConfig,
    sample_rate: u32,
    q: usize,
    taps: Vec<f32>,
    tau_min: usize,
    tau_max: usize,
    x: Vec<f32>,
    /// Scratch samples (reused): the zero-padded input while decimating, then one frame's
    /// analysis samples.
    seg: Vec<f32>,
    /// The squared difference of each lag `1..=tau_max` (reused).
    acc: Vec<f32>,
    d: Vec<f32>,
}

impl Pitch {
    /// Plans a tracker for input at `sample_rate` Hz.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] when [`PitchConfig::validate`] fails.
    pub fn new(cfg: PitchConfig, sample_rate: u32) -> Result<Self, MfccError> {
        if sample_rate == 0 {
            return Err(invalid("sample_rate", "> 0 Hz", sample_rate));
        }
        cfg.validate(sample_rate)?;
        let q = decimation(sample_rate);
        let rate = f64::from(analysis_rate(sample_rate));
        let taps = if q > 1 {
            lowpass(31, 0.9 / q as f64)
        } else {
            vec![1.0]
        };
        let tau_min = ((rate / cfg.fmax).floor() as usize).max(2);
        let tau_max = (rate / cfg.fmin).ceil() as usize;
        Ok(Self {
            cfg,
            sample_rate,
            q,
            taps,
            tau_min,
            tau_max,
            x: Vec::new(),
            seg: Vec::new(),
            acc: vec![0.0; tau_max],
            d: vec![0.0; tau_max + 2],
        })
    }

    /// The F0 (Hz) of each frame in `frames`, frame `i` centred on sample `i * hop` of
    /// `samples` (mono, at the planned rate), in the order given.
    ///
    /// # Errors
    /// [`MfccError::NonFinite`] / [`MfccError::TooLarge`] for a bad sample.
    pub fn track(
        &mut self,
        samples: &[f32],
        hop: usize,
        frames: &[usize],
    ) -> Result<Vec<f32>, MfccError> {
        Ok(self
            .track_with_aperiodicity(samples, hop, frames)?
            .into_iter()
            .map(|(f0, _)| f0)
            .collect())
    }

    /// As [`Pitch::track`], with each frame's aperiodicity: YIN's cumulative-mean-normalised
    /// difference `d'(tau)` at the chosen lag, clamped to `0..=1` (near 0 for a periodic,
    /// voiced frame; near 1 for noise or silence). Pairs `(f0_hz, aperiodicity)`.
    ///
    /// # Errors
    /// As [`Pitch::track`].
    pub fn track_with_aperiodicity(
        &mut self,
        samples: &[f32],
        hop: usize,
        frames: &[usize],
    ) -> Result<Vec<(f32, f32)>, MfccError> {
        check_finite(samples)?;
        self.decimate(samples);
        let rate = f64::from(self.sample_rate) / self.q as f64;
        Ok(frames
            .iter()
            .map(|&i| {
                let (tau, ap) = self.best_lag(i * hop / self.q);
                (
                    (rate / tau).clamp(self.cfg.fmin, self.cfg.fmax) as f32,
                    ap.clamp(0.0, 1.0),
                )
            })
            .collect())
    }

    fn decimate(&mut self, samples: &[f32]) {
        let taps = self.taps.len();
        let half = taps / 2;
        // zero-padded by `half` on both sides (reused buffer)
        self.seg.clear();
        self.seg.resize(half, 0.0);
        self.seg.extend_from_slice(samples);
        self.seg.resize(samples.len() + 2 * half, 0.0);
        let n = samples.len().div_ceil(self.q);
        self.x.clear();
        self.x.extend((0..n).map(|k| {
            let c = k * self.q;
            self.seg[c..c + taps]
                .iter()
                .zip(&self.taps)
                .map(|(v, h)| v * h)
                .sum::<f32>()
        }));
    }

    /// The refined YIN lag (analysis samples) of the frame centred on analysis sample `c`, and
    /// `d'` at the chosen (integer) lag.
    fn best_lag(&mut self, c: usize) -> (f64, f32) {
        let w = self.tau_max;
        let span = w + self.tau_max + 1;
        let start = c as isize - ((span - 1) / 2) as isize;
        self.seg.clear();
        let x = &self.x;
        self.seg.extend((0..span).map(|j| {
            let t = start + j as isize;
            if t < 0 {
                0.0
            } else {
                x.get(t as usize).copied().unwrap_or(0.0)
            }
        }));
        // cumulative-mean-normalised difference d'(tau), tau = 1..=tau_max
        // d(tau) for every lag at once: the inner loop runs over the lags (contiguous samples),
        // which vectorises.
        let tau_max = self.tau_max;
        let acc = &mut self.acc[..tau_max];
        acc.fill(0.0);
        for j in 0..w {
            let aj = self.seg[j];
            for (d, &v) in acc.iter_mut().zip(&self.seg[j + 1..j + 1 + tau_max]) {
                let e = aj - v;
                *d += e * e;
            }
        }
        let mut running = 0.0f64;
        self.d[0] = 1.0;
        for tau in 1..=tau_max {
            let acc = self.acc[tau - 1];
            running += f64::from(acc);
            self.d[tau] = if running > 0.0 {
                (f64::from(acc) * tau as f64 / running) as f32
            } else {
                1.0
            };
        }
        let d = &self.d;
        let range = self.tau_min..=self.tau_max;
        let mut tau = match range
            .clone()
            .find(|&t| f64::from(d[t]) < self.cfg.threshold)
        {
            Some(mut t) => {
                while t < self.tau_max && d[t + 1] < d[t] {
                    t += 1;
                }
                t
            }
            None => range
                .min_by(|&a, &b| d[a].total_cmp(&d[b]))
                .unwrap_or(self.tau_min),
        };
        tau = tau.clamp(self.tau_min, self.tau_max);
        let ap = d[tau];
        // parabolic refinement
        if tau > 1 && tau < self.tau_max {
            let (a, b, c) = (
                f64::from(d[tau - 1]),
                f64::from(d[tau]),
                f64::from(d[tau + 1]),
            );
            let den = a - 2.0 * b + c;
            if den > 1e-12 {
                let shift = 0.5 * (a - c) / den;
                if shift.abs() <= 1.0 {
                    return (tau as f64 + shift, ap);
                }
            }
        }
        (tau as f64, ap)
    }
}

/// A Hann-windowed sinc low-pass of `n` taps (odd), cutoff `cutoff` times the Nyquist rate,
/// unit DC gain.
fn lowpass(n: usize, cutoff: f64) -> Vec<f32> {
    let m = (n - 1) as f64 / 2.0;
    let h: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 - m;
            let sinc = if t == 0.0 {
                cutoff
            } else {
                (std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let win = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos();
            sinc * win
        })
        .collect();
    let sum: f64 = h.iter().sum();
    h.iter().map(|v| (v / sum) as f32).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tracks_harmonic_tones_at_several_rates() {
        for sr in [8000u32, 16000, 22050, 48000] {
            let mut p = Pitch::new(PitchConfig::default(), sr).unwrap();
            for f0 in [70.0f64, 123.0, 250.0, 440.0] {
                let x: Vec<f32> = (0..sr as usize / 2)
                    .map(|i| {
                        let t = i as f64 / f64::from(sr);
                        (1..4)
                            .map(|h| {
                                (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64
                            })
                            .sum::<f64>() as f32
                            * 0.3
                    })
                    .collect();
                let hop = sr as usize / 100;
                let est = p.track(&x, hop, &[10, 20, 30]).unwrap();
                for e in est {
                    assert!(
                        (f64::from(e) - f0).abs() / f0 < 0.02,
                        "{sr} Hz: {f0} -> {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn silence_and_bad_config() {
        let mut p = Pitch::new(PitchConfig::default(), 16000).unwrap();
        let f = p.track(&[0.0; 1600], 160, &[0, 5, 10]).unwrap();
        assert!(f.iter().all(|v| v.is_finite() && *v >= 60.0 && *v <= 500.0));
        assert!(p.track(&[f32::NAN], 160, &[0]).is_err());
        let bad = PitchConfig {
            fmax: 50.0,
            ..Default::default()
        };
        assert!(Pitch::new(bad, 16000).is_err());
        assert!(Pitch::new(PitchConfig::default(), 0).is_err());
    }
}
