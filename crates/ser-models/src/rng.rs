//! Seeded random numbers (ChaCha8): weight initialisation, dropout masks, shuffling.
//! candle's CPU RNG cannot be seeded, so nothing here uses it.

use std::sync::{Arc, Mutex};

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for; each purpose (and epoch) gets its own ChaCha stream, so a
/// resumed run draws exactly what an uninterrupted run would have drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    Init = 1,
    Shuffle = 2,
    Dropout = 3,
    Augment = 4,
}

/// The generator for `(seed, purpose, epoch)`.
pub(crate) fn stream(seed: u64, purpose: Purpose, epoch: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((purpose as u64) << 48) ^ epoch);
    rng
}

/// Uniform in `[0, 1)` with 24 bits.
pub(crate) fn uniform_f32(rng: &mut ChaCha8Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Uniform in `[0, 1)` with 53 bits.
pub(crate) fn uniform_f64(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// Standard normal (Box-Muller).
pub(crate) fn normal_f64(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - uniform_f64(rng); // (0, 1]
    let u2 = uniform_f64(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Fisher-Yates shuffle.
pub(crate) fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// A generator shared by the dropout layers of one network (reseeded each epoch by the trainer).
#[derive(Debug, Clone)]
pub struct SharedRng(pub(crate) Arc<Mutex<ChaCha8Rng>>);

impl SharedRng {
    /// A shared generator for `seed` (dropout stream of epoch 0).
    pub fn new(seed: u64) -> Self {
        SharedRng(Arc::new(Mutex::new(stream(seed, Purpose::Dropout, 0))))
    }

    /// Replace the state with the dropout stream of `(seed, epoch)`.
    pub(crate) fn reseed(&self, seed: u64, epoch: u64) {
        if let Ok(mut g) = self.0.lock() {
            *g = stream(seed, Purpose::Dropout, epoch);
        }
    }
}
