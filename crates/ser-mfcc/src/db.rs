//! Power to decibels.

use crate::error::{invalid, MfccError};

/// Parameters of [`power_to_db`]; `Default` is librosa's (`ref=1.0, amin=1e-10, top_db=80`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DbParams {
    /// Reference power: `10 * log10(max(amin, ref_power))` dB is subtracted. Default 1.0.
    pub ref_power: f64,
    /// Power floor before the log. Default 1e-10 (-100 dB).
    pub amin: f64,
    /// Clip values below `max - top_db` dB, the max taken over the whole input. Default `Some(80.0)`.
    pub top_db: Option<f64>,
}

impl Default for DbParams {
    fn default() -> Self {
        Self {
            ref_power: 1.0,
            amin: 1e-10,
            top_db: Some(80.0),
        }
    }
}

impl DbParams {
    pub(crate) fn validate(&self) -> Result<(), MfccError> {
        if !(self.amin.is_finite() && self.amin > 0.0) {
            return Err(invalid("amin", "finite and > 0", self.amin));
        }
        if !(self.ref_power.is_finite() && self.ref_power > 0.0) {
            return Err(invalid("ref_power", "finite and > 0", self.ref_power));
        }
        if let Some(t) = self.top_db {
            if !(t.is_finite() && t >= 0.0) {
                return Err(invalid("top_db", "finite and >= 0 dB", t));
            }
        }
        Ok(())
    }

    /// `10 * log10(max(amin, ref_power))`, dB.
    pub(crate) fn ref_db(&self) -> f64 {
        10.0 * self.amin.max(self.ref_power).log10()
    }
}

/// One power value to dB without the `top_db` floor, in f32 as librosa.
#[inline]
pub(crate) fn to_db(p: f32, amin: f32, ref_db: f64) -> f32 {
    let db = 10.0f32 * p.max(amin).log10();
    if ref_db == 0.0 {
        db
    } else {
        (f64::from(db) - ref_db) as f32
    }
}

/// librosa `power_to_db` in place: `x <- 10 log10(max(amin, x)) - 10 log10(max(amin, ref))`,
/// then, with `top_db`, `x <- max(x, max_all(x) - top_db)` where the max runs over the
/// **whole** slice (pass a whole spectrogram, not one frame). Input in power units, output in
/// dB; all-zero input gives `10 log10(amin)` (-100 dB by default) everywhere. An empty slice
/// is left as is. NaN input propagates as NaN.
///
/// # Errors
/// [`MfccError::InvalidConfig`] for `amin <= 0`, `ref_power <= 0`, `top_db < 0` or non-finite ones.
pub fn power_to_db(values: &mut [f32], params: &DbParams) -> Result<(), MfccError> {
    params.validate()?;
    let amin = params.amin as f32;
    let ref_db = params.ref_db();
    let mut max = f32::NEG_INFINITY;
    for v in values.iter_mut() {
        *v = to_db(*v, amin, ref_db);
        max = max.max(*v);
    }
    if let (Some(top), false) = (params.top_db, values.is_empty()) {
        let floor = max - top as f32;
        for v in values.iter_mut() {
            *v = v.max(floor);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_minus_100() {
        let mut v = vec![0.0f32; 10];
        power_to_db(&mut v, &DbParams::default()).unwrap();
        assert!(v.iter().all(|&x| x == -100.0));
    }

    #[test]
    fn floor_is_relative_to_global_max() {
        let mut v = vec![1.0f32, 1e-3, 1e-9, 1e-12];
        power_to_db(&mut v, &DbParams::default()).unwrap();
        assert_eq!(v[0], 0.0);
        assert!((v[1] + 30.0).abs() < 1e-4);
        assert_eq!(v[2], -80.0);
        assert_eq!(v[3], -80.0);
        let mut w = vec![100.0f32];
        power_to_db(
            &mut w,
            &DbParams {
                ref_power: 10.0,
                ..DbParams::default()
            },
        )
        .unwrap();
        assert!((w[0] - 10.0).abs() < 1e-5);
        assert!(power_to_db(
            &mut w,
            &DbParams {
                amin: 0.0,
                ..DbParams::default()
            }
        )
        .is_err());
    }
}
