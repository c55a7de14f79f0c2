//! A fused LSTM recurrence as a candle custom op: forward and hand-written backpropagation through
//! time on the CPU, with ndarray (matrixmultiply) matmuls. The unfused version built from candle
//! ops (`Lstm::forward_last_unfused`) is the reference it is tested against; the fused one avoids
//! ~30 small candle ops (and their backward graph) per time step, ~8x faster to train.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use crate::config::RecurrentActivation;

/// Saved activations of one forward pass (all `[t, b, h]` row-major).
struct Cache {
    gates: Vec<f32>, // [t, b, 4h]: activated i, f, g(tanh), o
    deriv: Vec<f32>, // [t, b, 4h]: derivative of each activation w.r.t. its pre-activation
    c: Vec<f32>,     // [t, b, h]
    h: Vec<f32>,     // [t, b, h]
}

/// `(xp [t, b, 4h], recurrent [h, 4h]) -> h_T [b, h]`, where `xp` holds the input projections
/// plus bias of every step (gate order i, f, c, o) and the state starts at zero.
pub(crate) struct FusedLstm {
    pub(crate) activation: RecurrentActivation,
    cache: Mutex<Option<Cache>>,
}

impl FusedLstm {
    pub(crate) fn new(activation: RecurrentActivation) -> Self {
        Self {
            activation,
            cache: Mutex::new(None),
        }
    }

    fn gate(&self, z: f32) -> (f32, f32) {
        match self.activation {
            RecurrentActivation::HardSigmoid => {
                let y = 0.2 * z + 0.5;
                if y <= 0.0 {
                    (0.0, 0.0)
                } else if y >= 1.0 {
                    (1.0, 0.0)
                } else {
                    (y, 0.2)
                }
            }
            RecurrentActivation::Sigmoid => {
                let s = 1.0 / (1.0 + (-z).exp());
                (s, s * (1.0 - s))
            }
        }
    }

    fn run(
        &self,
        xp: &[f32],
        rec: &[f32],
        t: usize,
        b: usize,
        h: usize,
    ) -> candle_core::Result<Cache> {
        let g4 = 4 * h;
        let recv = ArrayView2::from_shape((h, g4), rec)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let mut cache = Cache {
            gates: vec![0.0; t * b * g4],
            deriv: vec![0.0; t * b * g4],
            c: vec![0.0; t * b * h],
            h: vec![0.0; t * b * h],
        };
        let mut z = vec![0f32; b * g4];
        for s in 0..t {
            z.copy_from_slice(&xp[s * b * g4..(s + 1) * b * g4]);
            if s > 0 {
                let hp = ArrayView2::from_shape((b, h), &cache.h[(s - 1) * b * h..s * b * h])
                    .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
                let mut zv = ArrayViewMut2::from_shape((b, g4), &mut z[..])
                    .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
                general_mat_mul(1.0, &hp, &recv, 1.0, &mut zv);
            }
            for r in 0..b {
                let base = s * b * g4 + r * g4;
                let cb = s * b * h + r * h;
                for j in 0..h {
                    let (ig, di) = self.gate(z[r * g4 + j]);
                    let (fg, df) = self.gate(z[r * g4 + h + j]);
                    let gg = z[r * g4 + 2 * h + j].tanh();
                    let (og, dout) = self.gate(z[r * g4 + 3 * h + j]);
                    let cprev = if s > 0 { cache.c[cb - b * h + j] } else { 0.0 };
                    let c = fg * cprev + ig * gg;
                    cache.gates[base + j] = ig;
                    cache.gates[base + h + j] = fg;
                    cache.gates[base + 2 * h + j] = gg;
                    cache.gates[base + 3 * h + j] = og;
                    cache.deriv[base + j] = di;
                    cache.deriv[base + h + j] = df;
                    cache.deriv[base + 2 * h + j] = 1.0 - gg * gg;
                    cache.deriv[base + 3 * h + j] = dout;
                    cache.c[cb + j] = c;
                    cache.h[cb + j] = og * c.tanh();
                }
            }
        }
        Ok(cache)
    }
}

