//! The mel filterbank whisper.cpp computes its log-mel input with. A ggml model file
//! carries it; CTranslate2's does not, so it is computed here: the Slaney-style
//! filterbank (librosa's default: no HTK formula, area-normalised) for 16 kHz, a
//! 400-point FFT (201 bins) and 80 (or 128) bands, as Whisper was trained with.

/// `[n_mels][n_fft / 2 + 1]`, row-major.
pub fn filterbank(sample_rate: f64, n_fft: usize, n_mels: usize) -> Vec<f32> {
    // The Slaney scale: linear to 1 kHz (200/3 Hz per mel), logarithmic above.
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;
    let log_step = 6.4f64.ln() / 27.0;
    let hz_to_mel = |f: f64| {
        if f < MIN_LOG_HZ {
            f / F_SP
        } else {
            MIN_LOG_MEL + (f / MIN_LOG_HZ).ln() / log_step
        }
    };
    let mel_to_hz = |m: f64| {
        if m < MIN_LOG_MEL {
            F_SP * m
        } else {
            MIN_LOG_HZ * (log_step * (m - MIN_LOG_MEL)).exp()
        }
    };
    let bins = n_fft / 2 + 1;
    let fft_freq = |k: usize| k as f64 * sample_rate / n_fft as f64;
    // n_mels + 2 band edges, evenly spaced in mels from 0 to Nyquist.
    let top = hz_to_mel(sample_rate / 2.0);
    let points = n_mels + 2;
    let step = top / (points - 1) as f64;
    let edges: Vec<f64> = (0..points)
        .map(|i| {
            if i == points - 1 {
                mel_to_hz(top)
            } else {
                mel_to_hz(i as f64 * step)
            }
        })
        .collect();
    let mut out = Vec::with_capacity(n_mels * bins);
    for m in 0..n_mels {
        let (lo, mid, hi) = (edges[m], edges[m + 1], edges[m + 2]);
        // Area normalisation: each triangle's weights sum to the same energy.
        let norm = 2.0 / (hi - lo);
        for k in 0..bins {
            let f = fft_freq(k);
            // Written as the reference computed it (a negated ramp, then "below zero
            // is zero"), so the first bin is -0.0 there too and the file matches
            // byte for byte.
            let rising = -(lo - f) / (mid - lo);
            let falling = (hi - f) / (hi - mid);
            let w = rising.min(falling);
            // Rounded to f32 before the normalisation, as the reference tables were.
            let w = if w < 0.0 { 0.0 } else { w } as f32;
            out.push((w as f64 * norm) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_whispers_table_at_known_points() {
        let w = filterbank(16000.0, 400, 80);
        assert_eq!(w.len(), 80 * 201);
        // Values of OpenAI's mel_filters.npz ("mel_80").
        let at = |m: usize, k: usize| w[m * 201 + k];
        assert!((at(0, 1) - 0.024_862_59).abs() < 1e-8, "{}", at(0, 1));
        assert!((at(1, 1) - 0.001_990_82).abs() < 1e-8, "{}", at(1, 1));
        assert!((at(1, 2) - 0.022_871_77).abs() < 1e-8, "{}", at(1, 2));
        // The first band has one bin; the last bands are wide.
        assert_eq!((0..201).filter(|k| at(0, *k) > 0.0).count(), 1);
        assert_eq!((0..201).filter(|k| at(79, *k) > 0.0).count(), 14);
    }
}
