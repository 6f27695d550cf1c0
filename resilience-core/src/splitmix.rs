//! SplitMix64, indexed: the nth output computed straight from the seed.
//!
//! Backoff jitter and chaos both need random numbers that depend on a seed and a
//! position only: 8 bytes of state, draws that can be skipped without shifting later
//! ones, the same values on every platform and every `rand` version, and (for chaos)
//! no shared mutable generator between threads.

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The `n`th output (1-based) of SplitMix64 started at `seed`.
pub(crate) const fn nth(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::nth;

    /// The reference outputs of SplitMix64 (Vigna's `splitmix64.c`) for seed 1234567.
    #[test]
    fn matches_the_reference_implementation() {
        assert_eq!(nth(1_234_567, 1), 6_457_827_717_110_365_317);
        assert_eq!(nth(1_234_567, 2), 3_203_168_211_198_807_973);
        assert_eq!(nth(1_234_567, 3), 9_817_491_932_198_370_423);
    }
}