fn contiguous<'a>(s: &'a CpuStorage, l: &Layout) -> candle_core::Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => Err(candle_core::Error::Msg(
            "fused lstm: non-contiguous input".into(),
        )),
    }
}

impl CustomOp2 for FusedLstm {
    fn name(&self) -> &'static str {
        "fused-lstm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (t, b, g4) = l1.shape().dims3()?;
        let (h, g4r) = l2.shape().dims2()?;
        if g4 != 4 * h || g4r != g4 || t == 0 {
            return Err(candle_core::Error::Msg(format!(
                "fused lstm: shapes {:?} and {:?}",
                l1.shape(),
                l2.shape()
            )));
        }
        let cache = self.run(contiguous(s1, l1)?, contiguous(s2, l2)?, t, b, h)?;
        let out = cache.h[(t - 1) * b * h..].to_vec();
        if let Ok(mut g) = self.cache.lock() {
            *g = Some(cache);
        }
        Ok((CpuStorage::F32(out), Shape::from((b, h))))
    }

    fn bwd(
        &self,
        xp: &Tensor,
        rec: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (t, b, g4) = xp.dims3()?;
        let h = g4 / 4;
        let recv: Vec<f32> = rec.flatten_all()?.to_vec1()?;
        let cache = match self.cache.lock().ok().and_then(|mut g| g.take()) {
            Some(c) => c,
            None => {
                let x: Vec<f32> = xp.flatten_all()?.to_vec1()?;
                self.run(&x, &recv, t, b, h)?
            }
        };
        let err = |e: ndarray::ShapeError| candle_core::Error::Msg(e.to_string());
        let recm = ArrayView2::from_shape((h, g4), &recv[..]).map_err(err)?;
        let mut dh: Vec<f32> = grad_res.flatten_all()?.to_vec1()?;
        let mut dc = vec![0f32; b * h];
        let mut dxp = vec![0f32; t * b * g4];
        let mut drec = vec![0f32; h * g4];
        for s in (0..t).rev() {
            let base = s * b * g4;
            let cb = s * b * h;
            {
                let dz = &mut dxp[base..base + b * g4];
                for r in 0..b {
                    for j in 0..h {
                        let k = r * g4;
                        let gi = cache.gates[base + k + j];
                        let gf = cache.gates[base + k + h + j];
                        let gg = cache.gates[base + k + 2 * h + j];
                        let go = cache.gates[base + k + 3 * h + j];
                        let c = cache.c[cb + r * h + j];
                        let tc = c.tanh();
                        let dhv = dh[r * h + j];
                        let dcv = dc[r * h + j] + dhv * go * (1.0 - tc * tc);
                        let cprev = if s > 0 {
                            cache.c[cb - b * h + r * h + j]
                        } else {
                            0.0
                        };
                        dz[k + j] = dcv * gg * cache.deriv[base + k + j];
                        dz[k + h + j] = dcv * cprev * cache.deriv[base + k + h + j];
                        dz[k + 2 * h + j] = dcv * gi * cache.deriv[base + k + 2 * h + j];
                        dz[k + 3 * h + j] = dhv * tc * cache.deriv[base + k + 3 * h + j];
                        dc[r * h + j] = dcv * gf;
                    }
                }
            }
            if s > 0 {
                let dz = ArrayView2::from_shape((b, g4), &dxp[base..base + b * g4]).map_err(err)?;
                let hp = ArrayView2::from_shape((b, h), &cache.h[cb - b * h..cb]).map_err(err)?;
                let mut dr = ArrayViewMut2::from_shape((h, g4), &mut drec[..]).map_err(err)?;
                general_mat_mul(1.0, &hp.t(), &dz, 1.0, &mut dr);
                let mut dhm = ArrayViewMut2::from_shape((b, h), &mut dh[..]).map_err(err)?;
                general_mat_mul(1.0, &dz, &recm.t(), 0.0, &mut dhm);
            }
        }
        let dxp = Tensor::from_vec(dxp, (t, b, g4), xp.device())?;
        let drec = Tensor::from_vec(drec, (h, g4), rec.device())?;
        Ok((Some(dxp), Some(drec)))
    }
}
