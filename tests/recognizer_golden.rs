#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Reference numbers as librosa printed them, not constants.
#![allow(clippy::excessive_precision, clippy::approx_constant)]
//! The whole feature chain of `ser::Recognizer` (decode, mono, resample to 22050 Hz, MFCC with the
//! seed models' librosa-0.6 configuration, mean over time) against librosa on the committed
//! fixtures (RAVDESS clips CC BY-NC-SA 4.0, SAVEE; see tests/data/README.md).
//!
//! The reference vectors below were made with librosa 0.11.0 (numpy, soxr installed):
//!
//! ```python
//! y, _ = librosa.load("tests/data/" + clip, sr=22050, res_type="fft")
//! librosa.feature.mfcc(y=y, sr=22050, n_mfcc=40, pad_mode="reflect").mean(axis=1)
//! ```
//!
//! `res_type="fft"` (band-limited FFT resampling) is the closest of librosa's resamplers to
//! ser-audio's rubato FFT resampler: the remaining difference is at most 0.25 (on c0, around
//! -660). With librosa's default `soxr_hq` the RAVDESS clips differ by up to 0.72, and the study's
//! `kaiser_best` differs again; the seed models are sensitive enough to flip some predictions
//! between these resamplers (seed B on 03-01-08-01-01-01-01.wav: surprised 0.99 with soxr_hq,
//! calm 1.00 with fft), so this test pins the features, not the seed models' answers.
//! A wrong padding mode (constant instead of reflect) moves d02.wav by 3.0, a wrong sample rate
//! (16 kHz) by 34: both far outside the tolerance.

mod common;

use ser::{Recognizer, SeedModel};

use common::{fixture, max_abs_diff};

/// Largest accepted absolute difference per coefficient.
const TOLERANCE: f32 = 0.5;

