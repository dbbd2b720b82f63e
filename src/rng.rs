//! A small seeded generator for initial weights, so the crate needs no
//! dependency for randomness.
//!
//! SplitMix64 (Steele, Lea & Flood, 2014) gives the uniform bits; the
//! Box–Muller transform turns pairs of uniforms into standard-normal samples,
//! matching what the series draws with `np.random.randn`.

/// A deterministic SplitMix64 generator with a Box–Muller normal sampler.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
    spare: Option<f64>,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            state: seed,
            spare: None,
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on 0 … `n` − 1 for n ≥ 1, by Lemire's multiply-shift (a
    /// bias below n / 2⁶⁴, far below what any use here could see).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform on (0, 1]: never 0, so that its logarithm is finite.
    fn uniform_open_closed(&mut self) -> f64 {
        // 53 random bits give every multiple of 2⁻⁵³ in [0, 1); shift to (0, 1].
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn standard_normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * self.uniform_open_closed().ln()).sqrt();
        let theta = std::f64::consts::TAU * self.uniform_open_closed();
        let (sin, cos) = theta.sin_cos();
        self.spare = Some(r * sin);
        r * cos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // First outputs for seed 0, from the published reference implementation
        // (Vigna, splitmix64.c).
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn uniform_stays_in_open_closed_interval() {
        let mut rng = Rng::new(3);
        for _ in 0..10_000 {
            let u = rng.uniform_open_closed();
            assert!(u > 0.0 && u <= 1.0);
        }
    }

    #[test]
    fn normals_are_finite_and_seeded() {
        let draw = |seed| {
            let mut rng = Rng::new(seed);
            (0..101).map(|_| rng.standard_normal()).collect::<Vec<_>>()
        };
        assert_eq!(draw(5), draw(5));
        assert_ne!(draw(5), draw(6));
        assert!(draw(5).iter().all(|z| z.is_finite()));
    }
}