/// (fixture under tests/data, librosa's mean MFCC `[40]`).
const REFERENCE: &[(&str, [f32; 40])] = &[
    (
        "ravdess/03-01-01-01-01-01-01.wav",
        [
            -697.2764, 54.1617, 1.3918, 11.7083, 8.4606, -0.1941, -2.4933, -3.8806, -10.2586,
            -3.5655, 1.5289, -3.7477, 2.6626, -4.4392, 1.1372, 0.0870, -3.3801, -2.5476, -0.6418,
            -1.5971, -5.2759, -1.1720, -1.6764, -5.1777, -1.0312, -1.4615, -4.2226, -0.3743,
            -1.5260, -0.4707, -1.4269, -2.7209, -2.1186, -2.4225, -2.6262, -2.1165, -0.5279,
            -2.3246, -2.9543, -2.0765,
        ],
    ),
    (
        "ravdess/03-01-03-01-01-02-01.wav",
        [
            -630.8467, 62.2272, -5.0384, 14.6891, 7.3057, -2.3569, -5.8220, -5.5704, -12.9070,
            -2.1243, 0.8978, -7.1195, 4.1619, -4.6847, -1.4388, 2.5093, -7.1013, -3.4927, 1.0218,
            -2.4186, -5.4946, -0.7568, -2.9563, -6.2279, 0.1609, -1.7190, -2.8981, -1.2250,
            -3.1018, -1.8224, -0.9750, -4.0784, -1.0719, -3.5760, -2.4977, -2.2055, -0.5511,
            -2.6227, -1.7819, -1.5872,
        ],
    ),
    (
        "ravdess/03-01-08-01-01-01-01.wav",
        [
            -659.9510, 52.2027, 0.3362, 7.4561, 5.2875, -3.2991, -5.2589, -7.3886, -8.9588,
            -6.6575, 0.5022, -6.0781, -0.0545, -5.6703, -3.8328, -0.6563, -7.5850, -4.5560,
            -1.9615, -3.7589, -4.8918, -3.6818, -3.8438, -6.3627, -1.6106, -2.4582, -4.9691,
            -1.0866, -3.3279, -2.5426, -2.7138, -4.1837, -0.3632, -2.3187, -1.7122, -0.2558,
            0.8854, -0.3687, -1.4852, -2.0776,
        ],
    ),
    (
        "savee/d02.wav",
        [
            -369.1869, 123.2363, -2.8407, 31.6080, 0.7050, 4.6655, -16.2200, 0.0652, 2.6300,
            5.3039, 3.9478, 1.8766, 3.0493, 3.5753, 10.5473, 1.8683, 2.4020, 3.8824, -1.3529,
            0.7496, 1.1354, 1.0074, 2.9337, -2.5235, -0.6850, 0.4679, 1.4093, 1.3870, -0.9211,
            0.3122, 0.5031, 2.4159, 2.9690, 1.3234, 1.4441, 0.7918, 1.8213, 1.5889, -0.2242,
            1.4426,
        ],
    ),
    (
        "savee/f01.wav",
        [
            -243.5475, 92.4034, -5.0681, 30.0264, -26.8450, -9.8506, -6.8179, -8.8337, -15.2976,
            -1.0873, -4.7663, -6.4230, -4.1100, -3.7658, 2.9193, -3.8586, -5.9754, -3.6492,
            -5.6165, -8.6761, 0.8200, 1.9437, 5.0186, 8.6393, 8.5615, 5.5760, 7.2391, 7.3193,
            1.8708, 6.6933, 5.7612, 3.4102, 3.3655, 2.8701, 3.2998, 2.0079, 0.6906, 2.7433, 2.6269,
            0.8100,
        ],
    ),
    (
        "savee/sa01.wav",
        [
            -344.7268, 109.1476, 16.9111, 52.9677, -9.2064, -13.4854, 5.7350, 1.8623, -13.4137,
            1.2768, -1.6099, -3.4205, -2.3260, -3.2674, 5.1632, -0.6539, 0.6311, -0.3578, -0.4109,
            -1.2965, 0.9456, 2.3245, -2.0259, -1.2923, -0.4312, 0.6527, 0.5021, -0.4044, -0.4621,
            -1.0950, 1.7266, 3.0535, 0.7777, -1.0329, 0.9147, 1.4421, 0.8446, 4.1897, 4.0194,
            3.1305,
        ],
    ),
    (
        "savee/su02.wav",
        [
            -326.4825, 79.9615, -2.6013, 16.4686, -3.3066, 0.2955, -19.5777, -6.7740, -5.2157,
            5.0250, -1.2608, -6.6598, 0.5222, -1.2095, 8.9510, 4.2972, 2.9293, 4.0234, -1.4193,
            -1.3315, 0.6531, 1.2872, 4.2863, -0.1237, -0.8459, 1.7182, 3.6202, 4.5103, 2.0523,
            2.9111, 2.4129, 3.2725, 2.8162, 1.4133, 2.0518, 2.9393, 3.3607, 3.1057, 4.4074, 5.5759,
        ],
    ),
];

#[test]
fn features_match_librosa() {
    let mut r = Recognizer::seed(SeedModel::B).unwrap();
    assert_eq!(r.sample_rate(), 22050);
    for (clip, expected) in REFERENCE {
        let loaded = r.load_file(fixture(clip)).unwrap();
        let got = r.features(&loaded).unwrap();
        assert_eq!(got.len(), 40, "{clip}");
        let worst = max_abs_diff(&got, expected);
        assert!(
            worst <= TOLERANCE,
            "{clip}: max |ours - librosa| = {worst} > {TOLERANCE}\nours:    {got:?}\nlibrosa: {expected:?}"
        );
    }
}

#[test]
fn prediction_is_the_classifier_applied_to_the_features() {
    for which in [SeedModel::A, SeedModel::B, SeedModel::C, SeedModel::D] {
        let mut r = Recognizer::seed(which).unwrap();
        for (clip, _) in REFERENCE {
            let loaded = r.load_file(fixture(clip)).unwrap();
            let features = r.features(&loaded).unwrap();
            let direct = r.classifier().predict(&features).unwrap();
            let p = r.predict_clip(&loaded).unwrap();
            // Probabilities come in the model's label order: no reordering.
            let p = p.probabilities.expect("a RAVDESS fixture is speech");
            assert_eq!(p.values(), direct, "{which:?} {clip}");
        }
    }
}
